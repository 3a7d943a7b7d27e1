/** Heat-map colours and image shapes, checked pixel by pixel. */
import { describe, expect, it } from 'vitest';
import {
  relevanceColour,
  renderColourBar,
  renderInput,
  renderRelevance,
  symmetricScale,
  upscaleNearest,
} from '../src/explain/heatmap.ts';
import { UserError } from '../src/errors.ts';

const pixel = (img: { width: number; rgba: Uint8Array }, x: number, y: number) =>
  Array.from(img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

describe('renderRelevance', () => {
  it('shows positive as red, negative as blue, zero as white, on a symmetric per-image scale', () => {
    // max |R| = 4 comes from the negative side; +2 is half as strong as −4
    const img = renderRelevance([4 / 2, 0, -4, -1], 2, 2);
    expect([img.width, img.height, img.rgba.length]).toEqual([2, 2, 16]);
    expect(pixel(img, 0, 0)).toEqual([255, 128, 128, 255]);
    expect(pixel(img, 1, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(img, 0, 1)).toEqual([0, 0, 255, 255]);
    expect(pixel(img, 1, 1)).toEqual([191, 191, 255, 255]);
  });

  it('gives opposite values mirrored colours and the strongest value full colour', () => {
    const img = renderRelevance([0.3, -0.3, 0.9, -0.9], 1, 4);
    const [r0, g0, b0] = pixel(img, 0, 0);
    const [r1, g1, b1] = pixel(img, 1, 0);
    expect([r0, g0, b0]).toEqual([b1, g1, r1]);
    expect(pixel(img, 2, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(img, 3, 0)).toEqual([0, 0, 255, 255]);
  });

  it('is scale invariant, accepts a fixed scale, and draws an all-zero map white', () => {
    const map = [1, -2, 0.5, 0];
    expect(renderRelevance(map, 2, 2).rgba).toEqual(
      renderRelevance(
        map.map((v) => 1000 * v),
        2,
        2,
      ).rgba,
    );
    const fixed = renderRelevance([1, -1], 1, 2, { scale: 4 });
    expect(pixel(fixed, 0, 0)).toEqual([255, 191, 191, 255]);
    const zero = renderRelevance([0, 0, 0, 0], 2, 2);
    expect(Array.from(zero.rgba).every((v) => v === 255)).toBe(true);
    expect(symmetricScale([0.5, -3, 2])).toBe(3);
    // non-finite values do not set the scale; NaN is drawn white, ±∞ at full colour
    const odd = renderRelevance([NaN, Infinity, -2, 1], 2, 2);
    expect([pixel(odd, 0, 0), pixel(odd, 1, 0), pixel(odd, 0, 1), pixel(odd, 1, 1)]).toEqual([
      [255, 255, 255, 255],
      [255, 0, 0, 255],
      [0, 0, 255, 255],
      [255, 128, 128, 255],
    ]);
  });

  it('upscales by an integer factor with nearest-neighbour blocks', () => {
    const small = renderRelevance([1, -1, 0, 0.5], 2, 2);
    const big = renderRelevance([1, -1, 0, 0.5], 2, 2, { upscale: 3 });
    expect([big.width, big.height]).toEqual([6, 6]);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 6; x++) expect(pixel(big, x, y)).toEqual(pixel(small, Math.floor(x / 3), Math.floor(y / 3)));
    }
    expect(upscaleNearest(small, 1)).toBe(small);
    expect(() => renderRelevance([1], 1, 1, { upscale: 1.5 })).toThrow(UserError);
    expect(() => renderRelevance([1], 1, 1, { upscale: 0 })).toThrow(/integer from 1 to 64/);
    expect(() => renderRelevance([1, 2, 3], 2, 2)).toThrow(/3 values/);
  });
});

describe('renderInput', () => {
  it('draws one channel as grey from [min, max] and three channels in colour', () => {
    const grey = renderInput([0, 0.5, 1, 2], [2, 2, 1]);
    expect(pixel(grey, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(grey, 1, 0)).toEqual([128, 128, 128, 255]);
    expect(pixel(grey, 0, 1)).toEqual([255, 255, 255, 255]);
    expect(pixel(grey, 1, 1)).toEqual([255, 255, 255, 255]); // clipped
    const ranged = renderInput([-1, 1], [1, 2], { min: -1, max: 1, upscale: 2 });
    expect([ranged.width, ranged.height]).toEqual([4, 2]);
    expect(pixel(ranged, 3, 1)).toEqual([255, 255, 255, 255]);
    expect(pixel(ranged, 1, 1)).toEqual([0, 0, 0, 255]);
    const colour = renderInput([1, 0, 0, 0, 0.2, 1], [1, 2, 3]);
    expect(pixel(colour, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(colour, 1, 0)).toEqual([0, 51, 255, 255]);
  });
});

describe('colour bar', () => {
  it('runs from blue through white to red', () => {
    const bar = renderColourBar(5, 2);
    expect([bar.width, bar.height]).toEqual([5, 2]);
    expect(pixel(bar, 0, 1)).toEqual([0, 0, 255, 255]);
    expect(pixel(bar, 2, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(bar, 4, 1)).toEqual([255, 0, 0, 255]);
    expect(pixel(bar, 3, 0)).toEqual([...relevanceColour(0.5), 255]);
  });
});
