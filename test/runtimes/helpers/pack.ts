// Packs the package as it would be published (`npm pack`, which runs `prepare` = the full build) and installs the
// tarball into a scratch project, next to copies of the runtime fixtures and the edge example. Every runtime test
// then uses that installed copy, so a file missing from `files` or a wrong `exports` entry fails them.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** `npm pack --json` may be preceded by the prepare script's output: take the JSON array at the end. */
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
  if (reuse) return { ...(JSON.parse(readFileSync(join(reuse, 'installed.json'), 'utf8')) as Installed), ...copyFixtures(join(reuse, 'app')) };
  const work = mkdtempSync(join(tmpdir(), 'simdnet-runtimes-'));
  const packed = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, timeoutMs: 300_000 });
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${describeRun(packed)}`);
  const pack = parsePackJson(packed.stdout);
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack left no tarball in ${work}`);
  const tarball = join(work, tgz);

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'simdnet-user', private: true, type: 'module' }, null, 2));
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
  cpSync(join(repoRoot, 'examples', 'edge'), join(app, 'edge'), { recursive: true });
  return {};
}
