/**
 * The transposed patch matrix of an NHWC input for a kernel of kh×kw taps (dilation 1), so that
 * a convolution's filter gradient becomes one fast matrix product.
 */
import type { KernelArgs, TensorInfo } from './kernel-calls.ts';
import { floatView } from './kernel-calls.ts';

export interface PatchGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * Transposed patches [kh·kw·C, B·OH·OW]: row (i,j,c), column (b,oh,ow) holds
 * x[b, oh·sh + i − top, ow·sw + j − left, c], zero outside the image.
 */
export function patchesTransposed(backend: KernelArgs['backend'], x: TensorInfo, g: PatchGeometry): TensorInfo {
  const n = g.batch * g.outHeight * g.outWidth;
  const out = backend.makeOutput([g.filterHeight * g.filterWidth * g.channels, n], 'float32');
  const src = floatView(backend, x);
  const dst = floatView(backend, out);
  const C = g.channels;
  const imageSize = g.inHeight * g.inWidth * C;
  // Row by row, so that the large output is written sequentially.
  let at = 0;
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      for (let c = 0; c < C; c++) {
        for (let b = 0; b < g.batch; b++) {
          const image = b * imageSize + c;
          for (let oh = 0; oh < g.outHeight; oh++) {
            const r = oh * g.strideHeight + i - g.padTop;
            if (r < 0 || r >= g.inHeight) {
              dst.fill(0, at, at + g.outWidth);
              at += g.outWidth;
              continue;
            }
            const rowStart = image + r * g.inWidth * C;
            for (let ow = 0; ow < g.outWidth; ow++, at++) {
              const q = ow * g.strideWidth + j - g.padLeft;
              dst[at] = q >= 0 && q < g.inWidth ? src[rowStart + q * C] : 0;
            }
          }
        }
      }
    }
  }
  return out;
}
