// Bundles the package's public entry points (tsc output in dist/) into dist/bundle/: one minified module per entry
// plus shared chunks, so importing simdnet reads and compiles a couple of small files instead of ~40 (a large part
// of cold start in Node).
// Node built-ins stay imports (the main entry has none: node:fs is reached through a computed specifier or
// process.getBuiltinModule, src/runtime/node.ts, so browser bundlers see nothing to resolve); the .wasm stays a
// file beside it, found via new URL('../simdnet.wasm', import.meta.url) from dist/bundle/ = dist/simdnet.wasm, the
// same place as from dist/runtime/.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';
import { parseSync } from 'rolldown/experimental';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
rmSync(`${dist}bundle`, { recursive: true, force: true });
const input = {
  index: `${dist}index.js`,
  compress: `${dist}compress/index.js`,
  mnist: `${dist}data/mnist-node.js`,
  onnx: `${dist}onnx/index.js`,
  tfjs: `${dist}tfjs/index.js`,
};
// Minified: V8 compiles the whole bundle when it is imported, and on a cold start that cost follows its size
// (bench/RESULTS.md, cold start). Function and class names stay (stack traces, `constructor.name`).
const keepNames = { function: true, class: true };
const minify = { compress: { keepNames }, mangle: { keepNames } };
// Non-ASCII characters as \u escapes: see asciiOnly.
const charset = 'ascii';

/**
 * Puts each top-level statement of a minified chunk on a line of its own. For an uncaught error Node prints the
 * source line it was thrown from: a function's line, not the whole bundle. (Pretty-printed output would do it
 * too, at ~30 % more bytes to compile on every cold start.) Cut at statement ends the parser reports, so never
 * inside a string. No source maps: the readable tsc output the bundle is made from ships beside it in dist/.
 */
const linePerStatement = {
  name: 'simdnet:line-per-statement',
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const cjs = chunk.fileName.endsWith('.cjs');
      const { program, errors } = parseSync(chunk.fileName, chunk.code, {
        lang: 'js',
        sourceType: cjs ? 'script' : 'module',
      });
      if (errors.length > 0) throw new Error(`${chunk.fileName}: ${errors[0].message}`);
      // Cut after every top-level statement, and before every member of a top-level class (classes are long).
      const cuts = [];
      for (const st of program.body) {
        const cls =
          st.type === 'ClassDeclaration' ? st : st.declarations?.find((d) => d.init?.type === 'ClassExpression')?.init;
        for (const member of cls?.body.body ?? []) cuts.push(member.start);
        cuts.push(st.end);
      }
      let out = '';
      let at = 0;
      for (const cut of cuts.sort((a, b) => a - b)) {
        if (cut <= at || chunk.code[cut - 1] === '\n' || chunk.code[cut] === '\n') continue;
        out += `${chunk.code.slice(at, cut)}\n`;
        at = cut;
      }
      chunk.code = out + chunk.code.slice(at);
    }
  },
};
/**
 * CommonJS chunks export through a getter per binding (`Object.defineProperty(exports, n, { get })`), for live
 * bindings; the entry copies them all when it loads, compiling each getter on the way (~0.5 ms of a cold start for
 * ~100 of them). A binding declared by a function, a class or a const never changes (TypeScript refuses to assign
 * to them), nor does an inlined literal, so their getters become plain assignments; any other binding keeps its
 * getter.
 */
const plainExports = {
  name: 'simdnet:plain-exports',
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk' || !chunk.fileName.endsWith('.cjs')) continue;
      const { program } = parseSync(chunk.fileName, chunk.code, { lang: 'js', sourceType: 'script' });
      const fixed = new Set();
      for (const st of program.body) {
        if (st.type === 'FunctionDeclaration' || st.type === 'ClassDeclaration') fixed.add(st.id.name);
        if (st.type !== 'VariableDeclaration') continue;
        for (const d of st.declarations) {
          if (
            d.id.type === 'Identifier' &&
            (st.kind === 'const' || (st.kind === 'var' && d.init?.type === 'ClassExpression'))
          )
            fixed.add(d.id.name);
        }
      }
      const edits = [];
      for (const st of program.body) {
        if (st.type !== 'ExpressionStatement') continue;
        const calls = st.expression.type === 'SequenceExpression' ? st.expression.expressions : [st.expression];
        for (const c of calls) {
          const [target, key, desc] = c.type === 'CallExpression' ? c.arguments : [];
          const isDefine =
            c.callee?.type === 'MemberExpression' &&
            !c.callee.computed &&
            c.callee.object.name === 'Object' &&
            c.callee.property.name === 'defineProperty';
          if (!isDefine || target?.name !== 'exports' || key?.type !== 'Literal' || typeof key.value !== 'string')
            continue;
          const getter = desc?.properties?.find((p) => p.key.name === 'get')?.value;
          const ret = getter?.body?.body?.length === 1 ? getter.body.body[0].argument : undefined;
          const prop = /^[A-Za-z_$][\w$]*$/.test(key.value) ? `.${key.value}` : `[${JSON.stringify(key.value)}]`;
          // An inlined constant (a literal) is as fixed as a const.
          if ((ret?.type === 'Identifier' && fixed.has(ret.name)) || ret?.type === 'Literal')
            edits.push([c.start, c.end, `exports${prop}=${chunk.code.slice(ret.start, ret.end)}`]);
        }
      }
      let code = chunk.code;
      for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0]))
        code = code.slice(0, start) + text + code.slice(end);
      chunk.code = code;
    }
  },
};
/**
 * Fails the build if a chunk is not pure ASCII. V8 keeps a source with any character above U+007F as a two-byte
 * string (Node decodes it as UTF-8, then scans twice the bytes): ~0.4 ms of a cold `require` for the core chunk.
 * output.charset 'ascii' escapes strings, templates, regexes and identifiers, but not the quasis of tagged templates
 * (String.raw`…` would change meaning): write such a character as an escape in an untagged string instead.
 */
const asciiOnly = {
  name: 'simdnet:ascii-only',
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const at = chunk.code.search(/[^\x00-\x7f]/);
      if (at < 0) continue;
      const line = chunk.code.slice(0, at).split('\n').length;
      const near = chunk.code.slice(Math.max(0, at - 40), at + 40);
      throw new Error(
        `${chunk.fileName}:${line}: non-ASCII character U+${chunk.code.codePointAt(at).toString(16).toUpperCase().padStart(4, '0')} left unescaped, near ${JSON.stringify(near)}`,
      );
    }
  },
};
// Everything the main entry reaches goes into one shared chunk that every entry imports: `import 'simdnet'` then
// reads two files (the entry and that chunk) rather than the four rolldown would split it into, and none of the
// compression or interchange code (ONNX, TensorFlow.js), which stays in its own entries.
const isSubpathOnly = (id) =>
  (/[\\/]dist[\\/]compress[\\/]/.test(id) && !/[\\/](transfer|explain)\.js$/.test(id)) ||
  /[\\/]dist[\\/](onnx|tfjs)[\\/]/.test(id);
// The js backend (runtime/backend-js.js and the reference twins it adapts) is imported dynamically on first use
// (runtime/engine.ts): rolldown gives it a chunk of its own, as long as the core group does not claim it.
const isJsBackend = (id) => /[\\/]dist[\\/](reference[\\/]|runtime[\\/]backend-js\.js$)/.test(id);
// The thread pool (runtime/threads.js, the split table, the shared-memory variant) likewise: loaded by createEngine
// only when threads are asked for.
const isThreads = (id) => /[\\/]dist[\\/]runtime[\\/](threads|threads-split|shared-variant)\.js$/.test(id);
const isCore = (id) =>
  /[\\/]dist[\\/]/.test(id) &&
  !isSubpathOnly(id) &&
  !isJsBackend(id) &&
  !isThreads(id) &&
  !/[\\/]data[\\/]mnist-node\.js$/.test(id);
const codeSplitting = { groups: [{ name: 'core', test: isCore }] };

// ES modules: every runtime (Node, Deno, browsers, bundlers, edge workers).
await build({
  input,
  platform: 'neutral',
  external: [/^node:/],
  logLevel: 'warn',
  plugins: [linePerStatement, asciiOnly],
  output: {
    dir: `${dist}bundle`,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    codeSplitting,
    minify,
    comments: false,
    charset,
  },
});

// CommonJS, for require() in Node: Node 20 before 20.19 cannot require an ES module at all, and a CommonJS
// program skips Node's ES module loader, a third of a cold start's cost above a bare `node -e ''` (RESULTS.md).
// platform 'node' turns import.meta.url into the module's file URL, import.meta.dirname into __dirname (loader.ts).
await build({
  input,
  platform: 'node',
  external: [/^node:/],
  logLevel: 'warn',
  plugins: [plainExports, linePerStatement, asciiOnly],
  output: {
    dir: `${dist}bundle`,
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    codeSplitting,
    minify,
    comments: false,
    charset,
  },
});

/**
 * Declarations for the CommonJS build. The package is "type": "module", so TypeScript reads every .d.ts in it as
 * an ES module, and a CommonJS consumer (`import x = require('simdnet')` in a .cts file, module node16) is refused
 * with TS1471. Each .d.ts the public entries reach gets a .d.cts twin whose relative imports name the .cjs twins,
 * so the whole tree a CommonJS consumer sees is CommonJS; the `require` conditions of package.json point at them.
 */
function writeCtsDeclarations(entries) {
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    const specs = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g;
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(specs)) visit(fileURLToPath(new URL(`${m[3]}.d.ts`, pathToFileURL(path))));
    writeFileSync(
      `${path.slice(0, -'.d.ts'.length)}.d.cts`,
      text.replace(specs, (_, lead, q, spec) => `${lead}${q}${spec}.cjs${q}`),
    );
  };
  for (const e of entries) visit(e);
}
writeCtsDeclarations(Object.values(input).map((js) => js.replace(/\.js$/, '.d.ts')));
