// Evaluation metrics, consistent with scikit-learn: label metrics from a confusion matrix, score metrics (ROC AUC,
// top-k), regression metrics, and the metric names compile() and evaluate() take. See docs/metrics.md.
export {
  type Average,
  type ClassificationReport,
  type ClassStats,
  type ConfusionMatrix,
  type LabelMetricOptions,
  type PRF,
  type ReportOptions,
  accuracy,
  classificationReport,
  confusionMatrix,
  confusionRows,
  f1Score,
  precision,
  recall,
} from './classification.js';
export { type AucOptions, meanAbsoluteError, meanSquaredError, r2Score, rocAuc, topKAccuracy } from './scores.js';
export type { CustomMetric, Metric, MetricInfo, MetricName } from './evaluate.js';
