/**
 * Pictures of relevance maps and of the inputs they explain, as plain RGBA pixel buffers (PNG
 * encoding lives in src/io/png.ts). Relevance uses a diverging scale: red = positive, blue =
 * negative, white = 0, symmetric around 0 so that equal |R| give equally strong colours.
 */
import { UserError } from '../errors.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major, alpha 255 */
  rgba: Uint8Array;
}

export interface RenderOptions {
  /** integer nearest-neighbour enlargement (default 1), e.g. 8 for 28 × 28 maps */
  upscale?: number;
}

export interface RelevanceRenderOptions extends RenderOptions {
  /** |R| shown at full colour (default: max |R| of this map, i.e. a symmetric per-image scale) */
  scale?: number;
}

/** max |R| over the finite values: the symmetric colour scale of a map (0 for an all-zero map). */
export function symmetricScale(map: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < map.length; i++) if (Number.isFinite(map[i])) max = Math.max(max, Math.abs(map[i]));
  return max;
}

/** The colour of a value v ∈ [−1, 1] (clipped; NaN is white): white fading to red above 0, to blue below. */
export function relevanceColour(v: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, Number.isNaN(v) ? 0 : v));
  const fade = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

function checkSize(length: number, height: number, width: number, channels: number, what: string): void {
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new Error(`${what}: image size must be positive integers, got ${height} × ${width}`);
  }
  if (length !== height * width * channels) {
    throw new Error(`${what}: ${length} values do not make a ${height} × ${width} × ${channels} image`);
  }
}

function checkUpscale(upscale: number | undefined): number {
  const factor = upscale ?? 1;
  if (!Number.isInteger(factor) || factor < 1 || factor > 64) {
    throw new UserError(`upscale factor ${upscale} is not allowed; it must be an integer from 1 to 64`);
  }
  return factor;
}

/** Every pixel becomes a factor × factor block. */
export function upscaleNearest(image: RgbaImage, factor: number): RgbaImage {
  const k = checkUpscale(factor);
  if (k === 1) return image;
  const width = image.width * k;
  const height = image.height * k;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const srcRow = Math.floor(y / k) * image.width;
    for (let x = 0; x < width; x++) {
      const src = (srcRow + Math.floor(x / k)) * 4;
      rgba.set(image.rgba.subarray(src, src + 4), (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

/** A relevance map [height, width] (row-major) as a red/white/blue image. */
export function renderRelevance(
  map: ArrayLike<number>,
  height: number,
  width: number,
  options: RelevanceRenderOptions = {},
): RgbaImage {
  checkSize(map.length, height, width, 1, 'renderRelevance');
  const factor = checkUpscale(options.upscale);
  const scale = options.scale ?? symmetricScale(map);
  if (!(Number.isFinite(scale) && scale >= 0)) throw new UserError(`colour scale ${scale} must be a finite number ≥ 0`);
  const rgba = new Uint8Array(height * width * 4);
  for (let i = 0; i < map.length; i++) {
    const [r, g, b] = relevanceColour(scale > 0 ? map[i] / scale : 0);
    rgba.set([r, g, b, 255], i * 4);
  }
  return upscaleNearest({ width, height, rgba }, factor);
}

export interface InputRenderOptions extends RenderOptions {
  /** value shown black (default 0) */
  min?: number;
  /** value shown white (default 1) */
  max?: number;
}

/**
 * An input sample stored height × width × channels as an image: one channel → grey, three →
 * colour, any other count → grey of the channel mean. Values are mapped linearly from [min, max].
 */
export function renderInput(
  values: ArrayLike<number>,
  shape: readonly number[],
  options: InputRenderOptions = {},
): RgbaImage {
  const [height, width, channels = 1] = shape;
  checkSize(values.length, height, width, channels, 'renderInput');
  const factor = checkUpscale(options.upscale);
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  const span = max > min ? max - min : 1;
  const byte = (v: number) => Math.round(255 * Math.max(0, Math.min(1, (v - min) / span)));
  const rgba = new Uint8Array(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    const at = p * channels;
    let rgb: [number, number, number];
    if (channels === 3) {
      rgb = [byte(values[at]), byte(values[at + 1]), byte(values[at + 2])];
    } else {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += values[at + c];
      const grey = byte(sum / channels);
      rgb = [grey, grey, grey];
    }
    rgba.set([...rgb, 255], p * 4);
  }
  return upscaleNearest({ width, height, rgba }, factor);
}

/**
 * The legend of renderRelevance: a horizontal bar from −scale (blue, left) through 0 (white,
 * centre) to +scale (red, right).
 */
export function renderColourBar(width = 256, height = 16): RgbaImage {
  if (!(Number.isInteger(width) && width >= 2 && Number.isInteger(height) && height >= 1)) {
    throw new UserError(`colour bar size ${width} × ${height} is not allowed; width ≥ 2 and height ≥ 1, integers`);
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let x = 0; x < width; x++) {
    const [r, g, b] = relevanceColour((2 * x) / (width - 1) - 1);
    for (let y = 0; y < height; y++) rgba.set([r, g, b, 255], (y * width + x) * 4);
  }
  return { width, height, rgba };
}
