/**
 * MaxPoolGrad: dy flows to the first strict maximum of each window in row-major order (the cpu
 * backend's rule); padding never wins, and a window without any value > -Infinity passes nothing.
 */
import { tf } from '../runtime.ts';
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
  const best = new Float32Array(channels);
  const winner = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * info.strideHeight - info.padInfo.top;
      const rFrom = Math.max(0, r0);
      const rTo = Math.min(inHeight, r0 + info.filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * info.strideWidth - info.padInfo.left;
        const cFrom = Math.max(0, c0);
        const cTo = Math.min(inWidth, c0 + info.filterWidth);
        best.fill(-Infinity);
        winner.fill(-1);
        for (let r = rFrom; r < rTo; r++) {
          for (let c = cFrom; c < cTo; c++) {
            const base = ((b * inHeight + r) * inWidth + c) * channels;
            for (let d = 0; d < channels; d++) {
              const v = x[base + d];
              if (v > best[d]) {
                best[d] = v;
                winner[d] = base + d;
              }
            }
          }
        }
        const gBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let d = 0; d < channels; d++) if (winner[d] >= 0) out[winner[d]] += g[gBase + d];
      }
    }
  }
  return dx;
}
