// Messages between the page (main.ts) and the training worker (worker.ts).

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; wasmUrl: string; dataUrl: string }
  | { type: 'train'; epochs: number; hidden: number; batchSize: number; learningRate: number; seed: number }
  | { type: 'stop' }
  | { type: 'compress'; what: 'quantize' | 'prune' }
  | { type: 'bench'; steps: number };

/** One row of the compression table. */
export interface CompressRow {
  name: string;
  bytes: number;
  accuracy: number;
  /** Inference throughput on the test digits. */
  rowsPerSecond: number;
  note: string;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; train: number; test: number; simd: boolean; loadMs: number }
  | { type: 'progress'; epoch: number; epochs: number; batch: number; batches: number; loss: number; accuracy: number; samplesPerSecond: number; etaSeconds: number }
  | { type: 'epoch'; epoch: number; loss: number; accuracy: number; valLoss: number; valAccuracy: number; testAccuracy: number; model: Uint8Array }
  | { type: 'done'; epochs: number; seconds: number; testAccuracy: number; stopped: boolean }
  | { type: 'compressed'; what: 'quantize' | 'prune'; before: CompressRow; after: CompressRow }
  | { type: 'bench'; batchSize: number; layers: string; wasmMs: number; jsMs: number }
  | { type: 'error'; message: string };
