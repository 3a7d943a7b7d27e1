/** Images for the report: RGBA → PNG data URI (the report references no external file), exact values for the page. */
import { PNG } from 'pngjs';
import { UserError } from '../errors.ts';
import type { RgbaImage } from '../explain/heatmap.ts';

/** Encode RGBA bytes (width × height × 4) as a `data:image/png;base64,...` URI. */
export function rgbaToDataUri(image: RgbaImage): string {
  const { rgba, width, height } = image;
  if (rgba.length !== width * height * 4) {
    throw new UserError(
      `report image: ${rgba.length} RGBA bytes for ${width}×${height} (expected ${width * height * 4})`,
    );
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

/** Float32 values as base64 of their bytes (host order: little-endian on every Node platform), decoded exactly by the page. */
export function float32ToBase64(values: ArrayLike<number>): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}
