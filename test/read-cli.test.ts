import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodePng } from "../src/image/png.js";
import { EVAL_SEEDS, generateClip, generateStill, seedAt } from "../src/synth/index.js";

const dir = mkdtempSync(join(tmpdir(), "kestrel-read-"));
const kestrel = (...args: string[]) =>
  spawnSync("node", ["dist/src/cli/main.js", "read", ...args], { encoding: "utf8", timeout: 120_000 });

describe("kestrel read", () => {
  it("prints one JSON line per image with the plate, box and candidates; bad files go to stderr", () => {
    // five clear daytime plates of typical size: the CLI must report each image, and the recogniser must read most
    // of them exactly (it reads about 80% of all EVAL stills)
    const options = {
      vehicles: 1,
      charHeightPx: [18, 26] as [number, number],
      night: false,
      formats: ["current" as const],
    };
    const images: { file: string; plate: string }[] = [];
    for (let i = 900; images.length < 5; i++) {
      const still = generateStill(seedAt(EVAL_SEEDS, i), options);
      const truth = still.plates.find((p) => p.whole);
      if (!truth) continue;
      const file = join(dir, `car-${i}.png`);
      writeFileSync(file, encodePng(still.width, still.height, still.rgb, 3));
      images.push({ file, plate: truth.text });
    }
    const empty = join(dir, "empty.jpg");
    writeFileSync(empty, "");
    const text = join(dir, "notes.png");
    writeFileSync(text, "this is not an image\n");
    const run = kestrel(...images.map((im) => im.file), join(dir, "missing.png"), empty, text, "--top", "3");
    expect(run.status).toBe(1);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(images.map((im) => im.file));
    let exact = 0;
    for (const [n, line] of lines.entries()) {
      expect(typeof line.ms).toBe("number");
      const read = line.reads.find((r: { plate: string }) => r.plate === images[n]!.plate);
      if (!read) continue;
      exact++;
      expect(read.box).toHaveLength(4);
      expect(read.candidates.length).toBeLessThanOrEqual(3);
      expect(read.candidates[0].plate).toBe(images[n]!.plate);
    }
    expect(exact).toBeGreaterThanOrEqual(3);
    const errors = run.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).error);
    expect(errors.map((e: { code: string }) => e.code)).toEqual([
      "KESTREL_E_INPUT_UNREADABLE",
      "KESTREL_E_INPUT_EMPTY",
      "KESTREL_E_INPUT_NOT_IMAGE",
    ]);
  });

  it("prints one line per vehicle pass for a video, after voting across frames", async () => {
    const clip = await generateClip(seedAt(EVAL_SEEDS, 950), { durationS: 4, vehicles: 2, night: false });
    const run = kestrel(clip.path);
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const plates = clip.truth.vehicles.map((v) => v.plate);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l.lastFrame).toBeGreaterThan(l.firstFrame);
      expect(l.box).toHaveLength(4);
    }
    // each vehicle once; today's false-read rate (see the benchmark) allows at most one stray pass here
    const correct = lines.filter((l) => plates.includes(l.plate));
    expect(correct.length).toBeGreaterThan(0);
    expect(new Set(correct.map((l) => l.plate)).size).toBe(correct.length);
    expect(lines.length - correct.length).toBeLessThanOrEqual(1);
  });
});
