// Tracker replay: the frame reads of the benchmark's clips, recorded once, then voted again by the
// tracker in a second, so a tracker rule can be tried on all 60 clips without reading them again.
//   npx tsx scripts/clip-reads.ts record [--train] [--count 60]   reads every clip (minutes), writes
//       .cache/clip-reads/<eval|train>-<count>.json (reads without patches, and the vehicles' truth)
//   npx tsx scripts/clip-reads.ts replay [--train] [--count 60]   runs the tracker over the recording:
//       vehicles read exactly (plates reaching 10 px characters), false final and provisional reads,
//       the confidences of the true final reads and how soon alerts came (--min-confidence 0.6 and
//       --provisional-confidence 0.8 as the benchmark sets the tracker); --why explains each missed
//       vehicle: its frames' character heights, what the frames read at its plate, and the final reads
//       of tracks that overlapped it
// --from N (every command) takes clips N..N + count − 1 (file <…>-<N>-<count>.json).
// --recorded-min X (record and replay) records with the recogniser's minReadConfidence at X instead of
// its 0.2 (file <…>-minX.json); replay --min-read-confidence Y then leaves out frame reads under Y, so
// the frame threshold can be tried from X up without reading the clips again; replay --min-char-px Z
// leaves out frame reads with characters under Z px (the read decision's floor, for a recording made
// with a lower one: --recorded-min-char-px P records with the floor at P px, file <…>-chP.json).
//   npx tsx scripts/clip-reads.ts frames [--train] [--count 60]   frame reads of whole plates per band of
//       character height (right, wrong, not read) and the commonest character confusions
// replay --stride K gives the tracker every K-th frame only, once from each of the K phases (vehicles
// and false reads are summed over them): the sparser evidence a tracker gets when frames are skipped or
// dropped under load, which a vote must survive without reading what is not there.
// --train takes the clips from TRAIN seeds (900,000 + i), as scripts/diagnose-clips.ts does: for
// developing tracker rules without looking at the measured clips. Measurement only.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FinalRead, FrameRead } from "../src/domain/read.js";
import { readVideoFile } from "../src/recognition/read-file.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import type { ClipVehicleTruth } from "../src/synth/index.js";
import { Tracker } from "../src/tracking/tracker.js";
import { benchClip, iou } from "../test/recognition-fixtures.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    train: { type: "boolean", default: false },
    why: { type: "boolean", default: false },
    "recorded-min": { type: "string" },
    "recorded-min-char-px": { type: "string" },
    "min-read-confidence": { type: "string" },
    "min-char-px": { type: "string" },
    from: { type: "string", default: "0" },
    count: { type: "string", default: "60" },
    "min-confidence": { type: "string", default: "0.6" },
    "provisional-confidence": { type: "string", default: "0.8" },
    stride: { type: "string", default: "1" },
  },
});
const count = Number(values.count);
/** First clip index: clips from..from + count − 1 (a file name without it starts at 0). */
const from = Number(values.from);
/** The recogniser's minReadConfidence for the recording (default: its own, 0.2); names the file. */
const recordedMin = values["recorded-min"] ? Number(values["recorded-min"]) : undefined;
/** The recogniser's character-height floor for the recording (default: its own); names the file. */
const recordedMinCharPx = values["recorded-min-char-px"] ? Number(values["recorded-min-char-px"]) : undefined;
/** Replay: frame reads under this confidence are left out, as a recogniser set so would. */
const minReadConfidence = Number(values["min-read-confidence"] ?? 0);
/** Replay: frame reads whose characters are under this height (px) are left out, as a higher floor would. */
const minCharPx = Number(values["min-char-px"] ?? 0);
/** A recorded frame read the replay passes to the tracker (`--min-read-confidence`, `--min-char-px`). */
const kept = (r: { confidence: number; charHeightPx?: number }): boolean =>
  r.confidence >= minReadConfidence && (r.charHeightPx ?? Number.POSITIVE_INFINITY) >= minCharPx;
const file = join(
  process.cwd(),
  ".cache",
  "clip-reads",
  `${values.train ? "train" : "eval"}-${from > 0 ? `${from}-` : ""}${count}${recordedMin !== undefined ? `-min${recordedMin}` : ""}${recordedMinCharPx !== undefined ? `-ch${recordedMinCharPx}` : ""}.json`,
);
/** Characters a plate must reach for its pass to count (bench/recognition.bench.ts, READABLE_CHAR_PX). */
const READABLE_CHAR_PX = 10;
const line = (s: string) => process.stdout.write(`${s}\n`);

interface RecordedClip {
  index: number;
  fps: number;
  frames: { index: number; reads: Omit<FrameRead, "patch">[] }[];
  vehicles: Pick<ClipVehicleTruth, "plate" | "frames">[];
}

async function record(): Promise<void> {
  const rec = Recogniser.create({
    region: "gb",
    topCandidates: 5,
    ...(recordedMin !== undefined ? { minReadConfidence: recordedMin } : {}),
    ...(recordedMinCharPx !== undefined ? { minCharHeightPx: recordedMinCharPx } : {}),
  });
  const clips: RecordedClip[] = [];
  for (let i = from; i < from + count; i++) {
    const clip = await benchClip(i, values.train);
    const frames: RecordedClip["frames"] = [];
    const { info } = await readVideoFile(
      rec,
      clip.path,
      { provisionalConfidence: 0.8, minConfidence: 0.6, engineVersion: "replay" },
      () => {},
      { onFrame: (index, reads) => frames.push({ index, reads: reads.map(({ patch: _, ...r }) => r) }) },
    );
    clips.push({
      index: i,
      fps: info.fps,
      frames,
      vehicles: clip.truth.vehicles.map((v) => ({ plate: v.plate, frames: v.frames })),
    });
    process.stderr.write(`\rclip ${i + 1 - from}/${count}`);
  }
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, JSON.stringify(clips));
  line(`\nwrote ${file}`);
}

/** The recording of `file`. */
function load(): RecordedClip[] {
  if (!existsSync(file)) throw new Error(`no recording at ${file}: run 'record' first`);
  return JSON.parse(readFileSync(file, "utf8")) as RecordedClip[];
}

function replay(): void {
  const clips = load();
  let readable = 0;
  let exact = 0;
  const falseFinals: string[] = [];
  const falseProvisionals: string[] = [];
  const trueConfidences: number[] = [];
  const missed: string[] = [];
  /** Per true final read: frames from its track's first read to its alert (absent: no alert). */
  const alertDelays: number[] = [];
  let unalerted = 0;
  const stride = Math.max(1, Number(values.stride));
  for (const c of clips)
    for (let phase = 0; phase < stride; phase++) {
      const name = stride > 1 ? `clip ${c.index}/${phase}` : `clip ${c.index}`;
      const tracker = new Tracker({
        cameraId: "replay",
        topCandidates: 5,
        provisionalConfidence: Number(values["provisional-confidence"]),
        minConfidence: Number(values["min-confidence"]),
        engineVersion: "replay",
      });
      const finals: FinalRead[] = [];
      const alerts = new Map<string, number>();
      const truth = new Set(c.vehicles.map((v) => v.plate));
      for (const f of c.frames) {
        if (f.index % stride !== phase) continue;
        const reads = f.reads.filter(kept);
        for (const out of tracker.push(f.index, Math.round((f.index * 1000) / c.fps), reads)) {
          if (out.kind === "final") finals.push(out);
          else if (truth.has(out.plate)) alerts.set(out.passId, out.frameIndex);
          else falseProvisionals.push(`${name} ${out.plate} frame ${out.frameIndex}`);
        }
      }
      finals.push(...tracker.flush());
      for (const f of finals) {
        if (truth.has(f.plate)) {
          trueConfidences.push(f.confidence);
          const alert = alerts.get(f.passId);
          if (alert === undefined) unalerted++;
          else alertDelays.push(alert - f.firstFrame);
        } else falseFinals.push(`${name} ${f.plate} ${f.confidence.toFixed(2)} on ${f.framesRead} frames`);
      }
      for (const v of c.vehicles) {
        if (!v.frames.some((x) => x.whole && x.charHeightPx >= READABLE_CHAR_PX)) continue;
        readable++;
        if (finals.some((f) => f.plate === v.plate)) exact++;
        else {
          missed.push(`${name} ${v.plate}`);
          if (values.why) explain(c, v, finals);
        }
      }
    }
  trueConfidences.sort((a, b) => a - b);
  const at = (q: number) => trueConfidences[Math.floor(q * (trueConfidences.length - 1))]?.toFixed(2) ?? "-";
  line(
    `vehicles reaching ${READABLE_CHAR_PX} px read exactly: ${exact}/${readable}; missed: ${missed.join(", ") || "none"}`,
  );
  line(`false finals ${falseFinals.length}: ${falseFinals.join("; ") || "none"}`);
  alertDelays.sort((a, b) => a - b);
  const delay = (q: number) => alertDelays[Math.floor(q * (alertDelays.length - 1))] ?? "-";
  line(
    `alerts on true final reads: ${alertDelays.length}, none on ${unalerted}; frames from the first read: median ${delay(0.5)}, 90% ${delay(0.9)}, max ${delay(1)}`,
  );
  line(`false provisionals ${falseProvisionals.length}: ${falseProvisionals.join("; ") || "none"}`);
  line(
    `true final confidences: min ${at(0)}, 5% ${at(0.05)}, 10% ${at(0.1)}, median ${at(0.5)} (${trueConfidences.length}); lowest ${trueConfidences
      .slice(0, 6)
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
}

/** Why a vehicle was missed: what its frames read at its plate, and the finals of tracks that overlapped it. */
function explain(c: RecordedClip, v: RecordedClip["vehicles"][number], finals: FinalRead[]): void {
  const heights = v.frames.filter((f) => f.whole).map((f) => f.charHeightPx);
  const reads = new Map<string, { frames: number[]; confidence: number }>();
  let unread = 0;
  for (const f of v.frames) {
    if (!f.whole) continue;
    const r = c.frames
      .find((x) => x.index === f.frame)
      ?.reads.find((x) => kept(x) && iou(x.box, f.box) > 0.2);
    if (!r) {
      unread++;
      continue;
    }
    const e = reads.get(r.plate) ?? { frames: [], confidence: 0 };
    e.frames.push(f.frame);
    e.confidence += r.confidence;
    reads.set(r.plate, e);
  }
  const first = v.frames[0]?.frame ?? 0;
  const last = v.frames[v.frames.length - 1]?.frame ?? 0;
  const overlapping = finals.filter((f) => f.firstFrame <= last && f.lastFrame >= first);
  line(
    `  clip ${c.index} ${v.plate}: ${heights.length} whole frames, characters ${Math.min(...heights).toFixed(1)}-${Math.max(...heights).toFixed(1)} px, ${unread} unread`,
  );
  for (const [plate, e] of [...reads].sort((a, b) => b[1].frames.length - a[1].frames.length))
    line(
      `    read ${plate} on ${e.frames.length} (mean ${(e.confidence / e.frames.length).toFixed(2)}): frames ${e.frames.join(",")}`,
    );
  for (const f of overlapping)
    line(
      `    final ${f.plate} ${f.confidence.toFixed(2)} frames ${f.firstFrame}-${f.lastFrame} (${f.framesRead} read)`,
    );
}

/** Character-height bands (px, truth) of the `frames` report. */
const HEIGHT_BANDS = [10, 12, 15, 20, Number.POSITIVE_INFINITY];

/**
 * Frame reads of the whole plates with characters of 10 px or more, per band of the true character
 * height: read right, read wrong, not read; then the commonest character confusions of wrong reads of
 * the right length, per band. The tracker cannot vote a plate its frames never read.
 */
function frames(): void {
  const clips = load();
  const bands = HEIGHT_BANDS.slice(0, -1).map((lo, b) => ({
    name: Number.isFinite(HEIGHT_BANDS[b + 1]!) ? `${lo}-${HEIGHT_BANDS[b + 1]}` : `${lo}+`,
    frames: 0,
    right: 0,
    wrong: 0,
    confusions: new Map<string, number>(),
  }));
  for (const c of clips) {
    const byIndex = new Map(c.frames.map((f) => [f.index, f]));
    for (const v of c.vehicles) {
      for (const x of v.frames) {
        const band =
          bands[
            HEIGHT_BANDS.findIndex((lo, b) => x.charHeightPx >= lo && x.charHeightPx < HEIGHT_BANDS[b + 1]!)
          ];
        if (!x.whole || !band) continue;
        band.frames++;
        const r = byIndex.get(x.frame)?.reads.find((r) => kept(r) && iou(r.box, x.box) > 0.2);
        if (!r) continue;
        if (r.plate === v.plate) {
          band.right++;
          continue;
        }
        band.wrong++;
        if (r.plate.length !== v.plate.length) continue;
        for (let i = 0; i < r.plate.length; i++) {
          if (r.plate[i] === v.plate[i]) continue;
          const k = `${v.plate[i]}>${r.plate[i]}`;
          band.confusions.set(k, (band.confusions.get(k) ?? 0) + 1);
        }
      }
    }
  }
  for (const b of bands) {
    const pct = (k: number) => ((100 * k) / Math.max(b.frames, 1)).toFixed(1);
    line(
      `characters ${b.name} px: ${b.frames} frames, read right ${b.right} (${pct(b.right)}%), wrong ${b.wrong} (${pct(b.wrong)}%), not read ${b.frames - b.right - b.wrong}`,
    );
    const top = [...b.confusions].sort((x, y) => y[1] - x[1]).slice(0, 12);
    line(`  confusions (true>read): ${top.map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`);
  }
}

if (positionals[0] === "record") await record();
else if (positionals[0] === "replay") replay();
else if (positionals[0] === "frames") frames();
else throw new Error("usage: npx tsx scripts/clip-reads.ts record|replay|frames [--train] [--count 60]");
