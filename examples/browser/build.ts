/**
 * Builds the browser example with esbuild (main.ts → dist/main.js, plus
 * index.html) and optionally serves it on 127.0.0.1.
 *
 *   npm run example:browser                 build into examples/browser/dist and serve on port 8080
 *   node --import tsx examples/browser/build.ts [--out DIR] [--no-serve] [--port N]
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.map': 'application/json' };

/** Bundles the page into `outDir` (created when missing); returns the bundle size in bytes. */
export async function buildExample(outDir: string): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(HERE, 'main.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    outfile: join(outDir, 'main.js'), sourcemap: true, minify: true, metafile: true, logLevel: 'error',
  });
  copyFileSync(join(HERE, 'index.html'), join(outDir, 'index.html'));
  return result.metafile.outputs[Object.keys(result.metafile.outputs).find((name) => name.endsWith('main.js')) ?? '']?.bytes ?? 0;
}

/** Serves `dir` (read-only, no directory listing) on 127.0.0.1; port 0 picks a free one. */
export async function serveExample(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = normalize(path === '/' ? '/index.html' : path);
    const type = TYPES[extname(file)];
    let body: Buffer | undefined;
    try {
      body = type === undefined || file.includes('..') ? undefined : readFileSync(join(dir, file));
    } catch {
      body = undefined;
    }
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': body === undefined ? 'text/plain' : (type as string), 'cache-control': 'no-store' });
    response.end(body ?? 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function main(argv: readonly string[]): Promise<void> {
  const option = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const out = option('--out') ?? join(HERE, 'dist');
  const bytes = await buildExample(out);
  console.log(`built ${join(out, 'main.js')} (${Math.round(bytes / 1024)} KiB) and index.html`);
  if (argv.includes('--no-serve')) {
    console.log(`serve ${out} over HTTP (IndexedDB and BroadcastChannel need an http(s) origin), e.g. npm run example:browser`);
    return;
  }
  const { url } = await serveExample(out, Number(option('--port') ?? 8080));
  console.log(`open ${url} (four peers in one tab) or ${url}?peers=Alice,Bob and ${url}?peers=Carol,Dave in two tabs; Ctrl-C stops`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(String(error));
    process.exitCode = 1;
  });
}
