// Packs the package as it would be published (`npm pack`, which runs `prepack` = the full build) and installs the
// tarball into a scratch project, next to copies of the runtime fixtures and the edge example. Every runtime test
// then uses that installed copy, so a file missing from `files` or a wrong `exports` entry fails them. The build
// runs in a copy of the checkout (sources, not build output), so the test neither writes into the working tree's
// dist/ nor races with another build there.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRun, run } from './proc.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What npm pack reported (the first entry of `npm pack --json`). */
export interface PackInfo {
  name: string;
  version: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

export interface Installed {
  /** Temporary directory holding the tarball and the scratch project. */
  work: string;
  tarball: string;
  /** The scratch project: package.json, node_modules/simdnet, fixtures, edge/ example. */
  app: string;
  /** node_modules/simdnet inside the scratch project. */
  pkg: string;
  pack: PackInfo;
}

/**
 * A temporary directory with no node_modules in any ancestor: otherwise the scratch project could resolve packages
 * it never installed (e.g. through a stray /tmp/node_modules), hiding a missing dependency.
 */
function isolatedTmp(): string {
  const clean = (dir: string): boolean => {
    for (let d = resolve(dir); ; d = dirname(d)) {
      if (existsSync(join(d, 'node_modules'))) return false;
      if (dirname(d) === d) return true;
    }
  };
  const found = [process.env.SIMDNET_RUNTIMES_TMP, tmpdir(), '/var/tmp', homedir()].find(
    (d) => d && existsSync(d) && clean(d),
  );
  if (!found)
    throw new Error(
      `no temporary directory without a node_modules above it (tried ${tmpdir()}, /var/tmp, ${homedir()}); set SIMDNET_RUNTIMES_TMP`,
    );
  return found;
}

/** `npm pack --json` may be preceded by the prepack script's output: take the JSON array at the end. */
function parsePackJson(stdout: string): PackInfo {
  const start = stdout.lastIndexOf('\n[\n') >= 0 ? stdout.lastIndexOf('\n[\n') + 1 : stdout.indexOf('[');
  const parsed = JSON.parse(stdout.slice(start)) as PackInfo[];
  if (!parsed[0]) throw new Error(`npm pack --json printed no package:\n${stdout}`);
  return parsed[0];
}

/** Packs the repository and installs the tarball into a fresh scratch project (offline, no install scripts). */
export async function packAndInstall(): Promise<Installed> {
  // While editing fixtures: SIMDNET_REUSE_PACK=<work dir kept by SIMDNET_KEEP_RUNTIMES=1> skips pack and install.
  const reuse = process.env.SIMDNET_REUSE_PACK;
  if (reuse)
    return {
      ...(JSON.parse(readFileSync(join(reuse, 'installed.json'), 'utf8')) as Installed),
      ...copyFixtures(join(reuse, 'app')),
    };
  const work = mkdtempSync(join(isolatedTmp(), 'simdnet-runtimes-'));
  const src = join(work, 'pkg');
  // Top-level build outputs and local data are left behind; node_modules anywhere.
  const skipTop = new Set(['.git', 'dist', 'build', 'models', 'bench', 'test']);
  const top = resolve(repoRoot);
  cpSync(repoRoot, src, {
    recursive: true,
    filter: (from) =>
      basename(from) !== 'node_modules' && !(dirname(resolve(from)) === top && skipTop.has(basename(from))),
  });
  // The one file of bench/ the package ships (package.json `files`: the README's numbers link to it).
  mkdirSync(join(src, 'bench'));
  cpSync(join(repoRoot, 'bench', 'RESULTS.md'), join(src, 'bench', 'RESULTS.md'));
  symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'), 'dir'); // the build tools (asc, tsc, rolldown)
  const packed = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: src, timeoutMs: 300_000 });
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${describeRun(packed)}`);
  const pack = parsePackJson(packed.stdout);
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack left no tarball in ${work}`);
  const tarball = join(work, tgz);

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'simdnet-user', private: true, type: 'module' }, null, 2),
  );
  const installed = await run(
    npm,
    ['install', '--no-audit', '--no-fund', '--offline', '--ignore-scripts', '--no-package-lock', tarball],
    { cwd: app, timeoutMs: 120_000 },
  );
  if (installed.code !== 0) throw new Error(`npm install of the tarball failed:\n${describeRun(installed)}`);
  const result: Installed = { work, tarball, app, pkg: join(app, 'node_modules', 'simdnet'), pack };
  writeFileSync(join(work, 'installed.json'), JSON.stringify(result));
  copyFixtures(app);
  return result;
}

function copyFixtures(app: string): object {
  // The fixtures import 'simdnet' (resolved from node_modules) and './workload.mjs', as a user's files would.
  cpSync(join(fixtures, 'workload.mjs'), join(app, 'workload.mjs'));
  cpSync(join(fixtures, 'node'), app, { recursive: true });
  cpSync(join(fixtures, 'deno'), app, { recursive: true });
  cpSync(join(fixtures, 'browser'), join(app, 'www'), { recursive: true });
  cpSync(join(fixtures, 'vite-app'), join(app, 'vite-app'), { recursive: true });
  cpSync(join(repoRoot, 'examples', 'edge'), join(app, 'edge'), { recursive: true });
  return {};
}
