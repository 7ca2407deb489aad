// Builds build/simdnet.wasm with asc (arguments after the script's go to asc; `--target release` unless one is given).
// asc's converge pass prints "Last converge was suboptimal." on stderr when its last optimization round shrank
// nothing more: a note about the optimizer, not a problem with the build, so that one line is dropped; every
// other line of stderr and asc's exit code pass through unchanged.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
const args = process.argv.slice(2);
const target = args.includes('--target') ? [] : ['--target', 'release'];
const child = spawn(process.execPath, [asc, 'assembly/index.ts', ...target, ...args], {
  cwd: new URL('..', import.meta.url),
  stdio: ['inherit', 'inherit', 'pipe'],
});
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
  process.exitCode = code ?? 1;
});
