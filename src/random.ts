import { check } from './errors.js';

/**
 * Seeded pseudo-random numbers for everything reproducible in simdnet: weight init, shuffling, splits,
 * augmentation draws and dropout seeds. sfc32 (Chris Doty-Humphrey's small fast counter) seeded through
 * splitmix32, so nearby seeds give unrelated streams.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  /** @param seed any finite number (its low 32 bits of the integer part pick the stream). */
  constructor(seed: number) {
    check(typeof seed === 'number', 'DTYPE', () => `new Rng(seed): seed must be a number, got ${show(seed)}`);
    check(Number.isFinite(seed), 'NONFINITE', () => `new Rng(seed): seed must be finite, got ${seed}`);
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n); n a positive integer. */
  int(n: number): number {
    check(typeof n === 'number', 'DTYPE', () => `Rng.int(n): n must be a number, got ${show(n)}`);
    check(Number.isSafeInteger(n) && n >= 1, 'RANGE', () => `Rng.int(n): n must be a positive integer, got ${n}`);
    return below(this, n);
  }

  /** Standard normal (Box–Muller, the spare value kept). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place of an array or typed array. */
  shuffle<
    T extends {
      /** Number of elements. */
      length: number;
      [i: number]: number;
    },
  >(a: T): T {
    check(
      Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView)),
      'DTYPE',
      () => `Rng.shuffle(a): a must be an array or typed array, got ${show(a)}`,
    );
    for (let i = a.length - 1; i > 0; i--) {
      const j = below(this, i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n−1; n a non-negative integer. */
  permutation(n: number): Int32Array {
    check(typeof n === 'number', 'DTYPE', () => `Rng.permutation(n): n must be a number, got ${show(n)}`);
    check(
      Number.isInteger(n) && n >= 0 && n <= 0x7fffffff,
      'RANGE',
      () => `Rng.permutation(n): n must be a non-negative integer, got ${n}`,
    );
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

const show = (v: unknown): string =>
  typeof v === 'number' ? String(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;

/** Rng#int without the argument check, for the shuffle loop (n is known valid there); not a method, so not API. */
const below = (r: Rng, n: number): number => Math.floor(r.next() * n);
