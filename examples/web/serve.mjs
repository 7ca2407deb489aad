#!/usr/bin/env node
// A small static file server for the built page (node:http, 127.0.0.1 only). `node serve.mjs [--port 5173]
// [--dir build/web] [--isolated]`; the browser test imports serveStatic() and listens on a random port.
// --isolated (isolated: true) sends COOP/COEP headers, so the page is cross-origin isolated (crossOriginIsolated,
// SharedArrayBuffer), as a host that needs threads would serve it; the page works either way.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves `dir` on host:port (0 = any free port); resolves to its URL and a close function. */
export function serveStatic(dir, { host = '127.0.0.1', port = 0, isolated = false } = {}) {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-cache',
        ...(isolated ? ISOLATION : {}),
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => {
      const a = server.address();
      res({ url: `http://${host}:${a.port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const here = fileURLToPath(new URL('.', import.meta.url));
  const isolated = process.argv.includes('--isolated');
  const { url } = await serveStatic(arg('--dir', join(here, '../../build/web')), {
    port: Number(arg('--port', process.env.PORT ?? 5173)),
    isolated,
  });
  console.log(`simdnet web example: ${url}${isolated ? ' (cross-origin isolated)' : ''}  (Ctrl-C to stop)`);
}
