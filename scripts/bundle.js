// Bundles the package's public entry points (tsc output in dist/) into dist/bundle/: one module per entry plus
// shared chunks, so importing simdnet reads a couple of files instead of ~40 (a large part of cold start in Node).
// Node built-ins stay imports; the .wasm stays a file beside it, found via new URL('../simdnet.wasm', import.meta.url)
// from dist/bundle/ = dist/simdnet.wasm, the same place as from dist/runtime/.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
rmSync(`${dist}bundle`, { recursive: true, force: true });
await build({
  input: { index: `${dist}index.js`, mnist: `${dist}data/mnist-node.js` },
  platform: 'neutral',
  external: [/^node:/],
  logLevel: 'warn',
  output: {
    dir: `${dist}bundle`,
    format: 'esm',
    entryFileNames: '[name].js',
    // The lazily imported Node file reader keeps a telling name (browsers must never request it).
    chunkFileNames: (c) => (c.isDynamicEntry ? 'node-[hash].js' : 'chunk-[hash].js'),
  },
});
