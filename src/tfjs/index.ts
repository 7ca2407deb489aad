// simdnet/tfjs: TensorFlow.js / Keras Sequential layers models (model.json + weight shards) as simdnet models.
// A subpath of its own, like simdnet/onnx, so the main entry does not carry it.
export { importTfjsLayers, type TfjsImportOptions, type TfjsImportInfo, type WeightData } from './import.js';
