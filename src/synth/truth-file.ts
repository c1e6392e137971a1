import type { ClipTruth } from "./clip.js";
import type { PlateTruth } from "./scene.js";

export interface StillTruth {
  seed: number;
  file: string;
  width: number;
  height: number;
  night: boolean;
  plates: PlateTruth[];
}

/** truth.json as `kestrel synth` writes it (see docs/synth.md). */
export interface SynthTruth {
  generator: "kestrel-synth";
  version: number;
  seed: number;
  options: Record<string, unknown>;
  clips: ClipTruth[];
  stills: StillTruth[];
}
