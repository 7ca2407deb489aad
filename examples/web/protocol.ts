// Messages between the page (main.ts) and the training worker (worker.ts).
import type { Settings } from './settings.js';

/** The two networks the page trains: the MLP 784 → hidden → 10, or the CNN of `bench/cnn.js` (16/32 filters). */
export type Arch = 'mlp' | 'cnn';

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; wasmUrl: string; dataUrl: string }
  /** The form's settings (checked against settings.ts's limits on both sides). */
  | ({ type: 'train'; seed: number } & Settings)
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
  | {
      type: 'progress';
      epoch: number;
      epochs: number;
      batch: number;
      batches: number;
      loss: number;
      accuracy: number;
      samplesPerSecond: number;
      etaSeconds: number;
    }
  | {
      type: 'epoch';
      arch: Arch;
      epoch: number;
      loss: number;
      accuracy: number;
      valLoss: number;
      valAccuracy: number;
      testAccuracy: number;
      model: Uint8Array;
    }
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
  /** `action`: what failed, so that the page shows the message where that action's button is. */
  | { type: 'error'; action: Action; message: string };

/** What the page asked the worker to do. */
export type Action = 'init' | 'train' | 'compress' | 'bench';
