/**
 * The BPTT lab (site/): its training side (site/lab.ts) in Node, and its build. The page itself
 * is plain DOM drawing over these reports (site/app.ts).
 *   - every report's trace has the problem's shape (steps × units) and changes as it trains;
 *   - T4: the stateless model cannot tell the two 0s apart, the stateful one learns both;
 *   - `npm run site` builds plain files under a strict CSP with nothing loaded from elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { Script, createContext } from 'node:vm';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Lab } from '../site/lab.js';

describe('the lab', () => {
  it('echo: traces of 5 steps × 25 units (gates 100), moving as it trains, the loss falling', () => {
    const lab = new Lab('echo', 2);
    const first = lab.step();
    expect(first.trace.gates.length).toBe(5);
    expect(first.trace.gates.every((row) => row.length === 100)).toBe(true);
    for (const key of ['cell', 'hidden', 'dHidden', 'dCell'] as const) expect(first.trace[key].map((row) => row.length)).toEqual([25, 25, 25, 25, 25]);
    expect(first.trace.gradientNorms).toHaveLength(5);
    let last = first;
    for (let i = 0; i < 6; i++) last = lab.step();
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.trace.hidden).not.toEqual(first.trace.hidden);
    // dL/dh at the last step is what the loss sends; earlier steps get what flows back through time
    expect(last.trace.gradientNorms.every((n) => Number.isFinite(n) && n >= 0)).toBe(true);
  });

  it('T4: stateless stays wrong on one of the two 0s; stateful gets both', () => {
    const stateless = new Lab('t4-stateless', 1);
    const stateful = new Lab('t4-stateful', 1);
    let a = stateless.step();
    let b = stateful.step();
    for (let i = 0; i < 30; i++) {
      a = stateless.step();
      b = stateful.step();
    }
    expect(a.predictions.filter((p) => p.predicted === p.wanted).length).toBeLessThan(2); // the same input, one answer
    expect(b.predictions.every((p) => p.predicted === p.wanted)).toBe(true);
  });
});

describe('npm run site', () => {
  it('builds index.html, app.js, worker.js: local scripts only, a CSP without eval; the worker trains where strings cannot become code', () => {
    const out = mkdtempSync(join(tmpdir(), 'lstm-ts-site-'));
    try {
      execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-site.mjs', import.meta.url)), out], { stdio: 'pipe' });
      expect(readdirSync(out).sort()).toEqual(['app.js', 'index.html', 'worker.js']);
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      expect(html).toMatch(/Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/);
      expect(html).not.toMatch(/https?:\/\//);
      // The worker, run as a page's CSP would let it (no string evaluated as code), trains and reports.
      const replies: unknown[] = [];
      const scope: Record<string, unknown> = { postMessage: (m: unknown) => replies.push(m), onmessage: null };
      const context = createContext({ self: scope, setTimeout, clearTimeout, console, atob, TextEncoder, TextDecoder, performance, WebAssembly }, { codeGeneration: { strings: false, wasm: true } });
      new Script(readFileSync(join(out, 'worker.js'), 'utf8')).runInContext(context);
      (scope.onmessage as (e: { data: unknown }) => void)({ data: { type: 'start', problem: 'echo', seed: 1 } });
      expect(replies).toHaveLength(1);
      expect((replies[0] as { trace: { gates: number[][] } }).trace.gates).toHaveLength(5);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
