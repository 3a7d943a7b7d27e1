/**
 * Gradients of Conv2D (NHWC, dilation 1) expressed through the wasm backend's fast kernels:
 *  - w.r.t. the input: a Conv2D (XNNPACK) correlation of the zero-dilated, padded dy with the
 *    spatially flipped filter whose in/out channels are swapped;
 *  - w.r.t. the filter: a Conv2D where batch and channels trade places, or, for few input
 *    channels, one matrix product of the transposed patch matrix of x with dy.
 */
import { tf } from '../runtime.ts';
import { callKernel, floatView, release, type KernelArgs, type TensorInfo } from './kernel-calls.ts';
import { patchesTransposed } from './im2col.ts';

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

/** W[kh,kw,ci,co] → W'[KH-1-kh, KW-1-kw, co, ci]. */
function flipSwapFilter(backend: KernelArgs['backend'], filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const src = floatView(backend, filter);
  const dst = floatView(backend, out);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      const srcBase = ((kh - 1 - r) * kw + (kw - 1 - c)) * ci * co;
      const dstBase = (r * kw + c) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[srcBase + i * co + o];
      }
    }
  }
  return out;
}

/**
 * dy [B,OH,OW,C] spread onto a zero grid of [B, outH, outW, C]: dy[b,i,j] lands at
 * (top + i*strideH, left + j*strideW); anything falling outside is dropped (it meets no input).
 */
function dilateAndPad(
  backend: KernelArgs['backend'],
  dy: TensorInfo,
  strideH: number,
  strideW: number,
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
    for (let i = 0; i < dyH; i++) {
      const r = top + i * strideH;
      if (r < 0 || r >= outH) continue;
      for (let j = 0; j < dyW; j++) {
        const c = left + j * strideW;
        if (c < 0 || c >= outW) continue;
        const from = ((b * dyH + i) * dyW + j) * channels;
        dst.set(src.subarray(from, from + channels), ((b * outH + r) * outW + c) * channels);
      }
    }
  }
  return out;
}

export function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as number[];
  const info = convInfoOf(inputShape, filter.shape, attrs);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  // dx[h] = Σ_k' D[h + k' − (kh−1−padTop)] W'[k'] : a valid correlation over D padded by
  // kh−1−padTop on top, where D is dy with stride−1 zeros between its rows (and likewise columns).
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight - 1 - top - (info.outHeight - 1) * info.strideHeight + kh - 1;
  const right = info.inWidth - 1 - left - (info.outWidth - 1) * info.strideWidth + kw - 1;
  const flipped = flipSwapFilter(backend, filter);
  const correlate = (x: TensorInfo, pad: tf.backend_util.ExplicitPadding | 'valid') =>
    callKernel('Conv2D', { x, filter: flipped }, { strides: 1, pad, dilations: 1, dataFormat: 'NHWC' }, backend);
  let dx: TensorInfo;
  if (info.strideHeight === 1 && info.strideWidth === 1 && Math.min(top, left, bottom, right) >= 0) {
    // Nothing to spread: the convolution pads dy itself.
    dx = correlate(dy, [[0, 0], [top, bottom], [left, right], [0, 0]]);
  } else {
    const grid = dilateAndPad(backend, dy, info.strideHeight, info.strideWidth, top, left, info.inHeight + kh - 1, info.inWidth + kw - 1);
    dx = correlate(grid, 'valid');
    release(backend, grid);
  }
  release(backend, flipped);
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
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
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
