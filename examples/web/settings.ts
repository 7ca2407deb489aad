/**
 * The training form's limits, in one place: the page states them beside each control and sets the inputs' min/max
 * from them, the page checks the form against them before it asks for training, and the worker checks the message
 * again (the same function) before it builds anything. Plain TS, tested in Node.
 */
import type { Arch } from './protocol.js';

/** A numeric field of the form: its input's id, its name in messages, its range. */
export interface Limit {
  id: 'epochs' | 'batch' | 'lr' | 'rows';
  label: string;
  min: number;
  max: number;
  integer: boolean;
}

export const LIMITS = {
  epochs: { id: 'epochs', label: 'epochs', min: 1, max: 50, integer: true },
  batchSize: { id: 'batch', label: 'batch', min: 8, max: 1024, integer: true },
  learningRate: { id: 'lr', label: 'learning rate', min: 0.00001, max: 1, integer: false },
  trainRows: { id: 'rows', label: 'training digits', min: 100, max: 8000, integer: true },
} as const satisfies Record<string, Limit>;

/** The MLP's hidden-layer sizes on offer. */
export const HIDDEN_SIZES = [64, 128, 256] as const;

/** What a training run needs from the form. */
export interface Settings {
  arch: Arch;
  epochs: number;
  hidden: number;
  batchSize: number;
  learningRate: number;
  trainRows: number;
}

/** The form's field ids (the numeric ones, plus the two selects). */
export type FieldId = Limit['id'] | 'arch' | 'hidden';

/** A value the form refuses: which control, and what to tell the user. */
export interface FieldError {
  field: FieldId;
  message: string;
}

const show = (l: Limit, v: number): string => (l.integer ? v.toLocaleString('en-US') : String(v));

/** '1–50', '0.00001–1': the range as the page states it beside the control. */
export function rangeText(l: Limit): string {
  return `${show(l, l.min)}–${show(l, l.max)}`;
}

/** 'a whole number from 1 to 50': what a field takes, in messages. */
function wants(l: Limit): string {
  return `${l.integer ? 'a whole number' : 'a number'} from ${show(l, l.min)} to ${show(l, l.max)}`;
}

/** A number within a limit, or the message saying why not. */
function checkNumber(l: Limit, v: number): FieldError | undefined {
  const want = `${l.label} must be ${wants(l)}`;
  if (!Number.isFinite(v)) return { field: l.id, message: `${want}, got ${String(v)}` };
  if (l.integer && !Number.isInteger(v)) return { field: l.id, message: `${want}, got ${v}` };
  if (v < l.min || v > l.max)
    return { field: l.id, message: `${want}, got ${v.toLocaleString('en-US', { maximumFractionDigits: 8 })}` };
  return undefined;
}

/** The first problem of a complete set of settings (the worker's check), or undefined when they are all in range. */
export function checkSettings(s: Settings): FieldError | undefined {
  if (s.arch !== 'mlp' && s.arch !== 'cnn')
    return { field: 'arch', message: `model must be MLP or CNN, got ${String(s.arch)}` };
  if (s.arch === 'mlp' && !(HIDDEN_SIZES as readonly number[]).includes(s.hidden)) {
    return {
      field: 'hidden',
      message: `hidden units must be one of ${HIDDEN_SIZES.join(', ')}, got ${String(s.hidden)}`,
    };
  }
  for (const key of ['epochs', 'batchSize', 'learningRate', 'trainRows'] as const) {
    const e = checkNumber(LIMITS[key], s[key]);
    if (e) return e;
  }
  return undefined;
}

/**
 * The form's raw strings → settings, or the first field it refuses. An empty field is refused (Number('') would
 * read as 0); so is anything that is not a plain number.
 */
export function readSettings(raw: Record<FieldId, string>): { settings: Settings } | { error: FieldError } {
  const num = (l: Limit): number | FieldError => {
    const text = raw[l.id].trim();
    if (text === '') return { field: l.id, message: `${l.label} is empty: enter ${wants(l)}` };
    const v = Number(text);
    return Number.isNaN(v) ? { field: l.id, message: `${l.label} must be ${wants(l)}, got '${text}'` } : v;
  };
  const values: Partial<Record<keyof typeof LIMITS, number>> = {};
  for (const key of ['epochs', 'batchSize', 'learningRate', 'trainRows'] as const) {
    const v = num(LIMITS[key]);
    if (typeof v !== 'number') return { error: v };
    values[key] = v;
  }
  const settings: Settings = {
    arch: raw.arch as Arch,
    hidden: Number(raw.hidden),
    epochs: values.epochs ?? NaN,
    batchSize: values.batchSize ?? NaN,
    learningRate: values.learningRate ?? NaN,
    trainRows: values.trainRows ?? NaN,
  };
  const error = checkSettings(settings);
  return error ? { error } : { settings };
}
