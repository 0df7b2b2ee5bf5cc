/**
 * The BPTT lab in a real browser: Debian's Chromium (`apt-get install chromium`) driven by
 * playwright-core, on the files `npm run site` builds, served from localhost under the page's
 * own Content Security Policy. Run with `npm run test:browser` (not part of `npm test`: a clean
 * CI machine has no Chromium; see the README). It checks: no console error; the echo problem
 * trains (the loss falls); the heat maps have the problem's dimensions and change as it trains;
 * a 50 ms timer keeps firing on the page while the worker trains.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
let dir = '';
let server: Server;
let browser: Browser;
let url = '';

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM`);
  dir = mkdtempSync(join(tmpdir(), 'lstm-ts-page-'));
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-site.mjs', import.meta.url)), dir], { stdio: 'pipe' });
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  server = createServer((request, response) => {
    const file = join(dir, request.url === '/' ? 'index.html' : request.url!.slice(1));
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the BPTT lab in Chromium', () => {
  it('loads with no console error, trains the echo problem, draws heat maps of its shape that change, and keeps the page responsive', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(url);
    await page.waitForFunction(() => /step 1,/.test(document.getElementById('status')!.textContent ?? ''));
    const dims = await page.evaluate(() => ['gates', 'cell', 'hidden', 'dhidden', 'dcell'].map((id) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      return [c.dataset.steps, c.dataset.rows];
    }));
    expect(dims).toEqual([['5', '100'], ['5', '25'], ['5', '25'], ['5', '25'], ['5', '25']]);
    const pixels = () => page.evaluate(() => {
      const c = document.getElementById('hidden') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 97 === 0));
    });
    const before = await pixels();
    const firstLoss = await page.evaluate(() => Number(/loss ([\d.]+)/.exec(document.getElementById('status')!.textContent!)![1]));
    // Play for a while, counting a 50 ms timer on the page meanwhile.
    await page.evaluate(() => {
      (window as unknown as { ticks: number }).ticks = 0;
      setInterval(() => (window as unknown as { ticks: number }).ticks++, 50);
    });
    await page.click('#play');
    await page.waitForFunction(() => Number(/step (\d+),/.exec(document.getElementById('status')!.textContent ?? '')?.[1] ?? 0) >= 15, undefined, { timeout: 60_000 });
    await page.click('#pause');
    // SCREENSHOT=docs/lab.png npm run test:browser writes the picture the README shows.
    if (process.env.SCREENSHOT !== undefined) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    const ticks = await page.evaluate(() => (window as unknown as { ticks: number }).ticks);
    const lastLoss = await page.evaluate(() => Number(/loss ([\d.]+)/.exec(document.getElementById('status')!.textContent!)![1]));
    const after = await pixels();
    expect(problems, problems.join("\n")).toEqual([]);
    expect(lastLoss).toBeLessThan(firstLoss);
    expect(after).not.toEqual(before);
    expect(ticks).toBeGreaterThan(5);
    await page.close();
  }, 90_000);
});
