/**
 * Operators on constants, evaluated while the file is read: exporters compute shapes and pads
 * with small subgraphs (PyTorch's F.pad: Shape → ConstantOfShape → Concat → Reshape → Slice →
 * Transpose), whose results the layers need as plain numbers. NaN stands for the batch size.
 */
import type { OnnxNode, OnnxTensor } from './onnx-file.ts';
import { tensorValues } from './onnx-file.ts';

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** values[out] = source values at index(multi-index of out in `dims`) */
function gatherBy(dims: number[], index: (at: number[]) => number, from: OnnxTensor): OnnxTensor {
  const n = size(dims);
  const values = new Float64Array(n);
  const at = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    values[k] = from.values[index(at)];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++at[d] < dims[d]) break;
      at[d] = 0;
    }
  }
  return { dims, values };
}

const normalise = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function intsOf(node: OnnxNode, name: string): number[] | undefined {
  return node.attribute.find((a) => a.name === name)?.ints;
}

function intOf(node: OnnxNode, name: string, fallback: number): number {
  return node.attribute.find((a) => a.name === name)?.i ?? fallback;
}

function broadcastBinary(a: OnnxTensor, b: OnnxTensor, op: (x: number, y: number) => number): OnnxTensor {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: number[]) => [...Array<number>(rank - d.length).fill(1), ...d];
  const [da, db] = [pad(a.dims), pad(b.dims)];
  const dims = da.map((x, i) => Math.max(x, db[i]));
  if (da.some((x, i) => x !== 1 && x !== dims[i]) || db.some((x, i) => x !== 1 && x !== dims[i]))
    throw new Error(`constants of shapes [${a.dims}] and [${b.dims}] do not broadcast`);
  const [sa, sb] = [strides(da), strides(db)];
  const flat = (t: number[], d: number[], s: number[]) => t.reduce((acc, v, i) => acc + (d[i] === 1 ? 0 : v * s[i]), 0);
  const n = size(dims);
  const values = new Float64Array(n);
  const at = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    values[k] = op(a.values[flat(at, da, sa)], b.values[flat(at, db, sb)]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++at[d] < dims[d]) break;
      at[d] = 0;
    }
  }
  return { dims, values };
}

type Fold = (node: OnnxNode, inputs: OnnxTensor[]) => OnnxTensor;

const FOLDS: Record<string, Fold> = {
  Add: (_n, [a, b]) => broadcastBinary(a, b, (x, y) => x + y),
  Sub: (_n, [a, b]) => broadcastBinary(a, b, (x, y) => x - y),
  Mul: (_n, [a, b]) => broadcastBinary(a, b, (x, y) => x * y),
  Div: (_n, [a, b]) => broadcastBinary(a, b, (x, y) => x / y),
  Cast: (_n, [a]) => a,
  Identity: (_n, [a]) => a,
  Shape: (node, [a]) => {
    const dims = a.dims.slice(intOf(node, 'start', 0), node.attribute.find((x) => x.name === 'end')?.i);
    return { dims: [dims.length], values: Float64Array.from(dims) };
  },
  ConstantOfShape: (node, [shape]) => {
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    const fill = value ? tensorValues(value, 'ConstantOfShape').values[0] : 0;
    const dims = Array.from(shape.values);
    return { dims, values: new Float64Array(size(dims)).fill(fill) };
  },
  Reshape: (node, [a, shape]) => {
    const allowZero = intOf(node, 'allowzero', 0) === 1;
    const dims = Array.from(shape.values, (d, i) => (d === 0 && !allowZero ? a.dims[i] : d));
    const known = size(dims.filter((d) => d !== -1));
    return { dims: dims.map((d) => (d === -1 ? a.values.length / known : d)), values: a.values };
  },
  Transpose: (node, [a]) => {
    const perm = intsOf(node, 'perm') ?? a.dims.map((_, i) => a.dims.length - 1 - i);
    const s = strides(a.dims);
    return gatherBy(
      perm.map((p) => a.dims[p]),
      (at) => at.reduce((acc, v, i) => acc + v * s[perm[i]], 0),
      a,
    );
  },
  Slice: (_n, [a, starts, ends, axesT, stepsT]) => {
    const rank = a.dims.length;
    const axes = axesT ? Array.from(axesT.values, (x) => normalise(x, rank)) : starts.values.map((_, i) => i);
    const begin = a.dims.map(() => 0);
    const step = a.dims.map(() => 1);
    const dims = [...a.dims];
    Array.from(axes).forEach((axis, i) => {
      const n = a.dims[axis];
      const st = stepsT ? stepsT.values[i] : 1;
      const clampIndex = (v: number, low: number, high: number) => Math.min(Math.max(v < 0 ? v + n : v, low), high);
      const from = st > 0 ? clampIndex(starts.values[i], 0, n) : clampIndex(starts.values[i], -1, n - 1);
      const to = st > 0 ? clampIndex(ends.values[i], 0, n) : clampIndex(ends.values[i], -1, n - 1);
      begin[axis] = from;
      step[axis] = st;
      dims[axis] = Math.max(0, Math.ceil((to - from) / st));
    });
    const s = strides(a.dims);
    return gatherBy(dims, (at) => at.reduce((acc, v, i) => acc + (begin[i] + v * step[i]) * s[i], 0), a);
  },
  Concat: (node, parts) => {
    const rank = parts[0].dims.length;
    const axis = normalise(intOf(node, 'axis', 0), rank);
    const dims = [...parts[0].dims];
    dims[axis] = parts.reduce((acc, p) => acc + p.dims[axis], 0);
    const offsets = parts.map((_, k) => parts.slice(0, k).reduce((acc, p) => acc + p.dims[axis], 0));
    const n = size(dims);
    const values = new Float64Array(n);
    const at = new Array<number>(rank).fill(0);
    for (let k = 0; k < n; k++) {
      let part = parts.length - 1;
      while (offsets[part] > at[axis]) part--;
      const p = parts[part];
      const ps = strides(p.dims);
      values[k] = p.values[at.reduce((acc, v, i) => acc + (i === axis ? v - offsets[part] : v) * ps[i], 0)];
      for (let d = rank - 1; d >= 0; d--) {
        if (++at[d] < dims[d]) break;
        at[d] = 0;
      }
    }
    return { dims, values };
  },
  Gather: (node, [data, indices]) => {
    const axis = normalise(intOf(node, 'axis', 0), data.dims.length);
    const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
    const s = strides(data.dims);
    const k = indices.dims.length;
    return gatherBy(
      dims,
      (at) => {
        const iFlat = at.slice(axis, axis + k).reduce((acc, v, i) => acc + v * strides(indices.dims)[i], 0);
        let index = indices.values[iFlat];
        if (index < 0) index += data.dims[axis];
        const source = [...at.slice(0, axis), index, ...at.slice(axis + k)];
        return source.reduce((acc, v, i) => acc + v * s[i], 0);
      },
      data,
    );
  },
};

export const FOLDABLE_OPERATORS: readonly string[] = Object.keys(FOLDS);

/** The node's output on constant inputs, or null when it has no constant form here. */
export function foldConstant(node: OnnxNode, inputs: OnnxTensor[]): OnnxTensor | null {
  const fold = FOLDS[node.op_type];
  return fold ? fold(node, inputs) : null;
}
