// `npm test` runs in real headless Chromium too (Debian's package; test tools download no browsers). This makes
// sure it is there: found at $CHROMIUM_PATH or /usr/bin/chromium, else installed with apt-get when we are root on
// a Debian-like machine (as CI is), else a clear message. SIMDNET_SKIP_BROWSER=1 skips the browser tests instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (process.env.SIMDNET_SKIP_BROWSER === '1' || existsSync(path)) process.exit(0);
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!hasApt || process.getuid?.() !== 0) {
  console.error(
    `no Chromium at ${path}: install Debian's chromium (apt-get install -y chromium), set CHROMIUM_PATH, ` +
      'or set SIMDNET_SKIP_BROWSER=1 to skip the browser tests',
  );
  process.exit(1);
}
console.log('chromium is missing: installing it with apt-get');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env });
