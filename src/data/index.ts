/**
 * The data module: validated matrices, datasets and splits, preprocessing, augmentation draws and the
 * runtime-neutral MNIST builder. The Node file loader (`loadMnist`) lives in ./mnist-node.js and is deliberately
 * not re-exported here, so importing the data module never pulls in node:fs.
 */
export {
  type Matrix,
  type MatrixInput,
  type NumericArray,
  type ShapedInput,
  isMatrix,
  isFlatNumbers,
  f32View,
  rowOf,
  selectRows,
  toMatrix,
  zeros,
} from './matrix.js';
export { Dataset, type Split, type SplitOptions, type TrainTestSplit, trainTestSplit } from './dataset.js';
export {
  MinMaxScaler,
  type MinMaxScalerJSON,
  type Scaler,
  Standardizer,
  type StandardizerJSON,
  argmaxRows,
  labelsFromOneHot,
  oneHot,
  scalerFromJSON,
  toTargets,
} from './preprocess.js';
export { ModelPreprocessing, type PreprocessingJSON, type PreprocessingOptions } from './model-preprocessing.js';
export { randomShifts, shiftImages } from './augment.js';
export { type SplitIndices, apportion } from './stratify.js';
export {
  MNIST_CLASSES,
  MNIST_PIXELS,
  MNIST_SIDE,
  type MnistSplitOptions,
  mnistFromDigitArrays,
  mnistSplit,
  mnistSplitIndices,
} from './mnist.js';
export {
  type CsvColumn,
  type CsvOptions,
  type CsvProgress,
  type CsvRowsOptions,
  type CsvSource,
  type CsvTable,
  csvFileRows,
  csvRows,
  parseCsv,
  readCsv,
  readCsvFile,
  tableToMatrix,
} from './csv.js';
