// `npm run test:unit`: the edit-test loop. Everything in vitest.config.ts except what needs a browser (test/web), a
// packed package (test/runtimes, test/package: npm pack, Deno, workerd, Chromium, a registry). `npm test` still
// runs everything.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, 'test/web/**', 'test/runtimes/**', 'test/package/**'],
    },
  }),
);
