import type { ReadStore, StoredRead } from "../store/read-store.js";
import type { GatewayRead, ReadQueryPage, ReadQueryPort, ReadQueryRequest } from "./ports.js";

/** Convoy defaults when the query gives none. */
export const CONVOY_WITHIN_SECONDS = 60;
export const CONVOY_MIN_OCCASIONS = 2;

function toGatewayRead(r: StoredRead): GatewayRead {
  return {
    readId: r.readId,
    passId: r.passId,
    cameraId: r.cameraId,
    plate: r.plate,
    captureTimeMs: r.captureTimeMs,
    confidence: r.confidence,
    direction: r.direction,
    hasImage: r.hasPatch,
  };
}

/** Adapts the LMDB ReadStore (src/store) to the gateway's query port. */
export function readStorePort(store: ReadStore): ReadQueryPort {
  return {
    async query(r: ReadQueryRequest): Promise<ReadQueryPage> {
      const base = { fromMs: r.fromMs, toMs: r.toMs, limit: r.limit, cursor: r.cursor ?? null };
      const q = r.query;
      let page: { items: StoredRead[]; cursor: string | null };
      switch (q.kind) {
        case "plate":
          page = store.byPlate({ ...base, plate: q.plate });
          break;
        case "partial":
          page = store.byPartialPlate({ ...base, pattern: q.pattern });
          break;
        case "camera":
          page = store.byCamera({ ...base, cameraId: q.cameraId });
          break;
        case "window":
          page = store.byTime(base);
          break;
        case "convoy": {
          const c = store.convoy({
            ...base,
            plate: q.plate,
            withinSeconds: q.withinSeconds ?? CONVOY_WITHIN_SECONDS,
            minOccasions: q.minOccasions ?? CONVOY_MIN_OCCASIONS,
          });
          const out: ReadQueryPage = {
            reads: [],
            convoy: {
              target: c.target.map((t) => ({
                readId: t.readId,
                cameraId: t.cameraId,
                captureTimeMs: t.captureTimeMs,
              })),
              candidates: c.items.map((cand) => ({ plate: cand.plate, sightings: cand.sightings })),
            },
          };
          if (c.cursor !== null) out.cursor = c.cursor;
          return out;
        }
      }
      const out: ReadQueryPage = { reads: page.items.map(toGatewayRead) };
      if (page.cursor !== null) out.cursor = page.cursor;
      return out;
    },
    async image(readId: string) {
      const read = store.get(readId);
      if (!read) return undefined;
      const png = store.image(readId);
      return png ? { read: toGatewayRead(read), png } : undefined;
    },
  };
}
