import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import { readImageFile } from "../src/recognition/read-file.js";
import { Recogniser } from "../src/recognition/recogniser.js";

const w = process.env.W ? { weights: new Uint8Array(readFileSync(process.env.W)) } : {};
const rec = Recogniser.create({ region: "any", topCandidates: 5, ...w });
for (const f of process.argv.slice(2)) {
  const r = readImageFile(rec, join("..", "shared", "data", "real-eu", "images", f));
  console.log(f, r.reads.map((x) => `${x.plate}:${x.confidence.toFixed(2)}`).join(" "));
  for (const p of rec.lastPlates()) {
    if (!p.plate || p.boxScores.length < 4) continue;
    const desc = p.boxScores.map((s, k) => {
      const o = [...s]
        .map((v, c) => [v, c] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, 2);
      const b = p.charBoxes[k]!;
      return `${p.keptBoxes?.includes(k) ? "" : "x"}${o.map(([v, c]) => `${CHAR_CLASSES[c]}${v.toFixed(2)}`).join("/")}[${b.w}x${b.h}]`;
    });
    console.log(`  ${p.plate}:${p.confidence?.toFixed(2)} ${p.rejected ?? ""} ${desc.join(" ")}`);
  }
}
