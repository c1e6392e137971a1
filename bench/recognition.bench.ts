// Recognition benchmark: accuracy on synthetic EVAL material (stills, and clips after tracker voting),
// accuracy on the real-eu photographs (--region any), and speed per stage on one core against ffmpeg's
// own decode time for the same frames in the same run. Sizes: BENCH_STILLS, BENCH_CLIPS, BENCH_SPEED_FRAMES.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FinalRead, FrameRead } from "../src/domain/read.js";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import { readImageFile, readVideoFile } from "../src/recognition/read-file.js";
import { Recogniser, type StageTimes } from "../src/recognition/recogniser.js";
import type { ClipVehicleTruth } from "../src/synth/index.js";
import {
  benchClip,
  EU_STILL,
  evalEuStill,
  evalStill,
  iou,
  scoreStill,
} from "../test/recognition-fixtures.js";

const STILLS = Number(process.env.BENCH_STILLS ?? 200);
// 60 clips (20 at night) are 180 vehicles: few enough to read in about two minutes, enough that a
// 1% miss rate shows as misses rather than as luck
const CLIPS = Number(process.env.BENCH_CLIPS ?? 60);
const SPEED_FRAMES = Number(process.env.BENCH_SPEED_FRAMES ?? 30);
const EU_STILLS = Number(process.env.BENCH_EU_STILLS ?? 300);
const REAL_EU = join(process.cwd(), "..", "shared", "data", "real-eu");
const pct = (a: number, b: number) => (b === 0 ? "n/a" : `${((100 * a) / b).toFixed(1)}%`);
const line = (s: string) => process.stdout.write(`${s}\n`);

const gb = Recogniser.create({ region: "gb", topCandidates: 5 });

function stills(): void {
  const tally = { day: [0, 0], night: [0, 0] };
  let falseReads = 0;
  for (let i = 0; i < STILLS; i++) {
    const s = evalStill(i);
    const score = scoreStill(gb.readImage(s.grey, s.width, s.height), s.plates);
    const t = s.night ? tally.night : tally.day;
    t[0]! += score.exact;
    t[1]! += score.plates;
    falseReads += score.falseReads.length;
  }
  const [a, b] = [tally.day[0]! + tally.night[0]!, tally.day[1]! + tally.night[1]!];
  line(
    `stills (EVAL ${STILLS}, 1280x720): exact ${a}/${b} = ${pct(a, b)}  (day ${pct(tally.day[0]!, tally.day[1]!)}, night ${pct(tally.night[0]!, tally.night[1]!)}; target >= 95%)`,
  );
  line(`stills: confident reads (>= 0.6) not on any plate: ${falseReads} in ${STILLS} frames`);
}

/** Character height (frame px) under which no frame of a pass is readable: the localiser's and reader's floor. */
const READABLE_CHAR_PX = 10;

/** Why a vehicle was not read exactly after voting, from its own frames' reads (see clips()). */
function missReason(
  v: ClipVehicleTruth,
  perFrame: Map<number, { reads: FrameRead[]; candidates: FrameRead["box"][] }>,
  finals: FinalRead[],
): string {
  const whole = v.frames.filter((f) => f.whole);
  const maxCh = Math.max(...whole.map((f) => f.charHeightPx));
  let localised = 0;
  let read = 0;
  let exact = 0;
  const texts = new Map<string, number>();
  for (const f of whole) {
    const seen = perFrame.get(f.frame);
    if (!seen) continue;
    if (seen.candidates.some((c) => iou(c, f.box) > 0.1)) localised++;
    const r = seen.reads.find((x) => iou(x.box, f.box) > 0.2);
    if (!r) continue;
    read++;
    texts.set(r.plate, (texts.get(r.plate) ?? 0) + 1);
    if (r.plate === v.plate) exact++;
  }
  const top = [...texts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([t, n]) => `${t}:${n}`)
    .join(" ");
  const near = finals
    .filter((f) =>
      v.frames.some((x) => x.frame >= f.firstFrame && x.frame <= f.lastFrame && iou(x.box, f.box) > 0),
    )
    .map((f) => f.plate);
  const why =
    maxCh < READABLE_CHAR_PX
      ? "never readable"
      : localised === 0
        ? "never localised"
        : read === 0
          ? "localised, never read"
          : exact < 3
            ? "misread"
            : "lost in voting";
  return `${why}: max ${maxCh.toFixed(0)} px characters, localised on ${localised}/${whole.length} whole-plate frames, read ${read}, exact ${exact}; frame reads ${top || "none"}; finals over it ${near.join(" ") || "none"}`;
}

async function clips(): Promise<void> {
  const tally = { day: [0, 0], night: [0, 0] };
  let readable = 0;
  let readableExact = 0;
  let readable12 = 0;
  let readable12Exact = 0;
  let falseReads = 0;
  let vehicles = 0;
  let neverWhole = 0;
  const misses: string[] = [];
  const unreadable: string[] = [];
  const falseList: string[] = [];
  let falseProvisional = 0;
  for (let i = 0; i < CLIPS; i++) {
    const night = i % 3 === 2;
    const clip = await benchClip(i);
    const finals: FinalRead[] = [];
    const perFrame = new Map<number, { reads: FrameRead[]; candidates: FrameRead["box"][] }>();
    await readVideoFile(
      gb,
      clip.path,
      { provisionalConfidence: 0.8, minConfidence: 0.6, engineVersion: "bench" },
      (f) => finals.push(f),
      {
        onFrame: (index, reads) => perFrame.set(index, { reads, candidates: gb.lastCandidates() }),
        onProvisional: (p) => {
          if (clip.truth.vehicles.some((v) => v.plate === p.plate)) return;
          falseProvisional++;
          falseList.push(
            `clip ${i} (${night ? "night" : "day"}) ${p.plate} provisional (alert) on frame ${p.frameIndex}`,
          );
        },
      },
    );
    const t = night ? tally.night : tally.day;
    neverWhole += clip.truth.vehicles.filter((x) => x.firstFrame === null).length;
    for (const v of clip.truth.vehicles.filter((x) => x.firstFrame !== null)) {
      vehicles++;
      t[1]!++;
      const hit = finals.some((f) => f.plate === v.plate);
      if (hit) t[0]!++;
      const label = `clip ${i} (${night ? "night" : "day"}) ${v.plate} ${v.twoLine ? "two-line" : "one-line"} ${v.colour}`;
      // a fixed camera is set up so that passing plates become readable: a pass that never shows the
      // plate's characters at READABLE_CHAR_PX (cut short by the clip's start or end) is not a fair test
      if (!v.frames.some((f) => f.whole && f.charHeightPx >= READABLE_CHAR_PX)) {
        unreadable.push(`${label}: ${hit ? "read" : "not read"}`);
        continue;
      }
      readable++;
      if (hit) readableExact++;
      else misses.push(`${label}: ${missReason(v, perFrame, finals)}`);
      if (v.frames.some((f) => f.whole && f.charHeightPx >= 12)) {
        readable12++;
        if (hit) readable12Exact++;
      }
    }
    for (const f of finals.filter((x) => !clip.truth.vehicles.some((v) => v.plate === x.plate))) {
      falseReads++;
      const under = clip.truth.vehicles.find((v) =>
        v.frames.some((x) => x.frame >= f.firstFrame && x.frame <= f.lastFrame && iou(x.box, f.box) > 0),
      );
      falseList.push(
        `clip ${i} (${night ? "night" : "day"}) ${f.plate} confidence ${f.confidence.toFixed(2)} on ${f.framesRead} frames: ${under ? `over ${under.plate}` : "on no plate"}`,
      );
    }
  }
  const [a, b] = [tally.day[0]! + tally.night[0]!, tally.day[1]! + tally.night[1]!];
  line(
    `clips (EVAL ${CLIPS} x 6 s, 3 vehicles): vehicles read exactly after voting ${a}/${b} = ${pct(a, b)}  (day ${pct(tally.day[0]!, tally.day[1]!)}, night ${pct(tally.night[0]!, tally.night[1]!)}); ${neverWhole} more never show the whole plate`,
  );
  line(
    `clips: vehicles whose plate reaches ${READABLE_CHAR_PX} px characters: ${readableExact}/${readable} = ${pct(readableExact, readable)} (target >= 99%); ${unreadable.length} never do (listed below, not counted)`,
  );
  line(
    `clips: vehicles whose plate reaches 12 px characters: ${readable12Exact}/${readable12} = ${pct(readable12Exact, readable12)}`,
  );
  line(
    `clips: false reads ${falseReads} = ${((1000 * falseReads) / Math.max(vehicles, 1)).toFixed(1)} per 1000 vehicles (target <= 1); false provisional reads (alerts) ${falseProvisional}`,
  );
  for (const m of misses) line(`  missed: ${m}`);
  for (const f of falseList) line(`  false read: ${f}`);
  for (const u of unreadable) line(`  never readable: ${u}`);
}

/** Synthetic European day photographs (src/synth/eu-plate.ts), read with --region any like real-eu. */
function euStills(): void {
  const any = Recogniser.create({ region: "any", topCandidates: 5 });
  let exact = 0;
  let plates = 0;
  let falseReads = 0;
  for (let i = 0; i < EU_STILLS; i++) {
    const s = evalEuStill(i);
    const score = scoreStill(any.readImage(s.grey, s.width, s.height), s.plates);
    plates += score.plates;
    exact += score.exact;
    falseReads += score.falseReads.length;
  }
  line(
    `eu stills (EVAL ${EU_STILLS}, ${EU_STILL.widthPx}x${EU_STILL.heightPx}, --region any): exact ${exact}/${plates} = ${pct(exact, plates)}; confident reads (>= 0.6) not on any plate: ${falseReads}`,
  );
}

function realEu(): void {
  let labels: string[][];
  try {
    labels = readFileSync(join(REAL_EU, "labels.tsv"), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split("\t"));
  } catch {
    line("real-eu: ../shared/data/real-eu not found, skipped");
    return;
  }
  const any = Recogniser.create({ region: "any", topCandidates: 5 });
  let exact = 0;
  let boxed = 0;
  for (const [file, plate, x, y, w, h] of labels) {
    const { reads } = readImageFile(any, join(REAL_EU, "images", file!));
    if (reads.some((r) => r.plate === plate)) exact++;
    const truth = [Number(x), Number(y), Number(w), Number(h)];
    if (reads.some((r) => Math.abs(r.box[0] + r.box[2] / 2 - (truth[0]! + truth[2]! / 2)) < truth[2]! / 2))
      boxed++;
  }
  line(
    `real-eu (--region any): exact ${exact}/${labels.length} = ${pct(exact, labels.length)} (OpenALPR ~72%, target >= 80%); a read near the plate on ${boxed}`,
  );
}

function speed(widthPx: number, heightPx: number): void {
  const dir = join(process.cwd(), ".cache", "recognition", "bench");
  mkdirSync(dir, { recursive: true });
  const frames = Array.from({ length: SPEED_FRAMES }, (_, i) => evalStill(i, widthPx, heightPx));
  const raw = join(dir, `frames-${widthPx}x${heightPx}.gray`);
  writeFileSync(raw, Buffer.concat(frames.map((f) => Buffer.from(f.grey))));
  // the same frames as H.264, as a camera would send them; decode timed on one thread
  const mp4 = join(dir, `frames-${widthPx}x${heightPx}.mp4`);
  execFileSync(ffmpegPath(), [
    "-v",
    "error",
    "-y",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "gray",
    "-s",
    `${widthPx}x${heightPx}`,
    "-r",
    "25",
    "-i",
    raw,
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    "-preset",
    "veryfast",
    "-crf",
    "20",
    mp4,
  ]);
  // decode all frames minus decode one frame: ffmpeg's start-up cost is not decode time
  const timeDecode = (limit: string[]) => {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      spawnSync(ffmpegPath(), [
        "-v",
        "error",
        "-threads",
        "1",
        "-i",
        mp4,
        ...limit,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "-y",
        "/dev/null",
      ]);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const decodeMs = (timeDecode([]) - timeDecode(["-frames:v", "1"])) / (frames.length - 1);
  const slot = new Uint8Array(gb.memory.buffer, gb.frameSlot().offset, widthPx * heightPx);
  let best: StageTimes | undefined;
  for (let k = 0; k < 3; k++) {
    const t: StageTimes = { localiseMs: 0, segmentMs: 0, classifyMs: 0, syntaxMs: 0 };
    for (const f of frames) {
      slot.set(f.grey);
      gb.read(widthPx, heightPx, undefined, t);
    }
    const total = t.localiseMs + t.segmentMs + t.classifyMs + t.syntaxMs;
    const bestTotal = best ? best.localiseMs + best.segmentMs + best.classifyMs + best.syntaxMs : Infinity;
    if (total < bestTotal) best = t;
  }
  const n = frames.length;
  const b = best!;
  const total = (b.localiseMs + b.segmentMs + b.classifyMs + b.syntaxMs) / n;
  line(
    `speed ${heightPx}p (${n} frames, one thread): localise ${(b.localiseMs / n).toFixed(2)} ms, segment ${(b.segmentMs / n).toFixed(2)} ms, classify ${(b.classifyMs / n).toFixed(2)} ms, syntax ${(b.syntaxMs / n).toFixed(2)} ms, total ${total.toFixed(2)} ms/frame; ffmpeg H.264 decode ${decodeMs.toFixed(2)} ms/frame; ratio ${(total / decodeMs).toFixed(2)} (target <= 1.0, aim <= 0.5)`,
  );
}

line("machine: 2 cores shared with other work; timings are noisy, compare ratios");
speed(1280, 720);
speed(1920, 1080);
stills();
await clips();
euStills();
realEu();
