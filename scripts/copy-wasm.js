// Puts the built .wasm beside the compiled modules (dist/simdnet.wasm), where the loader looks by default.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
copyFileSync(new URL('../build/simdnet.wasm', import.meta.url), new URL('../dist/simdnet.wasm', import.meta.url));
