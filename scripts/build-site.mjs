#!/usr/bin/env node
// Build the BPTT lab (site/) into plain static files, site/dist/ by default (or the folder given):
// index.html, app.js, worker.js, bundled by esbuild for browsers. Any static server or GitHub
// Pages can host them; nothing is loaded from elsewhere, and the page's Content Security Policy
// allows only its own scripts and WebAssembly (no eval). Usage: npm run site [-- outDir]
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'site', 'dist'));
mkdirSync(out, { recursive: true });
for (const name of ['app', 'worker']) {
  await build({ entryPoints: [join(root, 'site', `${name}.ts`)], outfile: join(out, `${name}.js`), bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: true, logLevel: 'warning' });
}
copyFileSync(join(root, 'site', 'index.html'), join(out, 'index.html'));
console.log(`built the lab into ${out}`);
