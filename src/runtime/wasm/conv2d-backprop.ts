/**
 * Gradients of Conv2D (NHWC, dilation 1) expressed through the wasm backend's fast kernels:
 *  - w.r.t. the input: per stride phase, a Conv2D (XNNPACK) correlation of dy with the phase's
 *    taps of the flipped filter whose in/out channels are swapped;
 *  - w.r.t. the filter: a Conv2D where batch and channels trade places, or, for few input
 *    channels, one matrix product of the transposed patch matrix of x with dy.
 */
import { tf } from '../tf.ts';
import { callKernel, floatView, release, type KernelArgs, type TensorInfo } from './kernel-calls.ts';
import { patchesTransposed } from './patch-matrix.ts';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

function convInfoOf(xShape: number[], filterShape: number[], attrs: KernelArgs['attrs']) {
  const { strides, pad, dimRoundingMode, dataFormat } = attrs as {
    strides: number | [number, number];
    pad: Pad;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    dataFormat?: 'NHWC' | 'NCHW';
  };
  if (dataFormat === 'NCHW') throw new Error('wasm conv2d gradients support NHWC only');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'valid',
    dimRoundingMode,
  );
}

/**
 * The taps of one stride phase, flipped, with in/out channels swapped:
 * W'[m, n, co, ci] = W[rh + (mh−1−m)·sh, rw + (mw−1−n)·sw, ci, co].
 */
function phaseFilter(
  backend: KernelArgs['backend'],
  filter: TensorInfo,
  phase: { rh: number; rw: number; mh: number; mw: number; sh: number; sw: number },
): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const { rh, rw, mh, mw, sh, sw } = phase;
  const out = backend.makeOutput([mh, mw, co, ci], 'float32');
  const src = floatView(backend, filter);
  const dst = floatView(backend, out);
  for (let m = 0; m < mh; m++) {
    for (let n = 0; n < mw; n++) {
      const srcBase = ((rh + (mh - 1 - m) * sh) * kw + (rw + (mw - 1 - n) * sw)) * ci * co;
      const dstBase = (m * mw + n) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[srcBase + i * co + o];
      }
    }
  }
  return out;
}

/** dy [B,OH,OW,C] placed at (top, left) in a zero [B, outH, outW, C]; what falls outside is cut. */
function shifted(
  backend: KernelArgs['backend'],
  dy: TensorInfo,
  top: number,
  left: number,
  outH: number,
  outW: number,
): TensorInfo {
  const [batch, dyH, dyW, channels] = dy.shape;
  const out = backend.makeOutput([batch, outH, outW, channels], 'float32');
  const src = floatView(backend, dy);
  const dst = floatView(backend, out);
  dst.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let i = Math.max(0, -top); i < Math.min(dyH, outH - top); i++) {
      const from = (b * dyH + i) * dyW * channels;
      const to = (b * outH + top + i) * outW * channels;
      const j0 = Math.max(0, -left);
      const j1 = Math.min(dyW, outW - left);
      if (j1 > j0) dst.set(src.subarray(from + j0 * channels, from + j1 * channels), to + (left + j0) * channels);
    }
  }
  return out;
}

/** One axis of a stride phase r: which taps and which output positions q (x index q·s + r − pad). */
function phaseAxis(r: number, stride: number, kernel: number, pad: number, inLen: number, dyLen: number) {
  const taps = Math.ceil((kernel - r) / stride);
  const first = Math.ceil((pad - r) / stride);
  const count = Math.floor((inLen - 1 + pad - r) / stride) - first + 1;
  const before = taps - 1 - first;
  const after = count + taps - 1 - before - dyLen;
  return { taps, first, count, before, after };
}

/**
 * dx[h] = Σ_m dy[q − m] · W[r + m·s] for h + pad = q·s + r: each of the s×s stride phases is an
 * ordinary stride-1 correlation of dy with its own taps (no work on inserted zeros); the phases
 * are then interleaved into dx. With stride 1 there is one phase and it is dx.
 */
export function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = convInfoOf(inputShape, filter.shape, attrs);
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const batch = dy.shape[0];
  const channels = info.inChannels;
  const parts: Array<{ out: TensorInfo; rh: number; rw: number; firstH: number; firstW: number }> = [];
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const v = phaseAxis(rh, sh, info.filterHeight, info.padInfo.top, info.inHeight, info.outHeight);
      const u = phaseAxis(rw, sw, info.filterWidth, info.padInfo.left, info.inWidth, info.outWidth);
      if (v.taps <= 0 || u.taps <= 0 || v.count <= 0 || u.count <= 0) continue; // stays zero
      const taps = phaseFilter(backend, filter, { rh, rw, mh: v.taps, mw: u.taps, sh, sw });
      const conv = (x: TensorInfo, pad: tf.backend_util.ExplicitPadding | 'valid') =>
        callKernel('Conv2D', { x, filter: taps }, { strides: 1, pad, dilations: 1, dataFormat: 'NHWC' }, backend);
      let out: TensorInfo;
      if (Math.min(v.before, v.after, u.before, u.after) >= 0) {
        out = conv(dy, [
          [0, 0],
          [v.before, v.after],
          [u.before, u.after],
          [0, 0],
        ]);
      } else {
        const grid = shifted(backend, dy, v.before, u.before, v.count + v.taps - 1, u.count + u.taps - 1);
        out = conv(grid, 'valid');
        release(backend, grid);
      }
      release(backend, taps);
      if (sh === 1 && sw === 1) return out;
      parts.push({ out, rh, rw, firstH: v.first, firstW: u.first });
    }
  }
  const dx = backend.makeOutput([batch, info.inHeight, info.inWidth, channels], 'float32');
  const dst = floatView(backend, dx);
  dst.fill(0);
  for (const { out, rh, rw, firstH, firstW } of parts) {
    const src = floatView(backend, out);
    const [, count, countW] = out.shape;
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < count; j++) {
        const h = (firstH + j) * sh + rh - info.padInfo.top;
        for (let i = 0; i < countW; i++) {
          const w = (firstW + i) * sw + rw - info.padInfo.left;
          const from = ((b * count + j) * countW + i) * channels;
          dst.set(src.subarray(from, from + channels), ((b * info.inHeight + h) * info.inWidth + w) * channels);
        }
      }
    }
  }
  release(backend, ...parts.map((p) => p.out));
  return dx;
}

/**
 * Below this many input channels the patch matrix is small and one product beats the conv2d
 * formulation (measured: 1 channel 12 ms vs 41 ms; 32 channels 72 ms vs 55 ms, MNIST CNN shapes).
 */
const PATCH_PRODUCT_MAX_CHANNELS = 8;

export function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const filterShape = args.attrs.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, args.attrs);
  return info.inChannels < PATCH_PRODUCT_MAX_CHANNELS ? filterGradByPatches(args, info) : filterGradByConv(args, info);
}

type ConvInfo = ReturnType<typeof convInfoOf>;

/** dW[(i,j,c), o] = Σ_n patchesᵀ[(i,j,c), n] · dy[n, o] with n = (b, oh, ow): one product. */
function filterGradByPatches({ inputs, backend }: KernelArgs, info: ConvInfo): TensorInfo {
  const { x, dy } = inputs;
  const cols = patchesTransposed(backend, x, {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  });
  const dy2 = callKernel('Reshape', { x: dy }, { shape: [-1, info.outChannels] }, backend);
  const product = callKernel('BatchMatMul', { a: cols, b: dy2 }, { transposeA: false, transposeB: false }, backend);
  const dw = callKernel('Reshape', { x: product }, { shape: info.filterShape }, backend);
  release(backend, cols, dy2, product);
  return dw;
}

/**
 * Batch and channels trade places: x as [inC, H, W, batch] correlated with dy as the "filter"
 * [outH, outW, batch, outC], dilated by the stride, gives dW as [inC, kh, kw, outC].
 */
function filterGradByConv({ inputs, backend }: KernelArgs, info: ConvInfo): TensorInfo {
  const { x, dy } = inputs;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const { top, left } = info.padInfo;
  const reach = (dyLen: number, stride: number, k: number) => (dyLen - 1) * stride + k;
  // Pad only what the outermost kernel tap at the last output position reads.
  const bottom = Math.max(0, reach(info.outHeight, info.strideHeight, kh) - top - info.inHeight);
  const right = Math.max(0, reach(info.outWidth, info.strideWidth, kw) - left - info.inWidth);
  const xT = callKernel('Transpose', { x }, { perm: [3, 1, 2, 0] }, backend);
  const dyT = callKernel('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend);
  const full = callKernel(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: 1,
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dilations: [info.strideHeight, info.strideWidth],
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    },
    backend,
  );
  release(backend, xT, dyT);
  // Rows past what the stride reaches may make the result larger than the kernel: cut them off.
  let cut = full;
  if (full.shape[1] !== kh || full.shape[2] !== kw) {
    cut = callKernel('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] }, backend);
    release(backend, full);
  }
  const dw = callKernel('Transpose', { x: cut }, { perm: [1, 2, 0, 3] }, backend);
  release(backend, cut);
  return dw;
}
