/**
 * The mask outline of the benchmark page and the run report: against the boundary of the enlarged
 * mask computed directly (a pixel of the mask with a 4-neighbour outside it or off the image).
 */
import { describe, expect, it } from 'vitest';
import { outlineMask } from '../src/report/mask-outline.ts';
import { renderInput } from '../src/explain/heatmap.ts';
import { mulberry32 } from '../src/data/random.ts';

describe('outlineMask', () => {
  it('turns exactly the boundary pixels of the enlarged mask green, and nothing else', () => {
    const random = mulberry32(2);
    const [height, width, k] = [5, 7, 3];
    const mask = Uint8Array.from({ length: height * width }, () => (random() < 0.4 ? 1 : 0));
    const image = renderInput(
      Float32Array.from({ length: height * width }, () => random()),
      [height, width, 1],
      { upscale: k },
    );
    const outlined = outlineMask(image, mask, height, width);
    const big = (y: number, x: number) =>
      y >= 0 && x >= 0 && y < height * k && x < width * k && mask[Math.floor(y / k) * width + Math.floor(x / k)] === 1;
    let boundary = 0;
    for (let y = 0; y < height * k; y++) {
      for (let x = 0; x < width * k; x++) {
        const onBoundary = big(y, x) && (!big(y - 1, x) || !big(y + 1, x) || !big(y, x - 1) || !big(y, x + 1));
        const at = (y * width * k + x) * 4;
        const pixel = Array.from(outlined.rgba.subarray(at, at + 4));
        if (onBoundary) {
          boundary++;
          expect(pixel.slice(0, 3)).toEqual([0, 200, 0]);
        } else {
          expect(pixel).toEqual(Array.from(image.rgba.subarray(at, at + 4)));
        }
      }
    }
    expect(boundary).toBeGreaterThan(0);
  });
});
