// The kernel list, checked: the `Kernels` interface of src/runtime/abi.ts (read with the TypeScript compiler API,
// not cast), the exports of simdnet.wasm and of its relaxed-SIMD module, the js backend (src/runtime/backend-js.ts)
// and the twins (src/reference/) must name the same kernels with the same number of arguments, and every kernel
// must be exercised by a test in test/kernels. A kernel added to one place and not the others fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as twins from '../../src/reference/index.js';
import { jsKernels } from '../../src/runtime/backend-js.js';
import { RELAXED_KERNELS, relaxedBytes } from '../../src/runtime/relaxed.js';

const root = new URL('../../', import.meta.url);
const wasmPath = process.env.SIMDNET_WASM ?? fileURLToPath(new URL('build/simdnet.wasm', root));

interface Member {
  name: string;
  params: number;
  optional: boolean;
}

/** The members of `interface Kernels` in abi.ts: name, parameter count, optional. */
function kernelsInterface(): Member[] {
  const file = fileURLToPath(new URL('src/runtime/abi.ts', root));
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: Member[] = [];
  src.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'Kernels') return;
    for (const m of node.members) {
      if (!ts.isMethodSignature(m) || !ts.isIdentifier(m.name))
        throw new Error(`Kernels: ${m.getText(src).slice(0, 60)} is not a method signature`);
      out.push({ name: m.name.text, params: m.parameters.length, optional: m.questionToken !== undefined });
    }
  });
  if (out.length === 0) throw new Error('no interface Kernels in src/runtime/abi.ts');
  return out;
}

// Members that are not kernels (no twin, no kernel test of their own): the module's layout queries and the
// benchmark-only peak loop. Everything else in Kernels is a kernel.
const NOT_KERNELS: Record<string, string> = {
  heap_base: 'layout query: where the host arena starts',
  gemm_workspace_size: 'layout query: the GEMM scratch size (checked against the relaxed module in relaxed.test.ts)',
  peak_f32x4: 'benchmark only (bench/kernels.js): wasm has it, the js backend and the twins do not',
};
// Optional members: present in the wasm module, absent from the js backend.
const OPTIONAL = ['peak_f32x4'];

const members = kernelsInterface();
const byName = new Map(members.map((m) => [m.name, m]));
const kernels = members.filter((m) => !(m.name in NOT_KERNELS));
const memory = new WebAssembly.Memory({ initial: 16 });
const wasmModule = new WebAssembly.Module(readFileSync(wasmPath));
const wasmExports = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports as Record<string, unknown>;
const wasmFns = Object.entries(wasmExports).filter(([, v]) => typeof v === 'function') as [
  string,
  (...a: unknown[]) => unknown,
][];
const js = jsKernels(memory) as unknown as Record<string, (...a: unknown[]) => unknown>;
const twinFns = twins as unknown as Record<string, unknown>;

describe('the kernel list: abi.ts, simdnet.wasm, the relaxed module, the js backend, the twins, the tests', () => {
  it('the check reads the interface (and would see a change): known members with their arities', () => {
    expect(byName.get('gemm_forward')).toEqual({ name: 'gemm_forward', params: 8, optional: false });
    expect(byName.get('peak_f32x4')).toEqual({ name: 'peak_f32x4', params: 1, optional: true });
    expect(members.filter((m) => m.optional).map((m) => m.name)).toEqual(OPTIONAL);
  });

  it('every wasm export is a Kernels member and every member a wasm export, with the same number of arguments', () => {
    const exported = wasmFns.map(([n]) => n).sort();
    expect(exported).toEqual(members.map((m) => m.name).sort());
    for (const [name, f] of wasmFns) expect(f.length, `${name}: wasm arity vs abi.ts`).toBe(byName.get(name)!.params);
  });

  it('the relaxed module overrides Kernels members only, with their arity', () => {
    for (const name of RELAXED_KERNELS) expect(byName.has(name), name).toBe(true);
    const bytes = relaxedBytes(wasmModule);
    expect(bytes, 'simdnet.wasm carries the relaxed module').toBeDefined();
    if (!WebAssembly.validate(bytes!)) return; // compiled and instantiated in the `relaxed` project (and relaxed.test.ts)
    const r = new WebAssembly.Instance(new WebAssembly.Module(bytes!), { env: { memory } }).exports as Record<
      string,
      unknown
    >;
    for (const [name, f] of Object.entries(r)) {
      if (typeof f !== 'function') continue;
      expect(byName.has(name), `relaxed export ${name} is a Kernels member`).toBe(true);
      expect((f as () => void).length, `${name}: relaxed arity vs abi.ts`).toBe(byName.get(name)!.params);
    }
  });

  it('the js backend has every non-optional member, nothing else, with the same number of arguments', () => {
    expect(Object.keys(js).sort()).toEqual(
      members
        .filter((m) => !m.optional)
        .map((m) => m.name)
        .sort(),
    );
    for (const [name, f] of Object.entries(js))
      expect(f.length, `${name}: js backend arity vs abi.ts`).toBe(byName.get(name)!.params);
  });

  it('every kernel has a twin of the same name and arity in src/reference/, and every twin is a kernel', () => {
    for (const k of kernels) {
      const t = twinFns[k.name];
      expect(typeof t, `twin of ${k.name}`).toBe('function');
      expect((t as () => void).length, `${k.name}: twin arity vs abi.ts`).toBe(k.params);
    }
    const extra = Object.entries(twinFns)
      .filter(([n, v]) => typeof v === 'function' && !byName.has(n))
      .map(([n]) => n);
    expect(extra, 'twins exported by src/reference/index.ts that are no kernel').toEqual([]);
  });

  it('every kernel is called by a test in test/kernels', () => {
    const dir = new URL('./', import.meta.url);
    const text = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts') && f !== 'abi.test.ts')
      .map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .join('\n');
    // A name counts when it appears as a word (a call, a list entry or a runBoth/compareBoth name).
    const untested = kernels.map((k) => k.name).filter((n) => !new RegExp(`\\b${n}\\b`).test(text));
    expect(untested, 'kernels no test in test/kernels names').toEqual([]);
  });
});
