// UK stills from TRAIN seeds (950,000 + i), read as the benchmark reads its EVAL stills: for tuning a
// recognition rule without looking at the measured stills. Prints exact reads of whole plates, confident
// reads (>= 0.6) on no plate, and every miss. Measurement only.
// Usage: npx tsx scripts/train-stills.ts [count, default 200]
import { Recogniser } from "../src/recognition/recogniser.js";
import { scoreStill, trainStill } from "../test/recognition-fixtures.js";

const count = Number(process.argv[2] ?? 200);
const gb = Recogniser.create({ region: "gb", topCandidates: 5 });
let exact = 0;
let plates = 0;
let falseReads = 0;
const misses: string[] = [];
for (let i = 0; i < count; i++) {
  const s = trainStill(i);
  const score = scoreStill(gb.readImage(s.grey, s.width, s.height), s.plates);
  plates += score.plates;
  exact += score.exact;
  falseReads += score.falseReads.length;
  misses.push(...score.missed.map((t) => `${i}:${t}`), ...score.falseReads.map((t) => `${i}:false ${t}`));
}
process.stdout.write(
  `TRAIN stills (${count}, 1280x720): exact ${exact}/${plates} = ${((100 * exact) / plates).toFixed(1)}%; confident reads on no plate: ${falseReads}\n${misses.join(" ")}\n`,
);
