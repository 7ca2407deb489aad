/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015): a small student learns from a large teacher's softened
 * outputs as well as from the labels. The loss of each row is
 *   alpha · CE(y, softmax(z)) + (1 − alpha) · T² · KL(softmax(z_teacher / T) ‖ softmax(z / T)),
 * fused with the student's softmax in the `distill_*` kernels. Target rows are 2n wide:
 * [ hard label y (one-hot, or soft) | the teacher's logits ]; logits rather than probabilities, so the
 * temperature is a property of the loss and the targets need not be rebuilt to try another one.
 */
import { checkOptions } from '../args.js';
import { isMatrix, toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { oneHot } from '../data/preprocess.js';
import { SimdnetError, check } from '../errors.js';
import { activationOf } from '../layers/index.js';
import type { CompileOptions, Sequential, TargetInput } from '../model/sequential.js';
import { idleModel } from '../model/sequential.js';
import type { History } from '../train/callbacks.js';
import { batchSizeOf, checkCallbacks, type FitOptions } from '../train/fit.js';
import type { Loss } from '../train/losses.js';
import { logits } from './explain.js';

/** Settings of the distillation loss. */
export interface DistillationLossOptions {
  /** Softmax temperature T > 0 for the soft term (default 4). */
  temperature?: number;
  /** Weight of the hard-label term in [0, 1]; the soft term gets 1 − alpha (default 0.1). */
  alpha?: number;
}

/** Options of {@link distill}: the loss settings, the student's optimizer and metrics, and fit()'s options. */
export interface DistillOptions extends DistillationLossOptions, Omit<FitOptions, 'validationData'> {
  /** Default: the optimizer the student was compiled with, else 'adam'. */
  optimizer?: CompileOptions['optimizer'];
  /** Default: the student's compiled metrics (accuracy on the hard labels), else none. */
  metrics?: 'accuracy'[];
  /** Held-out inputs and labels (the teacher's logits are added to them as to the training rows). */
  validationData?: [MatrixInput, TargetInput];
}

function lossSettings(o: DistillationLossOptions): { temperature: number; alpha: number } {
  const temperature = o.temperature ?? 4;
  const alpha = o.alpha ?? 0.1;
  check(
    typeof temperature === 'number' && Number.isFinite(temperature) && temperature > 0 && temperature <= 1e4,
    'RANGE',
    `temperature must be a number in (0, 10000], got ${String(temperature)}`,
  );
  check(
    typeof alpha === 'number' && alpha >= 0 && alpha <= 1,
    'RANGE',
    `alpha must be a number in [0, 1], got ${String(alpha)}`,
  );
  return { temperature, alpha };
}

/**
 * The distillation loss as a {@link Loss} for compile(): the student must end in softmax (the loss takes its
 * logits); targets have 2n columns, [hard labels | teacher logits] (see {@link distillationTargets}); the
 * accuracy metric compares the student's argmax with the hard labels'.
 */
export function distillationLoss(options: DistillationLossOptions = {}): Loss {
  checkOptions(options, 'distillationLoss()'); // temperature and alpha: lossSettings (RANGE)
  const { temperature, alpha } = lossSettings(options);
  return {
    name: `distillation(T=${temperature}, alpha=${alpha})`,
    fused: true,
    targetCols: (n) => 2 * n,
    checkTargets(t: Matrix, name: string) {
      const n = t.cols / 2;
      const d = t.data;
      for (let r = 0; r < t.rows; r++) {
        for (let j = 0; j < n; j++) {
          const v = d[r * t.cols + j];
          if (!(v >= 0 && v <= 1)) {
            throw new SimdnetError(
              'RANGE',
              `${name} row ${r} column ${j} (hard label) is ${v}: distillation needs hard labels in [0, 1]`,
            );
          }
        }
      }
    },
    forward: (k, z, head, t, m, n) => k.distill_forward(head, z, t, m, n, temperature, alpha),
    backward: (k, dz, z, head, t, m, n) => k.distill_backward(dz, head, z, t, m, n, temperature, alpha),
    correct: (k, z, t, m, n) => k.distill_accuracy_count(z, t, m, n),
  };
}

/** The final activation of a model (its last layer must carry it, not a dropout after it). */
function finalActivation(model: Sequential, role: string): string {
  const last = model.layers[model.layers.length - 1];
  check(
    last.type !== 'dropout',
    'RANGE',
    `the ${role} ends in dropout layer '${last.name}': its softmax must be the last layer`,
  );
  return activationOf(last) ?? 'linear';
}

/** Hard labels as an n-column matrix: class indices or one-hot/soft rows; null → zeros (unlabelled rows). */
function hardLabels(y: TargetInput | null, rows: number, n: number, name: string): Matrix {
  if (y === null) return { data: new Float32Array(rows * n), rows, cols: n };
  const flat =
    !isMatrix(y) && (ArrayBuffer.isView(y) || (Array.isArray(y) && (y.length === 0 || typeof y[0] === 'number')));
  const my = flat && n > 1 ? oneHot(y as ArrayLike<number>, n) : toMatrix(y, name, n);
  check(my.cols === n, 'SHAPE', `${name} has ${my.cols} columns, the models have ${n} outputs`);
  check(my.rows === rows, 'SHAPE', `${name} has ${my.rows} rows but x has ${rows}`);
  return my;
}

/** Checks that teacher and student can be paired on inputs of width `cols`. */
function checkPair(teacher: Sequential, student: Sequential): void {
  check(teacher !== student, 'RANGE', 'the teacher and the student must be different models');
  idleModel(teacher, 'distill() (teacher)');
  idleModel(student, 'distill() (student)');
  check(
    teacher.built && teacher.trainedSteps > 0,
    'STATE',
    `the teacher '${teacher.name}' is untrained (0 training steps): fit it first`,
  );
  const ta = finalActivation(teacher, 'teacher');
  check(ta === 'softmax' || ta === 'linear', 'RANGE', `the teacher must end in softmax (or output logits), not ${ta}`);
  const sa = finalActivation(student, 'student');
  check(
    sa === 'softmax',
    'RANGE',
    `the student must end in softmax (the distillation loss reads its logits), not ${sa}`,
  );
  check(
    teacher.outputDim === student.outputDim,
    'SHAPE',
    `the teacher has ${teacher.outputDim} outputs but the student has ${student.outputDim}`,
  );
  const ti = teacher.inputDim!;
  const si = student.inputDim;
  check(si === undefined || si === ti, 'SHAPE', `the teacher takes ${ti} inputs but the student takes ${si}`);
}

/**
 * Wide targets for the distillation loss: each row [hard label | teacher logits], the teacher run once over x.
 * `y` is class indices, one-hot (or soft) rows, or null for unlabelled rows (then train with alpha = 0).
 */
export function distillationTargets(teacher: Sequential, x: MatrixInput, y: TargetInput | null): Matrix {
  idleModel(teacher, 'distillationTargets()');
  check(teacher.built, 'STATE', `the teacher '${teacher.name}' is not built`);
  const mx = toMatrix(x, 'x');
  check(
    mx.cols === teacher.inputDim,
    'SHAPE',
    `x has ${mx.cols} columns but the teacher takes ${teacher.inputDim} inputs`,
  );
  const n = teacher.outputDim;
  const hard = hardLabels(y, mx.rows, n, 'y');
  const z = logits(teacher, mx);
  const wide = new Float32Array(mx.rows * 2 * n);
  for (let r = 0; r < mx.rows; r++) {
    wide.set(hard.data.subarray(r * n, (r + 1) * n), 2 * r * n);
    wide.set(z.data.subarray(r * n, (r + 1) * n), 2 * r * n + n);
  }
  return { data: wide, rows: mx.rows, cols: 2 * n };
}

/**
 * Trains `student` on (x, y) from `teacher`'s soft targets at temperature T plus the hard labels weighted by
 * alpha (see {@link distillationLoss}). The teacher's logits are computed once, up front. `y` may be null for an
 * unlabelled transfer set when alpha is 0. Afterwards the student is compiled again for its previous built-in
 * loss (categoricalCrossentropy if it had none), so evaluate() and predict() work as usual; its optimizer state
 * starts fresh. Everything is checked before the student changes: a teacher/student pair whose outputs or inputs
 * differ in size, an untrained teacher, a non-softmax student, bad T or alpha.
 */
export async function distill(
  teacher: Sequential,
  student: Sequential,
  x: MatrixInput,
  y: TargetInput | null,
  options: DistillOptions = {},
): Promise<History> {
  checkOptions(options, 'distill()', {
    epochs: 'index',
    batchSize: 'count',
    seed: 'number',
    shuffle: 'boolean',
    validationSplit: 'number',
    yieldEveryMs: 'number',
  });
  const { temperature, alpha, optimizer, metrics, validationData, ...fitOptions } = options;
  const settings = lossSettings({ temperature, alpha });
  checkPair(teacher, student);
  check(
    y !== null || settings.alpha === 0,
    'RANGE',
    `without labels (y = null) alpha must be 0, got ${settings.alpha}`,
  );
  // fit() re-checks these, but only after the student was compiled for distillation: check them first.
  const epochs = fitOptions.epochs ?? 1;
  check(Number.isInteger(epochs) && epochs >= 0, 'RANGE', `epochs must be an integer >= 0, got ${epochs}`);
  batchSizeOf(fitOptions.batchSize ?? 32);
  checkCallbacks(fitOptions.callbacks);
  const vs = fitOptions.validationSplit ?? 0;
  check(typeof vs === 'number' && vs >= 0 && vs < 1, 'RANGE', `validationSplit must be in [0, 1), got ${vs}`);
  const t = distillationTargets(teacher, x, y);
  const mx = toMatrix(x, 'x');
  let val: [Matrix, Matrix] | undefined;
  if (validationData) {
    check(Array.isArray(validationData) && validationData.length === 2, 'RANGE', 'validationData must be [x, y]');
    const vx = toMatrix(validationData[0], 'validationData x');
    val = [vx, distillationTargets(teacher, vx, validationData[1])];
  }
  const before = student.compileSettings();
  const wantMetrics = y === null ? [] : (metrics ?? before?.metrics ?? []);
  const opt = optimizer ?? before?.optimizer ?? 'adam';
  student.compile({ loss: distillationLoss(settings), optimizer: opt, metrics: wantMetrics });
  try {
    return await student.fit(mx, t, { ...fitOptions, ...(val ? { validationData: val } : {}) });
  } finally {
    student.compile(before ?? { loss: 'categoricalCrossentropy', optimizer: opt, metrics: wantMetrics });
  }
}
