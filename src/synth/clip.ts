import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { KestrelError } from "../errors/index.js";
import { ffmpegPath } from "../ingest/ffmpeg-path.js";
import { PACKAGE_ROOT } from "../paths.js";
import type { Camera } from "./camera.js";
import { boxBlur1d, glare, nightInfrared } from "./effects.js";
import type { PlateFormat } from "./marks.js";
import { Canvas } from "./raster.js";
import { Rng } from "./rng.js";
import { type Box, drawVehicle, PlacedVehicle, type PlateTruth, renderBackground } from "./scene.js";
import {
  applyOcclusion,
  decoratePlate,
  GLYPH_HEIGHT_M,
  randomCamera,
  randomPlateSpec,
  randomRoad,
  STREAM,
  zForCharHeight,
} from "./still.js";
import { type Facing, randomVehicle, type VehicleKind } from "./vehicles.js";
import type { Quad } from "./warp.js";

/**
 * Clips: a fixed camera over a road while vehicles approach (front plates) or drive away (rear plates)
 * in their lanes, growing or shrinking with distance. The background is rendered once; each frame copies
 * it and composites only the vehicles. Frames are piped raw to ffmpeg (libx264), which also adds the
 * clip-wide defocus and sensor noise in C.
 */
export interface ClipOptions {
  widthPx?: number;
  heightPx?: number;
  fps?: number;
  durationS?: number;
  /** Vehicles passing during the clip (default 4). */
  vehicles?: number;
  /** Probability of a night (infrared) clip, default 0.25; true/false forces it. */
  night?: number | boolean;
  format?: "mp4" | "ts";
  region?: "uk" | "any" | "eu";
  formats?: readonly PlateFormat[];
  /** Blur, noise, glare, shadows, occlusion (default true). */
  conditions?: boolean;
}

export interface ClipFrameTruth {
  frame: number;
  box: Box;
  corners: Quad;
  charHeightPx: number;
  /** The whole plate is inside the frame and not covered by a nearer vehicle. */
  whole: boolean;
}

export interface ClipVehicleTruth {
  id: number;
  plate: string;
  format: PlateFormat | "foreign" | "eu";
  colour: "white" | "yellow";
  twoLine: boolean;
  kind: VehicleKind;
  facing: Facing;
  lane: number;
  speedMps: number;
  /** First and last frame on which the whole plate is visible, or null if it never is. */
  firstFrame: number | null;
  lastFrame: number | null;
  /** Every frame on which any part of the plate is in the picture. */
  frames: ClipFrameTruth[];
}

export interface ClipTruth {
  seed: number;
  file: string;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  night: boolean;
  vehicles: ClipVehicleTruth[];
}

interface Resolved {
  widthPx: number;
  heightPx: number;
  fps: number;
  durationS: number;
  vehicles: number;
  night: number | boolean;
  format: "mp4" | "ts";
  region: "uk" | "any" | "eu";
  formats: readonly PlateFormat[];
  conditions: boolean;
}

function resolve(o: ClipOptions): Resolved {
  return {
    widthPx: o.widthPx ?? 1280,
    heightPx: o.heightPx ?? 720,
    fps: o.fps ?? 25,
    durationS: o.durationS ?? 10,
    vehicles: o.vehicles ?? 4,
    night: o.night ?? 0.25,
    format: o.format ?? "mp4",
    region: o.region ?? "uk",
    formats: o.formats ?? [],
    conditions: o.conditions ?? true,
  };
}

interface Mover {
  v: PlacedVehicle;
  id: number;
  lane: number;
  speedMps: number;
  /** Z at t = 0 and the signed speed along Z. */
  z0: number;
  dz: number;
  /** Closer than this the vehicle is passing under the camera: its plate has left the frame; not drawn. */
  zMin: number;
  truth: ClipVehicleTruth;
}

/** The scene plan for a clip: camera, background and every vehicle's motion. */
export interface ClipPlan {
  cam: Camera;
  night: boolean;
  background: Canvas;
  movers: Mover[];
  frameCount: number;
  /** ffmpeg filter for clip-wide defocus and noise ("" for none). */
  filter: string;
  crf: number;
  /** The background as 8-bit RGB, made on first use. */
  background8?: Uint8Array;
  rng: Rng;
}

export function planClip(seed: number, options: ClipOptions = {}): ClipPlan {
  const o = resolve(options);
  const rng = new Rng(seed, STREAM.clip);
  const cam = randomCamera(rng, o.widthPx, o.heightPx);
  const { road, cameraLane, directions } = randomRoad(rng, cam);
  const night = typeof o.night === "boolean" ? o.night : rng.chance(o.night);
  const background = renderBackground(cam, road, rng.fork(1));
  if (night) nightInfrared(background, rng.range(0.1, 0.2));
  const frameCount = Math.max(1, Math.round(o.durationS * o.fps));
  const laneSpeed = road.lanes.map(() => rng.range(9, 22));
  // The lanes nearest the camera's line of sight carry most of the traffic it sees.
  const byDistance = road.lanes.map((x, i) => [Math.abs(x - cam.xM), i] as const).sort((a, b) => a[0] - b[0]);
  const nearestLane = byDistance[0]?.[1] ?? cameraLane;
  const secondLane = byDistance[1]?.[1] ?? nearestLane;
  const laneFree = road.lanes.map(() => Number.NEGATIVE_INFINITY);
  const movers: Mover[] = [];
  let prevLane: number | undefined;
  let prevT0 = 0;
  for (let i = 0; i < o.vehicles; i++) {
    // Most vehicles use the camera's lane (the one it is aimed at); some pass in the others.
    // Now and then a vehicle runs alongside the previous one in the other lane in view.
    const alongside = i > 0 && prevLane !== undefined && secondLane !== nearestLane && rng.chance(0.35);
    const lane = alongside
      ? prevLane === nearestLane
        ? secondLane
        : nearestLane
      : rng.chance(0.5)
        ? nearestLane
        : rng.chance(0.6)
          ? secondLane
          : rng.int(0, road.lanes.length - 1);
    const facing = directions[lane] as Facing;
    const design = randomVehicle(rng, facing);
    const spec = randomPlateSpec(
      rng,
      facing === "front" ? "white" : "yellow",
      design.twoLine,
      o.region,
      o.formats,
    );
    const speedMps = (laneSpeed[lane] as number) * rng.range(0.97, 1.03);
    const zFar = zForCharHeight(cam, 7, design.plateY);
    const zNear = Math.max(1.5, zForCharHeight(cam, 60, design.plateY));
    const traverseS = (zFar - zNear) / speedMps;
    // Spread entries over the clip so each vehicle is seen whole, keeping a gap behind the last in its lane.
    const slot = (o.durationS - traverseS * 0.5) / Math.max(1, o.vehicles);
    let t0 = alongside
      ? prevT0 + rng.range(-0.4, 0.4)
      : Math.max(-traverseS * 0.3, i * slot + rng.range(0, slot * 0.6));
    t0 = Math.max(t0, (laneFree[lane] as number) + 1.4);
    laneFree[lane] = t0;
    prevLane = lane;
    prevT0 = t0;
    const z0 = facing === "front" ? zFar + speedMps * t0 : zNear - speedMps * t0;
    const dz = facing === "front" ? -speedMps : speedMps;
    const charPx = 40;
    const v = new PlacedVehicle(
      design,
      spec,
      (road.lanes[lane] as number) + rng.range(-0.4, 0.4),
      z0,
      (rng.range(-10, 10) * Math.PI) / 180,
      (rng.range(-4, 4) * Math.PI) / 180,
      (charPx / 79) * 1.5,
      rng.fork(100 + i),
    );
    decoratePlate(v, rng, o.conditions);
    movers.push({
      v,
      id: i,
      lane,
      speedMps,
      z0,
      dz,
      zMin: Math.max(1.2, zForCharHeight(cam, 55, design.plateY)),
      truth: {
        id: i,
        plate: spec.text,
        format: spec.format,
        colour: spec.style.colour,
        twoLine: spec.style.twoLine,
        kind: design.kind,
        facing,
        lane,
        speedMps: Math.round(speedMps * 100) / 100,
        firstFrame: null,
        lastFrame: null,
        frames: [],
      },
    });
  }
  const parts: string[] = [];
  if (o.conditions) {
    // Filters run on yuv420p (half the bytes of rgb24); boxblur is the cheap defocus.
    parts.push("format=yuv420p");
    if (rng.chance(0.4)) parts.push(`boxblur=1:${rng.int(1, 2)}`);
    parts.push(`noise=alls=${Math.round(night ? rng.range(6, 14) : rng.range(2, 8))}:allf=t`);
  }
  return {
    cam,
    night,
    background,
    movers,
    frameCount,
    filter: parts.join(","),
    crf: Math.round(rng.range(20, 30)),
    rng,
  };
}

/** Per canvas, the rows the last rendered frame changed (everything else still equals the background). */
const dirtyRows = new WeakMap<Canvas, [number, number]>();

/**
 * 8-bit RGB of the frame last rendered into `canvas`: the background's bytes, converted once per clip,
 * with only the changed rows converted from float.
 */
export function frameToRgb8(plan: ClipPlan, canvas: Canvas, out: Uint8Array): Uint8Array {
  plan.background8 ??= plan.background.toRgb8();
  const dirty = dirtyRows.get(canvas);
  if (!dirty) return canvas.toRgb8(out);
  out.set(plan.background8);
  const W3 = canvas.width * 3;
  const [y0, y1] = dirty;
  if (y1 > y0) {
    new Uint8ClampedArray(out.buffer, out.byteOffset + y0 * W3, (y1 - y0) * W3).set(
      canvas.rgb.subarray(y0 * W3, y1 * W3),
    );
  }
  return out;
}

/**
 * Renders frame `index` of a planned clip into `canvas` and returns the plates' truth on it. Frames of one
 * clip are rendered into the same canvas in order (it keeps track of what it must restore).
 */
export function renderClipFrame(
  plan: ClipPlan,
  index: number,
  fps: number,
  canvas: Canvas,
): Map<number, PlateTruth> {
  // Only the rows the last frame drew on differ from the background: restore just those.
  const W3 = canvas.width * 3;
  const dirty = dirtyRows.get(canvas);
  if (dirty) canvas.rgb.set(plan.background.rgb.subarray(dirty[0] * W3, dirty[1] * W3), dirty[0] * W3);
  else canvas.rgb.set(plan.background.rgb);
  let y0 = canvas.height;
  let y1 = 0;
  const t = index / fps;
  const { cam } = plan;
  const active: Mover[] = [];
  for (const m of plan.movers) {
    m.v.zM = m.z0 + m.dz * t;
    if (m.v.zM > m.zMin && m.v.zM < 400) active.push(m);
  }
  active.sort((a, b) => b.v.zM - a.v.zM);
  const truths: (PlateTruth | undefined)[] = [];
  const bodies: Box[] = [];
  for (const m of active) {
    const body = m.v.bodyBox(cam);
    bodies.push(body);
    if (body[0] > cam.widthPx || body[1] > cam.heightPx || body[0] + body[2] < 0 || body[1] + body[3] < 0) {
      truths.push(undefined);
      continue;
    }
    const pt = drawVehicle(canvas, cam, m.v, plan.night);
    const margin = 12 + (plan.night ? Math.min(200, (0.25 * cam.focalPx) / Math.max(1, m.v.zM)) : 0);
    y0 = Math.min(y0, Math.floor(body[1] - margin));
    y1 = Math.max(y1, Math.ceil(body[1] + body[3] + margin));
    // Motion blur along the image motion over about half a frame's exposure.
    const zNext = m.v.zM + m.dz / fps;
    const depthNow = m.v.zM;
    const growth = Math.abs(depthNow / zNext - 1);
    const blurPx = growth * (body[1] + body[3] - cam.heightPx / 2) * 0.5;
    if (blurPx > 1.2) boxBlur1d(canvas, Math.min(blurPx, 12), "y", body);
    if (plan.night && m.v.design.facing === "front") {
      for (const side of [-1, 1]) {
        const [gx, gy] = m.v.toImage(cam, side * (m.v.design.widthM / 2 - 0.24), m.v.design.plateY + 0.33);
        glare(canvas, gx, gy, Math.min(200, (0.25 * cam.focalPx) / Math.max(1, m.v.zM)), 120);
      }
    }
    truths.push(pt);
  }
  applyOcclusion(truths, bodies);
  y0 = Math.max(0, y0);
  y1 = Math.min(canvas.height, y1);
  dirtyRows.set(canvas, y0 < y1 ? [y0, y1] : [0, 0]);
  const out = new Map<number, PlateTruth>();
  active.forEach((m, i) => {
    const pt = truths[i];
    if (!pt) return;
    const [x, y, w, h] = pt.box;
    if (x + w <= 0 || y + h <= 0 || x >= cam.widthPx || y >= cam.heightPx) return;
    out.set(m.id, pt);
  });
  return out;
}

/** The version of the generator's output: part of the cache key, bump when pixels or truth change. */
export const SYNTH_VERSION = 3;

function cacheKey(seed: number, o: Resolved): string {
  return createHash("sha256")
    .update(JSON.stringify({ v: SYNTH_VERSION, seed, o }))
    .digest("hex")
    .slice(0, 16);
}

export interface GenerateClipOptions extends ClipOptions {
  /** Write here instead of the cache (no cache lookup). */
  outFile?: string;
  /** Cache root (default <package>/.cache/synth). */
  cacheDir?: string;
}

export interface GeneratedClip {
  path: string;
  truth: ClipTruth;
  /** True when the clip came from the cache. */
  cached: boolean;
}

/**
 * Renders a clip to H.264 (mp4 or MPEG-TS) and returns its truth. Without `outFile` the clip is cached
 * under `.cache/synth/<hash of seed and options>/` and reused by later calls with the same arguments.
 */
export async function generateClip(seed: number, options: GenerateClipOptions = {}): Promise<GeneratedClip> {
  const o = resolve(options);
  let path: string;
  let truthPath: string | undefined;
  if (options.outFile) {
    path = options.outFile;
  } else {
    const dir = join(options.cacheDir ?? join(PACKAGE_ROOT, ".cache", "synth"), cacheKey(seed, o));
    path = join(dir, `clip.${o.format}`);
    truthPath = join(dir, "truth.json");
    if (existsSync(truthPath) && existsSync(path)) {
      return { path, truth: JSON.parse(readFileSync(truthPath, "utf8")) as ClipTruth, cached: true };
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  const truth = await renderClip(seed, o, path);
  if (truthPath) {
    // truth.json last, via rename: its presence marks a complete cache entry.
    const tmp = `${truthPath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(truth));
    renameSync(tmp, truthPath);
  }
  return { path, truth, cached: false };
}

async function renderClip(seed: number, o: Resolved, path: string): Promise<ClipTruth> {
  const plan = planClip(seed, o);
  // a part file of this process's own: two processes rendering the same cache entry at once (a benchmark
  // and a script) each rename a whole file into place, and the last one wins with the same bytes
  const part = `${path}.${process.pid}.part`;
  const W = o.widthPx;
  const H = o.heightPx;
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-s",
    `${W}x${H}`,
    "-r",
    String(o.fps),
    "-i",
    "-",
    ...(plan.filter ? ["-vf", plan.filter] : []),
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    String(plan.crf),
    "-pix_fmt",
    "yuv420p",
    "-g",
    String(o.fps * 2),
    "-threads",
    "1",
    ...(o.format === "mp4" ? ["-movflags", "+faststart", "-f", "mp4"] : ["-f", "mpegts"]),
    part,
  ];
  const ff = spawn(ffmpegPath(), args, { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  ff.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const done = new Promise<number>((res, rej) => {
    ff.on("error", rej);
    ff.on("close", (code) => res(code ?? -1));
  });
  ff.stdin.on("error", () => {
    // ffmpeg exited early: reported through its exit code below
  });
  const canvas = new Canvas(W, H);
  for (let f = 0; f < plan.frameCount; f++) {
    const plates = renderClipFrame(plan, f, o.fps, canvas);
    for (const m of plan.movers) {
      const p = plates.get(m.id);
      if (!p) continue;
      m.truth.frames.push({
        frame: f,
        box: p.box,
        corners: p.corners,
        charHeightPx: p.charHeightPx,
        whole: p.whole,
      });
      if (p.whole) {
        if (m.truth.firstFrame === null) m.truth.firstFrame = f;
        m.truth.lastFrame = f;
      }
    }
    const buf = Buffer.allocUnsafe(W * H * 3);
    frameToRgb8(plan, canvas, buf);
    if (!ff.stdin.write(buf)) {
      await new Promise<void>((res) => {
        const go = (): void => {
          ff.stdin.off("close", go);
          ff.stdin.off("drain", go);
          res();
        };
        ff.stdin.once("drain", go);
        ff.stdin.once("close", go);
      });
    }
    if (ff.exitCode !== null) break;
  }
  ff.stdin.end();
  const code = await done;
  if (code !== 0) {
    throw new KestrelError(
      "KESTREL_E_FFMPEG_FAILED",
      `encoding ${basename(path)} exited ${code}: ${stderr.trim()}`,
    );
  }
  renameSync(part, path);
  return {
    seed,
    file: basename(path),
    width: W,
    height: H,
    fps: o.fps,
    frameCount: plan.frameCount,
    night: plan.night,
    vehicles: plan.movers.map((m) => m.truth),
  };
}

export { GLYPH_HEIGHT_M };
