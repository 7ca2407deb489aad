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
  /** The tensor's name: how nodes refer to it. */
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
  /** int64_data (refused past ±2^53). */
  int64Data?: number[];
  /** double_data. */
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

/** A node attribute (AttributeProto): its name, type and the one field that type fills. */
export interface OnnxAttribute {
  /** The attribute's name (e.g. 'kernel_shape'). */
  name: string;
  /** An AttrType value (inferred from the field present when an old exporter left it 0). */
  type: number;
  /** A FLOAT attribute's value. */
  f?: number;
  /** An INT attribute's value (int64 in the file; refused past ±2^53). */
  i?: number;
  /** UTF-8 decoded string. */
  s?: string;
  /** A TENSOR attribute's value. */
  t?: OnnxTensor;
  /** A FLOATS attribute's values. */
  floats?: number[];
  /** An INTS attribute's values. */
  ints?: number[];
  /** A STRINGS attribute's values, UTF-8 decoded. */
  strings?: string[];
}

/** One operator of a graph (NodeProto). */
export interface OnnxNode {
  /** The node's name (may be empty). */
  name: string;
  /** The operator, e.g. 'Gemm', 'Conv', 'Relu'. */
  opType: string;
  /** '' or 'ai.onnx' for the default domain. */
  domain: string;
  /** Names of the values it reads ('' for an omitted optional input). */
  input: string[];
  /** Names of the values it writes. */
  output: string[];
  /** Its attributes. */
  attribute: OnnxAttribute[];
}

/** One dimension of a tensor type: a fixed size, a symbolic name (a dynamic batch), or unknown. */
export interface OnnxDim {
  /** A fixed size. */
  value?: number;
  /** A symbolic size, e.g. 'batch'. */
  param?: string;
}

/** A graph input, output or intermediate value: its name and type (ValueInfoProto). */
export interface OnnxValueInfo {
  /** The value's name. */
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

/** The computation (GraphProto): nodes in topological order, weights, inputs and outputs. */
export interface OnnxGraph {
  /** The graph's name. */
  name: string;
  /** The nodes, in topological order. */
  node: OnnxNode[];
  /** Weights and constants. */
  initializer: OnnxTensor[];
  /** Graph inputs; IR < 4 files also list initializers here. */
  input: OnnxValueInfo[];
  /** Graph outputs. */
  output: OnnxValueInfo[];
  /** Types of intermediate values, where the file gives them. */
  valueInfo: OnnxValueInfo[];
  /** Free text from the exporter. */
  docString?: string;
}

/** An operator set the model uses, with its version (OperatorSetIdProto). */
export interface OnnxOpset {
  /** '' (or 'ai.onnx') is the default operator set. */
  domain: string;
  /** The operator set's version, e.g. 13. */
  version: number;
}

/** A whole ONNX file (ModelProto). */
export interface OnnxModel {
  /** The ONNX IR version of the file (3–10 are read). */
  irVersion: number;
  /** Operator sets the graph uses. */
  opsetImport: OnnxOpset[];
  /** The tool that wrote the file, e.g. 'pytorch'. */
  producerName: string;
  /** That tool's version. */
  producerVersion: string;
  /** The model's namespace (often empty). */
  domain: string;
  /** The model's own version number. */
  modelVersion: number;
  /** Free text from the exporter. */
  docString: string;
  /** The computation. */
  graph: OnnxGraph;
  /** Key/value pairs the exporter stored (metadata_props). */
  metadataProps: Array<{
    /** The entry's key. */
    key: string;
    /** The entry's value. */
    value: string;
  }>;
}
