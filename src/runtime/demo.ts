import type { CameraConfig, KestrelConfig } from "../config/index.js";
import type { EntryInput } from "../hotlist/index.js";
import { logger } from "../log/index.js";
import { type ClipTruth, generateClip } from "../synth/clip.js";

/** Demo clip geometry: 720p at 25 fps, long enough that a loop shows several vehicle passes. */
const DEMO_CLIP = {
  widthPx: 1280,
  heightPx: 720,
  fps: 25,
  durationS: 16,
  vehicles: 5,
  format: "ts",
} as const;

export const DEMO_LIST = "demo-stolen";

export interface Demo {
  cameras: CameraConfig[];
  /** Hot-list entries for some of the demo vehicles, so alerts arrive within a minute. */
  entries: EntryInput[];
  clips: { cameraId: string; path: string; truth: ClipTruth }[];
}

/**
 * The demo `npm start` runs with no configuration: synthetic clips (made once, then cached under
 * demo.cacheDir) played in a loop at their native rate as live cameras, and a demo hot-list holding every
 * other vehicle's plate.
 */
export async function prepareDemo(config: KestrelConfig): Promise<Demo> {
  const log = logger("demo");
  const demo: Demo = { cameras: [], entries: [], clips: [] };
  for (let i = 0; i < config.demo.cameras; i++) {
    const cameraId = `demo-${i + 1}`;
    const seed = config.demo.seed + i;
    const clip = await generateClip(seed, { ...DEMO_CLIP, night: i === 2, cacheDir: config.demo.cacheDir });
    if (!clip.cached) log.info({ cameraId, seed }, "generated demo clip");
    demo.clips.push({ cameraId, path: clip.path, truth: clip.truth });
    demo.cameras.push({
      id: cameraId,
      url: clip.path,
      fps: DEMO_CLIP.fps,
      direction: "towards",
      location: `Demo site ${i + 1} (synthetic)`,
      enabled: true,
      loop: true,
    });
    clip.truth.vehicles
      .filter((v) => v.firstFrame !== null)
      .forEach((v, n) => {
        if (n % 2 !== 0) return;
        demo.entries.push({
          list: DEMO_LIST,
          plate: v.plate,
          category: "stolen",
          priority: 1,
          reason: "Demo: reported stolen",
          action: "Demo: stop and check; do not act on synthetic data",
          warnings: [],
          sourceRef: `demo/${cameraId}/${v.id}`,
          securityMarking: "OFFICIAL",
        });
      });
  }
  return demo;
}
