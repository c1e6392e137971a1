// Synthetic character crops for training and measuring the character classifier. Every crop comes from
// one seed (TRAIN seeds for training, EVAL seeds for measuring) through the synthetic generator's glyph
// sources and rasteriser, then a camera-like degradation: scale, aspect, rotation, shear, stroke weight,
// blur, noise, uneven light, low contrast, binarisation (as a thresholding segmenter hands over),
// polarity, neighbours and plate border in a loose box, and occluding blobs (screws, dirt).
import { CHAR_CLASSES } from "../../assembly/shared/constants.js";
import type { GlyphSource } from "../synth/glyphs/glyph-source.js";
import { type GlyphSourceName, glyphSource } from "../synth/glyphs/sources.js";
import { TRAINING_FONT_NAMES, type TrainingFontName, trainingFont } from "../synth/glyphs/training-fonts.js";
import { Canvas, type Contour } from "../synth/raster.js";
import { Rng } from "../synth/rng.js";

/** One character crop: an 8-bit grey image, the box to classify in it, and the truth. */
export interface GlyphSample {
  grey: Uint8Array;
  width: number;
  height: number;
  box: { x: number; y: number; w: number; h: number };
  /** Light glyph on dark ground. */
  inverted: boolean;
  /** Class index into CHAR_CLASSES. */
  label: number;
}

/** Height of the reference glyph masks in pixels (crops are resampled from these). */
const MASK_HEIGHT_PX = 72;

interface CellVariant {
  widthMm: number;
  heightMm: number;
  strokeMm: number;
  /** Plate font: superellipse exponent of its bowls. */
  bowlExponent?: number;
  /** Plate font: depth of the W's middle apex below the top (share of the height). */
  wApex?: number;
}

/**
 * The plate font's bowls from elliptical to squarer than the scene generator draws them
 * (BOWL_EXPONENT): makers' dies, printed and raised characters round them differently, and the
 * mandated font's 0, 8, 6 and 9 are near-rectangles with straight sides (3.5 and 4), which the
 * superellipses of 2.5-3 left to the B and the D.
 */
const BOWL_EXPONENTS = [2, 2.5, 2.5, 3, 3.5, 4];

/**
 * The W's middle apex from the scene's (0.3 of the height below the top) to full height: the mandated
 * font's W is two Vs side by side, whose middle strokes meet at the top line.
 */
const W_APEXES = [0.3, 0.15, 0, 0];

const cellKey = (c: CellVariant): string =>
  `${c.widthMm}|${c.heightMm}|${c.strokeMm}|${c.bowlExponent ?? ""}|${c.wApex ?? ""}`;

/** Car (79×50, 14 mm stroke), pre-2001 wide (57 mm), two-line (64×44, 10 mm), plus lighter and heavier strokes. */
const PLATE_FONT_CELLS: CellVariant[] = [
  { widthMm: 50, heightMm: 79, strokeMm: 14 },
  { widthMm: 50, heightMm: 79, strokeMm: 11 },
  { widthMm: 50, heightMm: 79, strokeMm: 17 },
  { widthMm: 57, heightMm: 79, strokeMm: 14 },
  { widthMm: 44, heightMm: 64, strokeMm: 10 },
  { widthMm: 46, heightMm: 79, strokeMm: 13 },
  { widthMm: 50, heightMm: 79, strokeMm: 19 },
  { widthMm: 46, heightMm: 79, strokeMm: 18 },
];
const FONT_CELLS: CellVariant[] = [
  { widthMm: 50, heightMm: 79, strokeMm: 14 },
  { widthMm: 44, heightMm: 64, strokeMm: 10 },
];

/** A glyph source for training crops: the scene generator's sources, or a training-only font. */
type SampleSourceName = GlyphSourceName | TrainingFontName;

/** Share of the training-only fonts (European-style narrow, regular, bold and italic faces), split evenly. */
const TRAINING_FONTS_SHARE = 0.25;

/**
 * Share of crops drawn from each glyph source: half the plate font, the scene generator's condensed
 * fonts (stretched to the UK cell), and the training-only fonts at their own proportions.
 */
const SOURCE_WEIGHTS: Record<SampleSourceName, number> = {
  "plate-font": 0.45,
  "roboto-condensed-700": 0.1,
  "barlow-condensed-600": 0.1,
  "barlow-condensed-700": 0.1,
  ...(Object.fromEntries(
    TRAINING_FONT_NAMES.map((n) => [n, TRAINING_FONTS_SHARE / TRAINING_FONT_NAMES.length]),
  ) as Record<TrainingFontName, number>),
};

const TRAINING_FONT_SET = new Set<string>(TRAINING_FONT_NAMES);

function sampleSource(name: SampleSourceName): GlyphSource {
  return TRAINING_FONT_SET.has(name)
    ? trainingFont(name as TrainingFontName)
    : glyphSource(name as GlyphSourceName);
}

interface Mask {
  cov: Float32Array;
  width: number;
  height: number;
  /** Ink bounding box in mask pixels [x0, y0, x1, y1). */
  box: [number, number, number, number];
}

const masks = new Map<string, Mask>();

/**
 * Stroke growth in mask pixels: real crops come through a camera and a thresholding segmenter, which
 * fatten strokes and close counters; the glyph is dilated by a disc of this radius (0 = as drawn). A
 * negative radius erodes (thinner strokes, as narrow European plate fonts and a high threshold show).
 */
const BOLD_RADII_PX = [-1.5, 0, 0, 0, 2, 3.5];

/** Grows (radius > 0: max over a disc) or thins (radius < 0: min over a disc) the glyph's coverage. */
function dilate(m: Mask, signedRadius: number): Mask {
  if (signedRadius === 0) return m;
  const erode = signedRadius < 0;
  const radius = Math.abs(signedRadius);
  const { width, height } = m;
  const r = Math.ceil(radius);
  const out = new Float32Array(width * height);
  const offsets: number[] = [];
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= radius * radius) offsets.push(dx, dy);
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = erode ? 1 : 0;
      for (let k = 0; k < offsets.length && (erode ? v > 0 : v < 1); k += 2) {
        const xx = x + offsets[k]!;
        const yy = y + offsets[k + 1]!;
        const c = xx >= 0 && yy >= 0 && xx < width && yy < height ? m.cov[yy * width + xx]! : 0;
        v = erode ? Math.min(v, c) : Math.max(v, c);
      }
      out[y * width + x] = v;
      if (v > 0.5) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  return { cov: out, width, height, box: [x0, y0, Math.max(x1, x0 + 1), Math.max(y1, y0 + 1)] };
}

/**
 * Stroke weight along one axis only, in mask pixels (negative thins): real crops show horizontal and
 * vertical strokes of unequal weight (plate pressing, optics, interlaced and resampled camera lines,
 * a segmenter's threshold), so the glyph is eroded or dilated along y and along x by independent amounts.
 */
const AXIS_RADII_Y_PX = [-3, -2, -1, 0, 0, 0, 1, 2];
const AXIS_RADII_X_PX = [-1.5, -0.75, 0, 0, 0, 0.75, 1.5];

/**
 * Erodes (radius < 0: min) or dilates (max) the coverage along one axis over a segment of half-length
 * |radius| (fractional radii blend the two nearest whole segments).
 */
function axisMorph(m: Mask, radius: number, vertical: boolean): Mask {
  if (radius === 0) return m;
  const { width, height, cov } = m;
  const erode = radius < 0;
  const r0 = Math.floor(Math.abs(radius));
  const f = Math.abs(radius) - r0;
  const step = vertical ? width : 1;
  const len = vertical ? height : width;
  const lines = vertical ? width : height;
  const lineStep = vertical ? 1 : width;
  const out = new Float32Array(width * height);
  for (let line = 0; line < lines; line++) {
    const start = line * lineStep;
    for (let i = 0; i < len; i++) {
      // Outside the mask is ground (0): an erosion reaching it gives 0, a dilation ignores it.
      let inner = erode ? 1 : 0;
      for (let k = Math.max(0, i - r0); k <= Math.min(len - 1, i + r0); k++) {
        const c = cov[start + k * step]!;
        inner = erode ? Math.min(c, inner) : Math.max(c, inner);
      }
      if (erode && (i - r0 < 0 || i + r0 >= len)) inner = 0;
      let v = inner;
      if (f > 0) {
        const lo = i - r0 - 1 >= 0 ? cov[start + (i - r0 - 1) * step]! : 0;
        const hi = i + r0 + 1 < len ? cov[start + (i + r0 + 1) * step]! : 0;
        const edge = erode ? Math.min(inner, lo, hi) : Math.max(inner, lo, hi);
        v = inner * (1 - f) + edge * f;
      }
      out[start + i * step] = v;
    }
  }
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (out[y * width + x]! > 0.5) {
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x + 1 > x1) x1 = x + 1;
        if (y + 1 > y1) y1 = y + 1;
      }
    }
  }
  return { cov: out, width, height, box: [x0, y0, Math.max(x1, x0 + 1), Math.max(y1, y0 + 1)] };
}

function inkSum(m: Mask): number {
  let sum = 0;
  for (let i = 0; i < m.cov.length; i++) sum += m.cov[i]!;
  return sum;
}

const boldMasks = new Map<string, Mask>();
function boldMask(source: SampleSourceName, cell: CellVariant, ch: string, radius: number): Mask {
  const base = glyphMask(source, cell, ch);
  if (radius === 0) return base;
  const key = `${source}|${cellKey(cell)}|${ch}|${radius}`;
  let m = boldMasks.get(key);
  if (!m) {
    m = dilate(base, radius);
    boldMasks.set(key, m);
  }
  return m;
}

/** The cell a character is drawn in: "I" as wide as its stroke, "1" about half width (as plates lay out). */
function charCell(cell: CellVariant, ch: string): CellVariant {
  if (ch === "I") return { ...cell, widthMm: cell.strokeMm };
  if (ch === "1") return { ...cell, widthMm: Math.round(cell.widthMm * 0.52) };
  return cell;
}

/** The glyph drawn once at MASK_HEIGHT_PX as coverage 0..1 (cached per source, cell and character). */
function glyphMask(source: SampleSourceName, baseCell: CellVariant, ch: string): Mask {
  const cell = charCell(baseCell, ch);
  const key = `${source}|${cellKey(cell)}|${ch}`;
  let m = masks.get(key);
  if (m) return m;
  const scale = MASK_HEIGHT_PX / cell.heightMm;
  const pad = 4;
  const contours: Contour[] = sampleSource(source)
    .glyph(ch, cell)
    .map((c) => c.map((v) => v * scale + pad));
  // Training fonts keep their own width (an italic overhangs): the canvas holds the whole outline.
  let maxX = cell.widthMm * scale + pad;
  for (const c of contours) for (let i = 0; i < c.length; i += 2) maxX = Math.max(maxX, c[i]!);
  const width = Math.ceil(maxX) + pad;
  const height = MASK_HEIGHT_PX + 2 * pad;
  const canvas = new Canvas(width, height);
  canvas.fill(255, 255, 255);
  canvas.fillPolygons(contours, 0, 0, 0);
  const grey = canvas.toGrey8();
  const cov = new Float32Array(width * height);
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 1 - grey[y * width + x]! / 255;
      cov[y * width + x] = v;
      if (v > 0.5) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  m = { cov, width, height, box: [x0, y0, Math.max(x1, x0 + 1), Math.max(y1, y0 + 1)] };
  masks.set(key, m);
  return m;
}

function bilinear(m: Mask, x: number, y: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  if (fx < 0 || fy < 0 || fx + 1 >= m.width || fy + 1 >= m.height) return 0;
  const ax = x - fx;
  const ay = y - fy;
  const i = fy * m.width + fx;
  const c = m.cov;
  return (
    (c[i]! * (1 - ax) + c[i + 1]! * ax) * (1 - ay) +
    (c[i + m.width]! * (1 - ax) + c[i + m.width + 1]! * ax) * ay
  );
}

function pickWeighted<K extends string>(rng: Rng, weights: Record<K, number>): K {
  return rng.weighted(weights);
}

/** One box-filter pass along a line of `len` samples starting at `start`, `stride` apart (edges averaged short). */
function boxLine(
  img: Float32Array,
  tmp: Float32Array,
  start: number,
  stride: number,
  len: number,
  r: number,
): void {
  for (let i = 0; i < len; i++) {
    let s = 0;
    let n = 0;
    for (let k = -r; k <= r; k++) {
      const ii = i + k;
      if (ii >= 0 && ii < len) {
        s += img[start + ii * stride]!;
        n++;
      }
    }
    tmp[i] = s / n;
  }
  for (let i = 0; i < len; i++) img[start + i * stride] = tmp[i]!;
}

/** Separable box-approximated Gaussian blur (3 box passes) of a float image in place. */
function blur(img: Float32Array, w: number, h: number, sigma: number): void {
  if (sigma < 0.3) return;
  const r = Math.max(1, Math.round(Math.sqrt((12 * sigma * sigma) / 3 + 1) / 2));
  const tmp = new Float32Array(Math.max(w, h));
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < h; y++) boxLine(img, tmp, y * w, 1, w, r);
    for (let x = 0; x < w; x++) boxLine(img, tmp, x, w, h, r);
  }
}

/**
 * Relative share of each class among the crops. "I" appears only in Northern Ireland marks, and the real
 * plate font's "1" often loses its small flag at camera resolution, leaving a bar like an "I": so fewer
 * "I" crops and some flagless "1" crops make a bare bar read "1" unless the position needs a letter.
 * Likewise the letter "O" and the figure "0" share one shape in the UK font (and in the DIN-style fonts
 * of many European plates), and the letter is the rarer of the two on plates: UK marks keep it out of
 * the year letters, and France, Italy, Spain and the Netherlands leave it out altogether. So fewer "O"
 * crops make that shape read "0" unless the position needs a letter. "Q", an O with a tail that blur or
 * a low threshold can drop or fake, is rarer still (UK marks carry it only as the first letter of a Q
 * mark): at the same half share, so an O that loses share does not turn into a Q.
 */
const CLASS_WEIGHTS: number[] = [...CHAR_CLASSES].map((ch) =>
  ch === "I" ? 0.4 : ch === "O" || ch === "Q" ? 0.5 : 1,
);
const CLASS_WEIGHT_SUM = CLASS_WEIGHTS.reduce((a, b) => a + b, 0);
/** Share of "1" crops drawn as a bare bar (flag lost). */
const FLAGLESS_ONE_SHARE = 0.5;

function pickClass(rng: Rng): number {
  let r = rng.next() * CLASS_WEIGHT_SUM;
  for (let c = 0; c < CLASS_WEIGHTS.length; c++) {
    r -= CLASS_WEIGHTS[c]!;
    if (r < 0) return c;
  }
  return CLASS_WEIGHTS.length - 1;
}

/** Box-averages the image down by `factor` and bilinearly back up, in place. */
function pixelate(img: Float32Array, w: number, h: number, factor: number): void {
  const sw = Math.max(2, Math.round(w / factor));
  const sh = Math.max(2, Math.round(h / factor));
  const small = new Float32Array(sw * sh);
  const count = new Float32Array(sw * sh);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(sh - 1, Math.floor((y * sh) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(sw - 1, Math.floor((x * sw) / w));
      small[sy * sw + sx]! += img[y * w + x]!;
      count[sy * sw + sx]! += 1;
    }
  }
  for (let i = 0; i < small.length; i++) small[i] = small[i]! / Math.max(1, count[i]!);
  for (let y = 0; y < h; y++) {
    const fy = Math.min(sh - 1.001, Math.max(0, ((y + 0.5) * sh) / h - 0.5));
    const y0 = Math.floor(fy);
    const ay = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(sw - 1.001, Math.max(0, ((x + 0.5) * sw) / w - 0.5));
      const x0 = Math.floor(fx);
      const ax = fx - x0;
      const i = y0 * sw + x0;
      img[y * w + x] =
        (small[i]! * (1 - ax) + small[i + 1]! * ax) * (1 - ay) +
        (small[i + sw]! * (1 - ax) + small[i + sw + 1]! * ax) * ay;
    }
  }
}

/** The JPEG standard's luminance quantisation table (quality 50), row-major. */
const JPEG_LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
/** Orthonormal 8-point DCT-II basis: DCT_BASIS[u * 8 + x]. */
const DCT_BASIS = Float64Array.from({ length: 64 }, (_, k) => {
  const u = k >> 3;
  const x = k & 7;
  return (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
});

/**
 * A grey JPEG encode and decode of a float image in place: 8 × 8 blocks on a grid offset by (offX,
 * offY) (edges replicated), DCT, quantisation with the standard table scaled to `quality` (1..100), inverse.
 */
function jpegRoundTrip(
  img: Float32Array,
  w: number,
  h: number,
  quality: number,
  offX: number,
  offY: number,
): void {
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  const q = JPEG_LUMA_Q.map((v) => Math.max(1, Math.floor((v * scale + 50) / 100)));
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  for (let by = -offY; by < h; by += 8) {
    for (let bx = -offX; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const yy = Math.min(h - 1, Math.max(0, by + y));
        for (let x = 0; x < 8; x++) {
          const xx = Math.min(w - 1, Math.max(0, bx + x));
          block[y * 8 + x] = Math.max(0, Math.min(255, img[yy * w + xx]!)) - 128;
        }
      }
      // rows then columns: F = B · f · Bᵀ
      for (let y = 0; y < 8; y++)
        for (let u = 0; u < 8; u++) {
          let acc = 0;
          for (let x = 0; x < 8; x++) acc += DCT_BASIS[u * 8 + x]! * block[y * 8 + x]!;
          tmp[y * 8 + u] = acc;
        }
      for (let v = 0; v < 8; v++)
        for (let u = 0; u < 8; u++) {
          let acc = 0;
          for (let y = 0; y < 8; y++) acc += DCT_BASIS[v * 8 + y]! * tmp[y * 8 + u]!;
          const k = v * 8 + u;
          block[k] = Math.round(acc / q[k]!) * q[k]!;
        }
      // inverse: f = Bᵀ · F · B
      for (let v = 0; v < 8; v++)
        for (let x = 0; x < 8; x++) {
          let acc = 0;
          for (let u = 0; u < 8; u++) acc += DCT_BASIS[u * 8 + x]! * block[v * 8 + u]!;
          tmp[v * 8 + x] = acc;
        }
      for (let y = 0; y < 8; y++) {
        const yy = by + y;
        if (yy < 0 || yy >= h) continue;
        for (let x = 0; x < 8; x++) {
          const xx = bx + x;
          if (xx < 0 || xx >= w) continue;
          let acc = 0;
          for (let v = 0; v < 8; v++) acc += DCT_BASIS[v * 8 + y]! * tmp[v * 8 + x]!;
          img[yy * w + xx] = acc + 128;
        }
      }
    }
  }
}

/**
 * Turns a coverage image (0 ground .. 1 ink) into the grey crop a camera and a segmenter hand over:
 * ground and ink levels, contrast from strong to weak, an uneven gradient, a shadow edge, sensor noise,
 * JPEG, optional binarisation at `thresholdAt`, and light on dark (15%).
 */
function expose(
  rng: Rng,
  cov: Float32Array,
  width: number,
  height: number,
  binarise: boolean,
  thresholdAt: number,
): { grey: Uint8Array; inverted: boolean } {
  // Light: ground and ink levels, contrast from strong to weak, an uneven gradient, sensor noise.
  const ground = rng.range(120, 250);
  const contrast = rng.range(0.3, 1) * ground;
  const ink = ground - contrast;
  const gx = rng.normal() * 0.15 * contrast;
  const gy = rng.normal() * 0.15 * contrast;
  const noise = rng.chance(0.7) ? rng.range(0, 0.12) * contrast : 0;
  // A shadow edge (a bumper's or a frame's) darkens one side of a straight line across the crop.
  const shadow = !binarise && rng.chance(0.12);
  const shadowAngle = rng.range(0, 2 * Math.PI);
  const shadowAt = rng.range(-0.3, 0.3);
  const shadowGain = rng.range(0.45, 0.8);
  const inverted = rng.chance(0.15);
  // JPEG compression of the photo or the camera's stream: 8 × 8 block artefacts at the frame's grid.
  const jpegQuality = rng.chance(0.4) ? rng.range(15, 75) : 0;
  const jpegOffX = rng.int(0, 7);
  const jpegOffY = rng.int(0, 7);
  const lum = new Float32Array(width * height);
  const sc = Math.cos(shadowAngle);
  const sn = Math.sin(shadowAngle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = cov[y * width + x]!;
      let v = ground + (ink - ground) * c + (gx * (x - width / 2)) / width + (gy * (y - height / 2)) / height;
      if (shadow && (x / width - 0.5) * sc + (y / height - 0.5) * sn > shadowAt) v *= shadowGain;
      v += noise * rng.normal();
      lum[y * width + x] = v;
    }
  }
  if (jpegQuality > 0) jpegRoundTrip(lum, width, height, jpegQuality, jpegOffX, jpegOffY);
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    let v = lum[i]!;
    if (binarise) v = (ground - v) / contrast > thresholdAt ? 0 : 255;
    if (inverted) v = 255 - v;
    grey[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return { grey, inverted };
}

/**
 * Horizontal scale of a glyph against its cell: a camera that looks at the plate from the side of the
 * lane or from above foreshortens it (cos of the angle: narrower, never wider), pixel aspect and resizing
 * add a little either way; so mostly narrower than drawn (down to 0.74), a little wider (up to 1.12).
 */
const ASPECT_MIN = 0.74;
const ASPECT_MAX = 1.12;

export interface GlyphSampleOptions {
  /** Force the class (default: uniform over the 36). */
  label?: number;
}

/** One synthetic character crop, fully determined by `seed`. */
export function glyphSample(seed: number, options: GlyphSampleOptions = {}): GlyphSample {
  const rng = new Rng(seed, 0x636c73);
  const label = options.label ?? pickClass(rng);
  const ch = CHAR_CLASSES[label]!;
  const source = pickWeighted(rng, SOURCE_WEIGHTS);
  const cells = source === "plate-font" ? PLATE_FONT_CELLS : FONT_CELLS;
  const cell =
    source === "plate-font"
      ? { ...rng.pick(cells), bowlExponent: rng.pick(BOWL_EXPONENTS), wApex: rng.pick(W_APEXES) }
      : rng.pick(cells);
  const flagless = ch === "1" && rng.chance(FLAGLESS_ONE_SHARE);
  const bold = rng.pick(BOLD_RADII_PX);
  const axisY = rng.pick(AXIS_RADII_Y_PX);
  const axisX = rng.pick(AXIS_RADII_X_PX);
  const weighted = (c: string): Mask => {
    const base = boldMask(source, cell, c, bold);
    const m = axisMorph(axisMorph(base, axisY, true), axisX, false);
    // A light face thinned again can lose whole strokes: keep the glyph as it was then.
    return inkSum(m) < 0.6 * inkSum(base) ? base : m;
  };
  const mask = weighted(flagless ? "I" : ch);

  // Geometry: glyph height in the crop (log-uniform 11..60 px), aspect (ASPECT_MIN..ASPECT_MAX), rotation, shear.
  const glyphH = Math.exp(rng.range(Math.log(11), Math.log(60)));
  const s = glyphH / MASK_HEIGHT_PX;
  const sx = s * rng.range(ASPECT_MIN, ASPECT_MAX);
  const sy = s;
  const theta = (rng.normal() * 2.5 * Math.PI) / 180;
  // Slant: mostly upright (small shear), a fifth slanted like an italic or a leaning plate font.
  const shear = rng.chance(0.2) ? rng.range(-0.25, 0.25) : rng.normal() * 0.06;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // Forward map (mask → crop) around the ink box centre: A = R · Shear · Scale.
  const a11 = cos * sx - sin * 0;
  const a12 = cos * shear * sy - sin * sy;
  const a21 = sin * sx;
  const a22 = sin * shear * sy + cos * sy;
  const det = a11 * a22 - a12 * a21;
  const [bx0, by0, bx1, by1] = mask.box;
  const cxm = (bx0 + bx1) / 2;
  const cym = (by0 + by1) / 2;
  // Ink box of the transformed glyph (corners of the mask's ink box).
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [px, py] of [
    [bx0, by0],
    [bx1, by0],
    [bx0, by1],
    [bx1, by1],
  ] as const) {
    const dx = px - cxm;
    const dy = py - cym;
    const X = a11 * dx + a12 * dy;
    const Y = a21 * dx + a22 * dy;
    minX = Math.min(minX, X);
    maxX = Math.max(maxX, X);
    minY = Math.min(minY, Y);
    maxY = Math.max(maxY, Y);
  }
  const inkW = maxX - minX;
  const inkH = maxY - minY;
  // The box the segmenter would hand over: tight to loose, occasionally clipping a pixel.
  const loose = rng.chance(0.2) ? 0.25 : 0.12;
  const mL = rng.range(-0.03, loose) * glyphH;
  const mR = rng.range(-0.03, loose) * glyphH;
  const mT = rng.range(-0.03, 0.18) * glyphH;
  const mB = rng.range(-0.03, 0.18) * glyphH;
  const pad = 2;
  const boxW = Math.max(2, Math.round(inkW + mL + mR));
  const boxH = Math.max(2, Math.round(inkH + mT + mB));
  const width = boxW + 2 * pad;
  const height = boxH + 2 * pad;
  // Crop coordinates of the glyph centre.
  const cx = pad + mL - minX;
  const cy = pad + mT - minY;

  const cov = new Float32Array(width * height);
  const ss = Math.min(4, Math.max(1, Math.ceil(1 / s / 2)));
  // Elastic warp (smooth sinusoidal displacement in mask pixels): moves a B's or an 8's waist, an M's
  // V, a 6's hook, the way real plate fonts and optics differ from any one outline.
  const elastic = rng.chance(0.6);
  const ex = elastic ? rng.range(0, 3) : 0;
  const ey = elastic ? rng.range(0, 3) : 0;
  const lx = rng.range(50, 140);
  const ly = rng.range(50, 140);
  const px = rng.range(0, 2 * Math.PI);
  const py = rng.range(0, 2 * Math.PI);
  const paint = (m: Mask, offX: number, offY: number): void => {
    const mcx = (m.box[0] + m.box[2]) / 2;
    const mcy = (m.box[1] + m.box[3]) / 2;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let j = 0; j < ss; j++) {
          for (let i = 0; i < ss; i++) {
            const X = x + (i + 0.5) / ss - cx - offX;
            const Y = y + (j + 0.5) / ss - cy - offY;
            // Inverse map crop → mask.
            const u = (a22 * X - a12 * Y) / det + mcx;
            const v = (-a21 * X + a11 * Y) / det + mcy;
            const du = ex * Math.sin((2 * Math.PI * v) / lx + px);
            const dv = ey * Math.sin((2 * Math.PI * v) / ly + py);
            acc += bilinear(m, u + du, v + dv);
          }
        }
        const c = acc / (ss * ss);
        if (c > cov[y * width + x]!) cov[y * width + x] = c;
      }
    }
  };
  paint(mask, 0, 0);
  // Neighbours: the next glyph along the plate intrudes into a loose box.
  const gap = (11 / 79) * glyphH * rng.range(0.6, 1.4);
  if (rng.chance(0.3)) {
    const other = weighted(CHAR_CLASSES[rng.int(0, 35)]!);
    const ow = (other.box[2] - other.box[0]) * sx;
    paint(other, -(inkW / 2 + gap + ow / 2), 0);
  }
  if (rng.chance(0.3)) {
    const other = weighted(CHAR_CLASSES[rng.int(0, 35)]!);
    const ow = (other.box[2] - other.box[0]) * sx;
    paint(other, inkW / 2 + gap + ow / 2, 0);
  }
  // Plate border or band edge above or below.
  if (rng.chance(0.08)) {
    const thick = Math.max(1, Math.round(rng.range(0.03, 0.08) * glyphH));
    const top = rng.chance(0.5);
    const at = top
      ? Math.round(pad + mT - rng.range(0.08, 0.2) * glyphH)
      : Math.round(pad + mT + inkH + rng.range(0.08, 0.2) * glyphH);
    for (let y = at; y < at + thick; y++) {
      if (y < 0 || y >= height) continue;
      for (let x = 0; x < width; x++) cov[y * width + x] = 1;
    }
  }
  // Occluding blob: a screw head (ink-coloured) or dirt/glare (ground-coloured).
  if (rng.chance(0.08)) {
    const r = rng.range(0.04, 0.1) * glyphH;
    const ox = rng.range(pad + mL, pad + mL + inkW);
    const oy = rng.range(pad + mT, pad + mT + inkH);
    const value = rng.chance(0.5) ? 1 : 0;
    for (let y = Math.floor(oy - r); y <= oy + r; y++) {
      for (let x = Math.floor(ox - r); x <= ox + r; x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        if ((x - ox) ** 2 + (y - oy) ** 2 <= r * r) cov[y * width + x] = value;
      }
    }
  }
  // A crop binarised by a thresholding segmenter: decided first, since a heavy blur or a shadow edge
  // under a global threshold leaves a solid blob no reader could name (noise labels, not realism).
  const binarise = rng.chance(0.35);
  // A low threshold fattens strokes and closes counters, as real binarised crops show.
  const thresholdAt = rng.range(0.15, 0.65);
  // Optics: blur (defocus, motion, low resolution).
  const blurMax = binarise ? 0.7 : 1.2;
  blur(cov, width, height, rng.chance(0.7) ? rng.range(0, blurMax) * Math.max(0.5, glyphH / 40) : 0);

  // Low resolution seen larger: a small sensor image upscaled (blocky, jagged edges once thresholded).
  if (rng.chance(0.3)) pixelate(cov, width, height, rng.range(1.5, 3));

  const { grey, inverted } = expose(rng, cov, width, height, binarise, thresholdAt);
  return { grey, width, height, box: { x: pad, y: pad, w: boxW, h: boxH }, inverted, label };
}

/** Label of a box that holds no character: trained towards equal scores for all 36 classes. */
export const NOT_A_CHARACTER = CHAR_CLASSES.length;

type JunkKind = "dash" | "screw" | "shield" | "stars" | "edge" | "blobs" | "empty";
const JUNK_WEIGHTS: Record<JunkKind, number> = {
  dash: 0.18,
  screw: 0.14,
  shield: 0.18,
  stars: 0.1,
  edge: 0.16,
  blobs: 0.14,
  empty: 0.1,
};

/**
 * One box a segmenter may cut that holds no character, fully determined by `seed`: a separator dash,
 * a screw head, a coat of arms (a shield with a lighter cross), a ring of band stars, the dark plate
 * edge or frame, dirt blobs, or bare ground; degraded like the character crops. Its label is
 * NOT_A_CHARACTER: trained towards equal scores, so the syntax's stray-box handling can drop it.
 */
export function junkSample(seed: number): GlyphSample {
  const rng = new Rng(seed, 0x6a6e6b);
  const kind = rng.weighted(JUNK_WEIGHTS);
  const h = Math.max(8, Math.round(Math.exp(rng.range(Math.log(11), Math.log(60)))));
  const w = Math.max(3, Math.round(h * (kind === "edge" ? rng.range(0.6, 1.2) : rng.range(0.35, 1))));
  const pad = 2;
  const width = w + 2 * pad;
  const height = h + 2 * pad;
  const cov = new Float32Array(width * height);
  // Supersampled fill of the region where inside(x, y) holds (crop pixel coordinates), at coverage v.
  const fill = (inside: (x: number, y: number) => boolean, v = 1): void => {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        let n = 0;
        for (let j = 0; j < 3; j++)
          for (let i = 0; i < 3; i++) if (inside(x + (i + 0.5) / 3, y + (j + 0.5) / 3)) n++;
        if (n > 0) cov[y * width + x] = cov[y * width + x]! * (1 - n / 9) + v * (n / 9);
      }
  };
  const disc = (cx: number, cy: number, r: number, v = 1): void =>
    fill((x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r, v);
  const cx = pad + w / 2 + rng.range(-0.15, 0.15) * w;
  const cy = pad + h / 2 + rng.range(-0.15, 0.15) * h;
  switch (kind) {
    case "dash": {
      const t = rng.range(0.08, 0.2) * h;
      const len = Math.min(w, rng.range(0.3, 0.7) * h);
      fill((x, y) => Math.abs(x - cx) <= len / 2 && Math.abs(y - cy) <= t / 2);
      break;
    }
    case "screw": {
      const r = Math.min(w / 2, rng.range(0.15, 0.35) * h);
      disc(cx, cy, r);
      if (rng.chance(0.5)) {
        const a = rng.range(0.3, 1.2);
        fill((x, y) => Math.abs((x - cx) * Math.sin(a) - (y - cy) * Math.cos(a)) <= r * 0.12, 0);
      }
      break;
    }
    case "shield": {
      const sw = rng.range(0.6, 0.95) * w;
      const sh = rng.range(0.45, 0.75) * h;
      const top = pad + rng.range(0, 0.25) * h;
      const inside = (x: number, y: number): boolean => {
        const t = (y - top) / sh;
        if (t < 0 || t > 1) return false;
        const half = t < 0.55 ? sw / 2 : (sw / 2) * Math.sqrt(Math.max(0, 1 - ((t - 0.55) / 0.45) ** 2));
        return Math.abs(x - cx) <= half;
      };
      fill(inside, rng.range(0.6, 1));
      // the lighter (double) cross on three hills
      const bar = sw * 0.1;
      fill((x, y) => inside(x, y) && Math.abs(x - cx) <= bar && y - top < sh * 0.75, 0.15);
      fill(
        (x, y) => inside(x, y) && Math.abs(y - top - sh * 0.3) <= bar && Math.abs(x - cx) <= sw * 0.28,
        0.15,
      );
      if (rng.chance(0.6))
        fill(
          (x, y) => inside(x, y) && Math.abs(y - top - sh * 0.5) <= bar && Math.abs(x - cx) <= sw * 0.36,
          0.15,
        );
      // small country letters under it: a short dark strip
      if (rng.chance(0.5)) {
        const ly = top + sh + rng.range(0.05, 0.12) * h;
        fill((x, y) => Math.abs(x - cx) <= sw * 0.4 && y >= ly && y <= ly + 0.14 * h, rng.range(0.5, 0.9));
      }
      break;
    }
    case "stars": {
      const R = rng.range(0.25, 0.42) * Math.min(w, h);
      const r = Math.max(0.6, rng.range(0.04, 0.08) * h);
      const scy = pad + rng.range(0.3, 0.5) * h;
      for (let k = 0; k < 12; k++)
        disc(cx + R * Math.cos((k * Math.PI) / 6), scy + R * Math.sin((k * Math.PI) / 6), r);
      if (rng.chance(0.6)) {
        const ly = scy + R + rng.range(0.1, 0.2) * h;
        fill((x, y) => Math.abs(x - cx) <= R * 0.8 && y >= ly && y <= ly + 0.2 * h, rng.range(0.6, 1));
      }
      break;
    }
    case "edge": {
      // the plate's dark frame or the car body beyond it, filling one side of the box
      // (at least 0.45 of the box height wide: a narrower dark bar is what a "1" or an "I" looks like)
      const left = rng.chance(0.5);
      const edgeAt = pad + Math.min(w, rng.range(0.45, 1) * h);
      const v = rng.range(0.6, 1);
      fill((x) => (left ? x <= edgeAt : x >= width - edgeAt), v);
      if (rng.chance(0.4)) {
        const at = left ? edgeAt + rng.range(0.05, 0.2) * w : width - edgeAt - rng.range(0.05, 0.2) * w;
        fill((x) => Math.abs(x - at) <= Math.max(0.6, 0.04 * h), v * 0.8);
      }
      break;
    }
    case "blobs": {
      const n = rng.int(2, 6);
      for (let k = 0; k < n; k++) {
        const bx = pad + rng.range(0, w);
        const by = pad + rng.range(0, h);
        const rx = rng.range(0.04, 0.25) * h;
        const ry = rng.range(0.04, 0.25) * h;
        fill((x, y) => ((x - bx) / rx) ** 2 + ((y - by) / ry) ** 2 <= 1, rng.range(0.4, 1));
      }
      break;
    }
    case "empty":
      break;
  }
  const binarise = rng.chance(0.3);
  const thresholdAt = rng.range(0.2, 0.6);
  blur(cov, width, height, rng.chance(0.7) ? rng.range(0, binarise ? 0.7 : 1.2) * Math.max(0.5, h / 40) : 0);
  if (rng.chance(0.25)) pixelate(cov, width, height, rng.range(1.5, 3));
  const { grey, inverted } = expose(rng, cov, width, height, binarise, thresholdAt);
  return { grey, width, height, box: { x: pad, y: pad, w, h }, inverted, label: NOT_A_CHARACTER };
}
