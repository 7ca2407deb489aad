// The web page's training form (examples/web/settings.ts): the limits the page states are the ones enforced, an
// empty field is refused rather than read as 0, and the worker's check of a message is the same function.
import { describe, expect, it } from 'vitest';
import {
  checkSettings,
  LIMITS,
  rangeText,
  readSettings,
  type FieldId,
  type Settings,
} from '../../examples/web/settings.js';

const form = (o: Partial<Record<FieldId, string>> = {}): Record<FieldId, string> => ({
  arch: 'mlp',
  hidden: '256',
  epochs: '8',
  batch: '64',
  lr: '0.001',
  rows: '8000',
  ...o,
});

const refused = (o: Partial<Record<FieldId, string>>): { field: FieldId; message: string } => {
  const r = readSettings(form(o));
  if (!('error' in r)) throw new Error(`accepted ${JSON.stringify(o)}`);
  return r.error;
};

describe('web form settings', () => {
  it('reads a valid form into numbers', () => {
    expect(readSettings(form({ arch: 'cnn', lr: ' 2e-3 ' }))).toEqual({
      settings: { arch: 'cnn', hidden: 256, epochs: 8, batchSize: 64, learningRate: 0.002, trainRows: 8000 },
    });
  });

  it('refuses an empty field instead of reading it as 0', () => {
    expect(refused({ lr: '' })).toEqual({
      field: 'lr',
      message: 'learning rate is empty: enter a number from 0.00001 to 1',
    });
    expect(refused({ epochs: '  ' }).field).toBe('epochs');
    expect(refused({ lr: 'abc' }).message).toBe("learning rate must be a number from 0.00001 to 1, got 'abc'");
  });

  it('refuses values outside the stated limits, naming the field and the range', () => {
    expect(refused({ epochs: '200', batch: '5000' })).toEqual({
      field: 'epochs',
      message: 'epochs must be a whole number from 1 to 50, got 200',
    });
    expect(refused({ batch: '5000' })).toEqual({
      field: 'batch',
      message: 'batch must be a whole number from 8 to 1,024, got 5,000',
    });
    expect(refused({ epochs: '2.5' }).message).toBe('epochs must be a whole number from 1 to 50, got 2.5');
    expect(refused({ lr: '0' }).message).toBe('learning rate must be a number from 0.00001 to 1, got 0');
    expect(refused({ lr: '1.5' }).field).toBe('lr');
    expect(refused({ rows: '50' })).toEqual({
      field: 'rows',
      message: 'training digits must be a whole number from 100 to 8,000, got 50',
    });
    expect(refused({ hidden: '512' })).toEqual({
      field: 'hidden',
      message: 'hidden units must be one of 64, 128, 256, got 512',
    });
    expect(refused({ arch: 'rnn' }).field).toBe('arch');
    // The CNN has no hidden-units choice: whatever the select holds is not checked.
    expect('settings' in readSettings(form({ arch: 'cnn', hidden: '512' }))).toBe(true);
  });

  it('accepts the ends of each range', () => {
    for (const l of Object.values(LIMITS)) {
      for (const v of [l.min, l.max])
        expect('settings' in readSettings(form({ [l.id]: String(v) })), `${l.id}=${v}`).toBe(true);
    }
    expect(Object.values(LIMITS).map(rangeText)).toEqual(['1–50', '8–1,024', '0.00001–1', '100–8,000']);
  });

  it('the worker-side check refuses a message past the limits (not NaN, not Infinity either)', () => {
    const ok: Settings = { arch: 'mlp', hidden: 128, epochs: 3, batchSize: 64, learningRate: 0.001, trainRows: 1000 };
    expect(checkSettings(ok)).toBeUndefined();
    expect(checkSettings({ ...ok, epochs: 200, batchSize: 5000 })?.message).toBe(
      'epochs must be a whole number from 1 to 50, got 200',
    );
    expect(checkSettings({ ...ok, learningRate: NaN })?.message).toBe(
      'learning rate must be a number from 0.00001 to 1, got NaN',
    );
    expect(checkSettings({ ...ok, batchSize: Infinity })?.field).toBe('batch');
  });
});
