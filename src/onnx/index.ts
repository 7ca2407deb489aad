// simdnet/onnx: ONNX import and export. A subpath of its own so that the main entry's cold start does not pay for
// the protobuf codec and the graph mappings; the codec is our own (src/onnx/proto.ts says why).
export { importOnnx, type OnnxImportOptions, type OnnxImportInfo } from './import.js';
export { exportOnnx, type OnnxExportOptions } from './export.js';
export { decodeModel, encodeModel } from './codec.js';
export type {
  OnnxModel,
  OnnxGraph,
  OnnxNode,
  OnnxTensor,
  OnnxAttribute,
  OnnxValueInfo,
  OnnxDim,
  OnnxOpset,
} from './types.js';
