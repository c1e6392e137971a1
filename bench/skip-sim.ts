// `npx tsx bench/skip-sim.ts [clips]`: frame-skipping policies replayed offline, deterministically. Every
// frame of each synthetic 720p clip is recognised once; then each policy decides frame by frame which
// frames it would have recognised (its feedback arriving LAG frames late, as from a busy worker), and the
// real Tracker gets only those frames' reads. Prints, per policy, the share of frames recognised and the
// vehicles read against recognising every frame, and how long after the plate first becomes readable
// (characters of READABLE_CHAR_PX, as in bench/e2e.bench.ts) the alert (provisional read) is raised,
// in capture time. Then TRIALS (env SKIP_SIM_TRIALS, 120) runs of the default policy per clip with its
// feedback 1–6 frames late and 0, 10, 20 or 40% of the frames it takes dropped at random: vehicles read
// and false reads by plate, the evidence of a loaded pipeline that a vote must not misread.
// A diagnostic for choosing the skipping defaults (the
// live comparison is in bench/streams.bench.ts).
import type { FrameRead } from "../src/domain/index.js";
import { DEFAULT_SKIP, FrameSkipper, NO_SKIP, type SkipOptions } from "../src/pipeline/frame-skip.js";
import { decodeVideo, probeMedia } from "../src/recognition/decode.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { generateClip } from "../src/synth/clip.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { Tracker } from "../src/tracking/tracker.js";

const CLIPS = Number(process.argv[2] ?? 3);
const FPS = 25;
const LAG = Number(process.env.SKIP_SIM_LAG ?? 2);
const READABLE_CHAR_PX = 14;
const TRIALS = Number(process.env.SKIP_SIM_TRIALS ?? 120);

async function decodeFrames(file: string, widthPx: number, heightPx: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  await decodeVideo(file, probeMedia(file), widthPx, heightPx, (_, pixels) => frames.push(pixels.slice()));
  return frames;
}

interface ClipReads {
  truth: Set<string>;
  /** First frame on which each vehicle's whole plate shows READABLE_CHAR_PX characters. */
  readableFrom: Map<string, number>;
  reads: FrameRead[][];
  frames: Uint8Array[];
  widthPx: number;
  heightPx: number;
}

const rec = Recogniser.create({ region: "gb", topCandidates: 5 });
const clips: ClipReads[] = [];
for (let i = 0; i < CLIPS; i++) {
  const g = await generateClip(seedAt(EVAL_SEEDS, 1500 + i), {
    durationS: 12,
    vehicles: 6,
    night: i % 3 === 2,
  });
  const frames = await decodeFrames(g.path, g.truth.width, g.truth.height);
  const reads = frames.map((px) => rec.readImage(px, g.truth.width, g.truth.height));
  clips.push({
    truth: new Set(g.truth.vehicles.filter((v) => v.firstFrame !== null).map((v) => v.plate)),
    readableFrom: new Map(
      g.truth.vehicles.flatMap((v) => {
        const f = v.frames.find((x) => x.whole && x.charHeightPx >= READABLE_CHAR_PX);
        return f ? [[v.plate, f.frame] as const] : [];
      }),
    ),
    reads,
    frames,
    widthPx: g.truth.width,
    heightPx: g.truth.height,
  });
}

interface Outcome {
  recognised: number;
  frames: number;
  plates: Set<string>[];
  finals: number;
  /** Per alerted readable vehicle: capture ms from its first readable frame to its provisional read. */
  alertDelaysMs: number[];
}

/**
 * The frames `policy` takes, its feedback `lag` frames late, each taken frame then lost with probability
 * `drop` (a saturated worker pool dropping the stalest frames), as the Tracker sees them.
 */
function replay(policy: SkipOptions, lag = LAG, drop = 0, random: () => number = Math.random): Outcome {
  const out: Outcome = { recognised: 0, frames: 0, plates: [], finals: 0, alertDelaysMs: [] };
  for (const clip of clips) {
    const skipper = new FrameSkipper(policy);
    const tracker = new Tracker({
      cameraId: "sim",
      provisionalConfidence: 0.8,
      minConfidence: 0.6,
      engineVersion: "sim",
    });
    const plates = new Set<string>();
    const pending: { at: number; t: number; reads: FrameRead[] }[] = [];
    clip.reads.forEach((reads, i) => {
      const t = (i * 1000) / FPS;
      while (pending[0] && pending[0].at <= i) {
        const p = pending.shift()!;
        skipper.observe(p.t, p.reads);
      }
      out.frames++;
      if (!skipper.take(t, clip.frames[i], clip.widthPx, clip.heightPx)) return;
      if (drop > 0 && random() < drop) return;
      out.recognised++;
      pending.push({ at: i + lag, t, reads });
      for (const r of tracker.push(i, t, reads)) {
        const from = clip.readableFrom.get(r.plate);
        if (r.kind === "provisional" && from !== undefined) out.alertDelaysMs.push(((i - from) * 1000) / FPS);
        if (r.kind === "final") {
          plates.add(r.plate);
          out.finals++;
        }
      }
    });
    for (const r of tracker.flush()) {
      plates.add(r.plate);
      out.finals++;
    }
    out.plates.push(plates);
  }
  return out;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const delays = (xs: number[]) =>
  `p50 ${percentile(xs, 50).toFixed(0)} ms, p90 ${percentile(xs, 90).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

/** An outcome's plates against each clip's truth: vehicles read, of how many, and the false reads. */
function againstTruth(o: Outcome): { read: number; total: number; wrong: string[] } {
  const tally = { read: 0, total: 0, wrong: [] as string[] };
  o.plates.forEach((plates, i) => {
    const truth = clips[i]!.truth;
    tally.total += truth.size;
    tally.read += [...truth].filter((p) => plates.has(p)).length;
    for (const p of plates) if (!truth.has(p)) tally.wrong.push(`${p} (clip ${i})`);
  });
  return tally;
}

const every = replay(NO_SKIP);
const policies: [string, SkipOptions][] = [
  ["every frame", NO_SKIP],
  ["default", DEFAULT_SKIP],
  ["active stride 2", { ...DEFAULT_SKIP, activeStride: 2 }],
  ["no settled stride", { ...DEFAULT_SKIP, settledStride: 1 }],
  ["idle stride only", { ...DEFAULT_SKIP, settledStride: 1, motionGate: false }],
  ["settled stride 4", { ...DEFAULT_SKIP, settledStride: 4 }],
  ["idle stride 2", { ...DEFAULT_SKIP, idleStride: 2 }],
  ["no motion gate", { ...DEFAULT_SKIP, motionGate: false }],
];
for (const [name, policy] of policies) {
  const o = replay(policy);
  const { read: truthRead, total: truthTotal, wrong: falsePlates } = againstTruth(o);
  let everyRead = 0;
  let everyTotal = 0;
  o.plates.forEach((plates, i) => {
    const ref = [...every.plates[i]!].filter((p) => clips[i]!.truth.has(p));
    everyTotal += ref.length;
    everyRead += ref.filter((p) => plates.has(p)).length;
  });
  process.stdout.write(
    `${name.padEnd(18)} recognised ${((100 * o.recognised) / o.frames).toFixed(1)}% of ${o.frames} frames, ` +
      `vehicles read ${everyRead}/${everyTotal} of every-frame reading (${truthRead}/${truthTotal} of truth), ` +
      `false reads ${falsePlates.length}${falsePlates.length ? ` (${falsePlates.join(", ")})` : ""}, final reads ${o.finals}; alert after first readable frame ${delays(o.alertDelaysMs)}\n`,
  );
}

// Loaded-pipeline trials: lags and random drops (a fixed seed: the same trials every run).
let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
let runs = 0;
let truthRead = 0;
let truthTotal = 0;
const falseByPlate = new Map<string, number>();
for (let n = 0; n < TRIALS; n++) {
  const o = replay(DEFAULT_SKIP, 1 + (n % 6), [0, 0.1, 0.2, 0.4][n % 4]!, random);
  const tally = againstTruth(o);
  runs += o.plates.length;
  truthRead += tally.read;
  truthTotal += tally.total;
  for (const key of tally.wrong) falseByPlate.set(key, (falseByPlate.get(key) ?? 0) + 1);
}
const falseTotal = [...falseByPlate.values()].reduce((a, b) => a + b, 0);
process.stdout.write(
  `loaded trials      ${runs} clip runs (lag 1–6 frames, 0–40% of taken frames dropped): vehicles read ` +
    `${truthRead}/${truthTotal} of truth, false reads ${falseTotal}` +
    `${falseByPlate.size ? ` (${[...falseByPlate].map(([k, v]) => `${k} ×${v}`).join(", ")})` : ""}\n`,
);
