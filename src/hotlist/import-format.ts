import { createReadStream, statSync } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { KestrelError } from "../errors/index.js";
import { ENTRY_FIELDS, type EntryProblem, type EntryResult, validateEntry } from "./entry.js";

/** Hot-list import formats (docs/hotlists.md). */
export type ImportFormat = "csv" | "jsonl";

/** One line of an import, after parsing: an entry, a refusal, or nothing (blank or comment line). */
export type ParsedLine = ({ line: number } & EntryResult) | { line: number; skip: true };

/** The format a file name implies: .csv is CSV, .jsonl/.ndjson/.json is JSON Lines. */
export function formatOf(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") return "jsonl";
  throw new KestrelError(
    "KESTREL_E_INPUT_INVALID",
    `${file}: cannot tell the format from the name; give --format csv|jsonl`,
  );
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside fields); undefined when a quote is unbalanced. */
export function splitCsvLine(text: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  while (true) {
    if (text[i] === '"') {
      let value = "";
      i++;
      while (true) {
        const q = text.indexOf('"', i);
        if (q < 0) return undefined;
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < text.length && text[i] !== ",") return undefined;
      fields.push(value);
    } else {
      const c = text.indexOf(",", i);
      const end = c < 0 ? text.length : c;
      const value = text.slice(i, end);
      if (value.includes('"')) return undefined;
      fields.push(value);
      i = end;
    }
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

const CSV_REQUIRED = ["plate", "category", "priority"];

function problem(line: number, code: EntryProblem["code"], reason: string): ParsedLine {
  return { line, ok: false, problem: { code, reason } };
}

/**
 * Parses an import line by line. CSV: the first non-blank line is a header naming columns from
 * ENTRY_FIELDS (plate, category and priority required, any order); a bad header stops the import.
 * JSON Lines: one object per line. Blank lines and lines starting with '#' are skipped in both.
 * `onBytes` is told how many bytes have been read so far (for a progress bar).
 */
export async function* parseImport(
  input: Readable,
  format: ImportFormat,
  list: string,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<ParsedLine> {
  let bytesRead = 0;
  if (onBytes) {
    input.on("data", (chunk: Buffer | string) => {
      bytesRead += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      onBytes(bytesRead);
    });
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let header: string[] | undefined;
  let n = 0;
  for await (const raw of lines) {
    n++;
    const text = n === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (text.trim() === "" || text.startsWith("#")) {
      yield { line: n, skip: true };
      continue;
    }
    if (format === "jsonl") {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        yield problem(n, "syntax", `not valid JSON: ${(err as Error).message}`);
        continue;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        yield problem(n, "syntax", "line is not a JSON object");
        continue;
      }
      yield { line: n, ...validateEntry(list, value as Record<string, unknown>) };
      continue;
    }
    const fields = splitCsvLine(text);
    if (!header) {
      const names = fields?.map((f) => f.trim());
      const unknown = names?.find((f) => !(ENTRY_FIELDS as readonly string[]).includes(f));
      const missing = CSV_REQUIRED.find((f) => !names?.includes(f));
      if (!names || unknown !== undefined || missing !== undefined) {
        throw new KestrelError(
          "KESTREL_E_HOTLIST_LINE",
          `line ${n}: CSV header ${!names ? "has an unbalanced quote" : unknown !== undefined ? `names unknown column "${unknown}"` : `lacks column "${missing}"`}`,
          { details: { line: n } },
        );
      }
      header = names;
      yield { line: n, skip: true };
      continue;
    }
    if (!fields) {
      yield problem(n, "syntax", "unbalanced quote");
      continue;
    }
    if (fields.length !== header.length) {
      yield problem(n, "syntax", `${fields.length} fields where the header has ${header.length}`);
      continue;
    }
    const record: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) record[header[i]!] = fields[i];
    yield { line: n, ...validateEntry(list, record) };
  }
}

export function fileSize(file: string): number {
  return statSync(file).size;
}

export function openImportFile(file: string): Readable {
  try {
    statSync(file);
  } catch (cause) {
    throw new KestrelError("KESTREL_E_INPUT_UNREADABLE", file, { cause, details: { file } });
  }
  return createReadStream(file, { highWaterMark: 1 << 20 });
}
