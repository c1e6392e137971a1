// Compares `--region any` read-decision settings on the synthetic European EVAL stills (where they are
// chosen) and then on ../shared/data/real-eu (measurement only: never chosen on, never copied).
// Usage: npx tsx scripts/tune-any.ts [--from 0] [--count 300] [--real] [--weights FILE] [--list]
//        [--config '{"minEndScore":0.5}'] ...   (one line per config; none: the defaults)
// --list prints, per config, the EU stills' plates not read exactly and every confident read on no plate.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeImage, fitSize, probeMedia } from "../src/recognition/decode.js";
import { type ForeignDecision, Recogniser } from "../src/recognition/recogniser.js";
import { evalEuStill } from "../test/recognition-fixtures.js";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "0" },
    count: { type: "string", default: "300" },
    real: { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    weights: { type: "string" },
    config: { type: "string", multiple: true },
  },
});
const line = (s: string) => process.stdout.write(`${s}\n`);
const from = Number(values.from);
const count = Number(values.count);
const weights = values.weights ? new Uint8Array(readFileSync(values.weights)) : undefined;
const configs: Partial<ForeignDecision>[] = (values.config ?? ["{}"]).map((c) => JSON.parse(c));

const stills = Array.from({ length: count }, (_, i) => evalEuStill(from + i));
const REAL_EU = join(process.cwd(), "..", "shared", "data", "real-eu");
const real = values.real
  ? readFileSync(join(REAL_EU, "labels.tsv"), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => {
        const [file, plate] = l.split("\t");
        const path = join(REAL_EU, "images", file!);
        const info = probeMedia(path);
        const [w, h] = fitSize(info, 1920, 1080);
        return { file: file!, plate: plate!, w, h, grey: decodeImage(path, info, w, h) };
      })
  : [];

for (const foreign of configs) {
  const rec = Recogniser.create({
    region: "any",
    topCandidates: 5,
    foreign,
    ...(weights ? { weights } : {}),
  });
  let exact = 0;
  let plates = 0;
  let falseReads = 0;
  let sure = 0;
  const t0 = performance.now();
  for (const s of stills) {
    const reads = rec.readImage(s.grey, s.width, s.height);
    for (const p of s.plates.filter((q) => q.whole)) {
      plates++;
      if (reads.some((r) => r.plate === p.text)) exact++;
      if (reads.some((r) => r.plate === p.text && r.confidence >= 0.6)) sure++;
      else if (values.list)
        line(
          `  miss ${s.seed} ${p.text} ch=${p.charHeightPx.toFixed(1)} ${p.glyphs} reads=${reads.map((r) => `${r.plate}:${r.confidence.toFixed(2)}`).join(",")}`,
        );
    }
    for (const r of reads) {
      if (r.confidence >= 0.6 && !s.plates.some((p) => p.text === r.plate)) {
        falseReads++;
        if (values.list)
          line(
            `  false ${s.seed} ${r.plate}:${r.confidence.toFixed(2)} truth=${s.plates.map((p) => p.text).join(",")}`,
          );
      }
    }
  }
  const euMs = (performance.now() - t0) / stills.length;
  let realExact = 0;
  const realMissed: string[] = [];
  for (const r of real) {
    const reads = rec.readImage(r.grey, r.w, r.h);
    if (reads.some((x) => x.plate === r.plate)) realExact++;
    else realMissed.push(`${r.file}:${r.plate}>${reads[0]?.plate ?? "-"}`);
  }
  line(
    `${JSON.stringify(foreign)}\teu ${exact}/${plates} (>= 0.6: ${sure}) false ${falseReads}\t${values.real ? `real ${realExact}/${real.length}` : ""}\t${euMs.toFixed(1)} ms/still`,
  );
  if (values.list && values.real) line(`  real missed: ${realMissed.join(" ")}`);
}
