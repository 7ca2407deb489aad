// Builds build/simdnet.wasm: asc on assembly/index.ts (`--target release` unless one is given; further arguments go
// to asc), asc on assembly/relaxed.ts (the relaxed-SIMD build of the hot kernels), then scripts/embed-relaxed.js
// carries the second inside the first as a custom section. With a target other than release only the first runs.
// asc's converge pass prints "Last converge was suboptimal." on stderr when its last optimization round shrank
// nothing more: a note about the optimizer, not a problem with the build, so that one line is dropped; every
// other line of stderr and the first failing step's exit code pass through unchanged.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
const args = process.argv.slice(2);
const given = args.includes('--target');

function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['inherit', 'inherit', 'pipe'] });
    let pending = '';
    const forward = (text) => {
      for (const line of text.split('\n')) {
        if (line.trim() !== 'Last converge was suboptimal.') process.stderr.write(`${line}\n`);
      }
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      pending += chunk;
      const cut = pending.lastIndexOf('\n');
      if (cut < 0) return;
      forward(pending.slice(0, cut));
      pending = pending.slice(cut + 1);
    });
    child.on('close', (code, signal) => {
      if (pending) forward(pending);
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

const steps = [[asc, 'assembly/index.ts', ...(given ? [] : ['--target', 'release']), ...args]];
if (!given || args[args.indexOf('--target') + 1] === 'release') {
  steps.push([asc, 'assembly/relaxed.ts', '--target', 'relaxed'], ['scripts/embed-relaxed.js']);
}
for (const argv of steps) {
  const code = await run(argv);
  if (code !== 0) {
    process.exitCode = code;
    break;
  }
}
