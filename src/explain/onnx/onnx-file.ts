/**
 * Reading an ONNX model file: the protobuf messages this reader needs (a subset of the public
 * onnx.proto3 schema, field numbers as published there), decoded with protobufjs, and the
 * initializers turned into plain arrays.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';
import { UserError } from '../../errors.ts';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const field = (type: string, id: number) => ({ type, id });

/** The messages of onnx.proto3 that a model's graph, its nodes, attributes and tensors need. */
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: field('int64', 1),
            producer_name: field('string', 2),
            producer_version: field('string', 3),
            graph: field('GraphProto', 7),
            opset_import: repeated('OperatorSetIdProto', 8),
            functions: repeated('FunctionProto', 25),
          },
        },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
        FunctionProto: { fields: { name: field('string', 1), domain: field('string', 10) } },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: field('string', 2),
            initializer: repeated('TensorProto', 5),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: field('string', 3),
            op_type: field('string', 4),
            attribute: repeated('AttributeProto', 5),
            domain: field('string', 7),
          },
        },
        AttributeProto: {
          fields: {
            name: field('string', 1),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            type: field('int32', 20),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            data_type: field('int32', 2),
            float_data: repeated('float', 4),
            int32_data: repeated('int32', 5),
            int64_data: repeated('int64', 7),
            name: field('string', 8),
            raw_data: field('bytes', 9),
            double_data: repeated('double', 10),
            data_location: field('int32', 14),
          },
        },
        ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2) } },
        TypeProto: { fields: { tensor_type: field('TypeProtoTensor', 1) } },
        TypeProtoTensor: { fields: { elem_type: field('int32', 1), shape: field('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: repeated('Dimension', 1) } },
        Dimension: { fields: { dim_value: field('int64', 1), dim_param: field('string', 2) } },
      },
    },
  },
};

const ModelProto = protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');

/** Element types of TensorProto.data_type that initializers may have here. */
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const FLOAT16 = 10;
const DOUBLE = 11;

export interface OnnxTensor {
  dims: number[];
  /** the values as numbers (integer types included), row-major */
  values: Float32Array | Float64Array;
}

export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: RawTensor;
  floats?: number[];
  ints?: number[];
  type?: number;
}

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  /** per axis: the size, or null for a named (symbolic) dimension such as the batch */
  shape: (number | null)[] | null;
}

export interface OnnxModel {
  producer: string;
  /** version of the default ('ai.onnx') operator set */
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

interface RawTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  raw_data?: Uint8Array;
  data_location?: number;
}

interface RawValueInfo {
  name?: string;
  type?: { tensor_type?: { shape?: { dim?: { dim_value?: number; dim_param?: string }[] } } };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A tensor's values, from raw_data (little-endian) or the typed repeated fields. */
export function tensorValues(t: RawTensor, where: string): OnnxTensor {
  const dims = (t.dims ?? []).map(Number);
  const size = dims.reduce((a, b) => a * b, 1);
  if (t.data_location === 1) {
    throw new UserError(`${where}: tensor '${t.name}' keeps its data in an external file, which is not supported`);
  }
  const type = t.data_type ?? 0;
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  let values: Float32Array | Float64Array;
  if (type === FLOAT) {
    values = view
      ? Float32Array.from({ length: size }, (_, i) => view.getFloat32(4 * i, true))
      : Float32Array.from(t.float_data ?? []);
  } else if (type === FLOAT16) {
    values = view
      ? Float32Array.from({ length: size }, (_, i) => halfToFloat(view.getUint16(2 * i, true)))
      : Float32Array.from(t.int32_data ?? [], halfToFloat);
  } else if (type === DOUBLE) {
    values = view
      ? Float64Array.from({ length: size }, (_, i) => view.getFloat64(8 * i, true))
      : Float64Array.from(t.double_data ?? []);
  } else if (type === INT64) {
    values = view
      ? Float64Array.from({ length: size }, (_, i) => Number(view.getBigInt64(8 * i, true)))
      : Float64Array.from(t.int64_data ?? []);
  } else if (type === INT32) {
    values = view
      ? Float64Array.from({ length: size }, (_, i) => view.getInt32(4 * i, true))
      : Float64Array.from(t.int32_data ?? []);
  } else {
    throw new UserError(
      `${where}: tensor '${t.name}' has element type ${type}; supported: float, float16, double, int32, int64`,
    );
  }
  if (values.length !== size) {
    throw new UserError(`${where}: tensor '${t.name}' holds ${values.length} values for dimensions [${dims}]`);
  }
  return { dims, values };
}

function valueInfo(v: RawValueInfo): OnnxValueInfo {
  const dims = v.type?.tensor_type?.shape?.dim;
  return {
    name: v.name ?? '',
    shape: dims ? dims.map((d) => (d.dim_value !== undefined && d.dim_value > 0 ? Number(d.dim_value) : null)) : null,
  };
}

/** Decode the bytes of an .onnx file. `where` names the file in messages. */
export function decodeOnnx(bytes: Uint8Array, where: string): OnnxModel {
  let message: Record<string, unknown>;
  try {
    message = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new UserError(`${where} is not an ONNX model (${(e as Error).message})`);
  }
  const graph = message.graph as
    { node?: OnnxNode[]; initializer?: RawTensor[]; input?: RawValueInfo[]; output?: RawValueInfo[] } | undefined;
  if (!graph || !graph.node || graph.node.length === 0)
    throw new UserError(`${where} is not an ONNX model: it has no graph`);
  const opsets = (message.opset_import as { domain?: string; version?: number }[] | undefined) ?? [];
  const opset = opsets.find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  if (opset === undefined) throw new UserError(`${where}: the model imports no version of the standard ONNX operators`);
  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', tensorValues(t, where));
  const functions = (message.functions as { name?: string }[] | undefined) ?? [];
  const nodes = graph.node.map((n) => ({
    ...n,
    input: n.input ?? [],
    output: n.output ?? [],
    name: n.name ?? '',
    attribute: n.attribute ?? [],
  }));
  const local = nodes.filter((n) => functions.some((f) => f.name === n.op_type)).map((n) => n.op_type);
  if (local.length > 0) {
    throw new UserError(
      `${where}: the graph calls model-local functions (${[...new Set(local)].join(', ')}); export the model with its functions inlined`,
    );
  }
  const producer = [message.producer_name, message.producer_version].filter(Boolean).join(' ');
  return {
    producer: producer || 'unknown',
    opset,
    nodes,
    initializers,
    inputs: (graph.input ?? []).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
  };
}

/** Read and decode an .onnx file. */
export function readOnnxFile(path: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `model file ${path} does not exist`
        : `cannot read model file ${path}: ${(e as Error).message}`,
    );
  }
  return decodeOnnx(bytes, path);
}
