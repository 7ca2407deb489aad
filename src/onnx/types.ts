// The subset of ONNX's protobuf messages (onnx/onnx.proto, IR version 3–10) that simdnet reads and writes, as plain
// objects. Field names follow onnx.proto in camelCase; only the fields the importer, the exporter and their error
// messages use are kept. Decoding (src/onnx/codec.ts) refuses what this subset cannot represent faithfully —
// external data, sparse initializers, subgraph attributes, int64 values beyond ±2^53 — naming where it was found.
// Strings and non-tensor value types are recorded (a count, a kind) but not kept.

/** TensorProto.DataType values simdnet meets. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** A tensor (an initializer, a Constant node's value, an attribute's tensor). */
export interface OnnxTensor {
  name: string;
  /** Dimensions (int64 in the file; refused past 2^53). */
  dims: number[];
  /** A TensorProto.DataType value. */
  dataType: number;
  /** Little-endian bytes (raw_data), when the exporter wrote them so. */
  rawData?: Uint8Array;
  /** The typed repeated fields, when the exporter wrote those instead (float_data, int32_data, ...). */
  floatData?: number[];
  /** int32_data also carries int8, uint8, bool and float16 (as bits), per onnx.proto. */
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  /**
   * How many string_data entries a STRING tensor holds (e.g. skl2onnx's class labels). Counted, their bytes skipped
   * and never kept: simdnet computes with no strings, and the tensor helpers refuse such a tensor. A model holding
   * one cannot be re-encoded.
   */
  stringCount?: number;
}

/** AttributeProto.AttributeType values. */
export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

export interface OnnxAttribute {
  name: string;
  /** An AttrType value (inferred from the field present when an old exporter left it 0). */
  type: number;
  f?: number;
  i?: number;
  /** UTF-8 decoded string. */
  s?: string;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  strings?: string[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' or 'ai.onnx' for the default domain. */
  domain: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** One dimension of a tensor type: a fixed size, a symbolic name (a dynamic batch), or unknown. */
export interface OnnxDim {
  value?: number;
  param?: string;
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType of the element; 0 when not given. */
  elemType: number;
  /** Undefined when the file gives no shape. */
  shape?: OnnxDim[];
  /**
   * A value that is not a tensor (e.g. skl2onnx's ZipMap output, a sequence of maps): its kind only, elemType 0 and
   * no shape. Its inner types are not kept, so a model holding one cannot be re-encoded.
   */
  kind?: 'sequence' | 'map' | 'sparse' | 'optional';
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  /** Graph inputs; IR < 4 files also list initializers here. */
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxOpset {
  /** '' (or 'ai.onnx') is the default operator set. */
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsetImport: OnnxOpset[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph: OnnxGraph;
  metadataProps: Array<{ key: string; value: string }>;
}
