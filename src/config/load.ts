import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { KestrelError } from "../errors/index.js";
import { configSchema, type KestrelConfig } from "./schema.js";

/** Prefix of environment overrides: KESTREL_GATEWAY_PORT=9000 sets gateway.port. */
export const ENV_PREFIX = "KESTREL_";
/** KESTREL_* variables that are not configuration overrides. */
const NON_CONFIG_ENV = new Set(["KESTREL_CONFIG", "KESTREL_LOG_LEVEL", "KESTREL_TOKEN"]);

export interface LoadOptions {
  /** Path of the YAML or JSON file; none means defaults only. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads, merges and validates the configuration: file, then environment overrides, then the schema.
 * Any problem throws a KestrelError naming the file, the field path and the reason.
 */
export function loadConfig(options: LoadOptions = {}): KestrelConfig {
  const file = options.file ? resolve(options.file) : undefined;
  const raw = file ? readConfigFile(file) : {};
  applyEnvOverrides(raw, options.env ?? process.env);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(describeIssue);
    const where = file ?? "(defaults and environment)";
    throw new KestrelError("KESTREL_E_CONFIG_INVALID", `${where}: ${problems.join("; ")}`, {
      details: { file: where, problems },
    });
  }
  return parsed.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new KestrelError("KESTREL_E_CONFIG_NOT_FOUND", file, { cause, details: { file } });
  }
  let value: unknown;
  try {
    value = extname(file) === ".json" ? JSON.parse(text) : YAML.parse(text);
  } catch (cause) {
    throw new KestrelError("KESTREL_E_CONFIG_PARSE", `${file}: ${(cause as Error).message}`, {
      cause,
      details: { file },
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new KestrelError("KESTREL_E_CONFIG_INVALID", `${file}: top level must be a mapping`, {
      details: { file, problems: ["(root): must be a mapping"] },
    });
  }
  return value as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => `${path ? `${path}.` : ""}${k}: unknown field`).join("; ");
  }
  return `${path || "(root)"}: ${issue.message}`;
}

const toEnvName = (camel: string): string => camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/**
 * Applies KESTREL_SECTION_FIELD overrides, resolving names against the schema's own field names so that
 * an override for a field that does not exist is an error, just like an unknown field in the file.
 * Values are parsed as JSON when they can be (numbers, booleans, arrays), else taken as strings.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NON_CONFIG_ENV.has(name) || value === undefined) continue;
    const path = resolveEnvPath(name.slice(ENV_PREFIX.length), defaults);
    if (!path) {
      throw new KestrelError("KESTREL_E_CONFIG_ENV", `${name}: no configuration field of that name`, {
        details: { variable: name },
      });
    }
    setPath(raw, path, parseEnvValue(value));
  }
}

function resolveEnvPath(rest: string, shape: Record<string, unknown>): string[] | undefined {
  // Longest field name first, so GATEWAY_MAX_MESSAGE_BYTES is not taken for a field named MAX.
  const keys = Object.keys(shape).sort((a, b) => b.length - a.length);
  for (const key of keys) {
    const envName = toEnvName(key);
    if (rest === envName) return [key];
    const child = shape[key];
    if (!rest.startsWith(`${envName}_`) || !child || typeof child !== "object" || Array.isArray(child))
      continue;
    const sub = resolveEnvPath(rest.slice(envName.length + 1), child as Record<string, unknown>);
    if (sub) return [key, ...sub];
  }
  return undefined;
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!next || typeof next !== "object") node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
