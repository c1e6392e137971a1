import type { Role } from "../config/schema.js";

/**
 * What each role may do. The gateway checks an action here before anything else; queries by analysts
 * are further bound by the training flag and the tiered access policy (policy.ts).
 */
export type Action =
  | "alerts.subscribe"
  | "alerts.ack"
  | "query"
  | "image"
  | "authorisation.request"
  | "authorisation.decide"
  | "authorisation.list-all"
  | "audit.read"
  | "hotlist.edit";

const GRANTS: Record<Role, readonly Action[]> = {
  consumer: ["alerts.subscribe", "alerts.ack"],
  analyst: ["alerts.subscribe", "alerts.ack", "query", "image", "authorisation.request"],
  senior: [
    "alerts.subscribe",
    "alerts.ack",
    "query",
    "image",
    "authorisation.request",
    "authorisation.decide",
    "authorisation.list-all",
  ],
  auditor: ["audit.read", "authorisation.list-all"],
  admin: ["alerts.subscribe", "alerts.ack", "hotlist.edit"],
};

/** Actions that also need the user's training flag (searching history is for trained staff only). */
const NEEDS_TRAINING: ReadonlySet<Action> = new Set(["query", "image", "authorisation.request"]);

export function roleAllows(role: Role, action: Action): boolean {
  return GRANTS[role].includes(action);
}

export function actionNeedsTraining(action: Action): boolean {
  return NEEDS_TRAINING.has(action);
}
