// Messages between the page (main.ts) and the training worker (worker.ts).

/** The two networks the page trains: the MLP 784 → hidden → 10, or the CNN of `bench/cnn.js` (16/32 filters). */
export type Arch = 'mlp' | 'cnn';

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; wasmUrl: string; dataUrl: string }
  | {
      type: 'train';
      arch: Arch;
      epochs: number;
      /** Hidden units of the MLP (unused for the CNN). */
      hidden: number;
      batchSize: number;
      learningRate: number;
      seed: number;
      /** Train on the first this-many training digits (at most the 8,000 of the split); the test set stays whole. */
      trainRows: number;
    }
  | { type: 'stop' }
  | { type: 'compress'; what: 'quantize' | 'prune' }
  | { type: 'bench'; arch: Arch; steps: number };

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
  | { type: 'epoch'; arch: Arch; epoch: number; loss: number; accuracy: number; valLoss: number; valAccuracy: number; testAccuracy: number; model: Uint8Array }
  | {
      type: 'done';
      arch: Arch;
      epochs: number;
      seconds: number;
      /** Training samples per second over the batches alone (no evaluation, no saving). */
      samplesPerSecond: number;
      trainRows: number;
      testAccuracy: number;
      stopped: boolean;
    }
  /** `after` is missing when the library refused the technique for this model (`refused` says why, e.g. UNSUPPORTED). */
  | { type: 'compressed'; what: 'quantize' | 'prune'; before: CompressRow; after?: CompressRow; refused?: string }
  | { type: 'bench'; arch: Arch; batchSize: number; layers: string; wasmMs: number; jsMs: number }
  | { type: 'error'; message: string };
