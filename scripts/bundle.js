// Bundles the package's public entry points (tsc output in dist/) into dist/bundle/: one module per entry plus
// shared chunks, so importing simdnet reads a couple of files instead of ~40 (a large part of cold start in Node).
// Node built-ins stay imports; the .wasm stays a file beside it, found via new URL('../simdnet.wasm', import.meta.url)
// from dist/bundle/ = dist/simdnet.wasm, the same place as from dist/runtime/.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
rmSync(`${dist}bundle`, { recursive: true, force: true });
/**
 * Dynamic `import('node:…')` (file helpers, used only in Node/Deno) becomes a computed import marked for bundlers
 * to ignore, so a user's browser build neither warns ("externalized for browser compatibility") nor fails
 * (webpack: UnhandledSchemeError for `node:`). Node and Deno resolve it at run time as before.
 */
const nodeImportsForBundlers = {
  name: 'simdnet:computed-node-imports',
  renderChunk(code) {
    const out = code.replace(
      /\bimport\(\s*(?:\/\*[^*]*\*\/\s*)*(["'])(node:[\w/]+)\1\s*\)/g,
      'import(/* webpackIgnore: true */ /* @vite-ignore */ String($1$2$1))',
    );
    return out === code ? null : { code: out, map: null };
  },
};

await build({
  input: { index: `${dist}index.js`, mnist: `${dist}data/mnist-node.js` },
  platform: 'neutral',
  external: [/^node:/],
  logLevel: 'warn',
  plugins: [nodeImportsForBundlers],
  output: {
    dir: `${dist}bundle`,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunk-[hash].js',
  },
});
