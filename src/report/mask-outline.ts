/** A ground-truth mask drawn on an enlarged image: its border in green (the report's mask sections and planted rows). */
import type { RgbaImage } from '../explain/heatmap.ts';

const OUTLINE: [number, number, number] = [0, 200, 0];

/**
 * Draw the border of `mask` (its pixels next to a pixel outside it, or to the image edge) onto an
 * image enlarged `factor` times: the outermost ring of each such pixel's block turns green.
 */
export function outlineMask(image: RgbaImage, mask: Uint8Array, height: number, width: number): RgbaImage {
  const factor = image.width / width;
  const rgba = image.rgba.slice();
  const inside = (r: number, c: number) => r >= 0 && c >= 0 && r < height && c < width && mask[r * width + c] !== 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const r = Math.floor(y / factor);
      const c = Math.floor(x / factor);
      if (!inside(r, c)) continue;
      const edge =
        (y % factor === 0 && !inside(r - 1, c)) ||
        (y % factor === factor - 1 && !inside(r + 1, c)) ||
        (x % factor === 0 && !inside(r, c - 1)) ||
        (x % factor === factor - 1 && !inside(r, c + 1));
      if (edge) rgba.set(OUTLINE, (y * image.width + x) * 4);
    }
  }
  return { width: image.width, height: image.height, rgba };
}
