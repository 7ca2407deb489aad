// Carries the relaxed-SIMD build of the hot kernels (build/simdnet-relaxed.wasm, from assembly/relaxed.ts) inside
// build/simdnet.wasm as a custom section named `simdnet.relaxed`: the package still ships one file, and engines
// ignore custom sections, so runtimes without relaxed SIMD load it unchanged. The host (src/runtime/relaxed.ts)
// reads the section with WebAssembly.Module.customSections and compiles it where WebAssembly.validate accepts it.
// Run after both asc targets (npm run asbuild); running it twice replaces the section rather than adding another.
import { readFileSync, writeFileSync } from 'node:fs';

const SECTION = 'simdnet.relaxed';
const mainUrl = new URL('../build/simdnet.wasm', import.meta.url);
const main = readFileSync(mainUrl);
const relaxed = readFileSync(new URL('../build/simdnet-relaxed.wasm', import.meta.url));

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** The sections of a module as [id, start, end, name?] (name for custom sections), checked to end exactly. */
function sections(b) {
  if (b.readUInt32BE(0) !== 0x0061736d) throw new Error('not a WebAssembly module');
  const out = [];
  let p = 8;
  const u = () => {
    let r = 0,
      s = 0,
      x;
    do {
      x = b[p++];
      r |= (x & 0x7f) << s;
      s += 7;
    } while (x & 0x80);
    return r >>> 0;
  };
  while (p < b.length) {
    const start = p;
    const id = b[p++];
    const len = u();
    const body = p;
    let name;
    if (id === 0) {
      const n = u();
      name = b.subarray(p, p + n).toString('utf8');
    }
    p = body + len;
    out.push({ id, start, end: p, name, body });
  }
  if (p !== b.length) throw new Error('truncated section');
  return out;
}

// The relaxed module shares the main module's memory, whose static data and arena start at address 0 and the main
// module's heap_base: a data segment of its own would be written over them at instantiation. It must have none.
const data = sections(relaxed).find((s) => s.id === 11);
if (data && relaxed[data.body] !== 0)
  throw new Error('build/simdnet-relaxed.wasm has data segments; it must keep no static data');

const kept = sections(main).filter((s) => !(s.id === 0 && s.name === SECTION));
const name = Buffer.from(SECTION, 'utf8');
const payload = Buffer.concat([Buffer.from(leb(name.length)), name, relaxed]);
const out = Buffer.concat([
  main.subarray(0, 8),
  ...kept.map((s) => main.subarray(s.start, s.end)),
  Buffer.from([0]),
  Buffer.from(leb(payload.length)),
  payload,
]);
writeFileSync(mainUrl, out);
console.log(
  `build/simdnet.wasm: ${main.length} -> ${out.length} bytes (relaxed kernels ${relaxed.length} bytes in section ${SECTION})`,
);
