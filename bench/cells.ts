/**
 * GRU and SimpleRNN beside the LSTM, on W3's and W4's shapes with the recurrent layer swapped
 * (bench/engines/lstm-ts.ts, `RecurrentKind`): each run a fresh bench/child.ts process, the kinds
 * interleaved run by run so the shared machine's noise falls on each alike.
 *
 *   npx tsx bench/cells.ts                     # W3 and W4, 5 runs of each kind
 *   npx tsx bench/cells.ts --only W4 --runs 3 --quick
 *   npx tsx bench/cells.ts --md bench/results/cells.md
 *
 * "Per unit of work": a recurrent layer's FLOPs are 2·B·T·blocks·H·(I + H), blocks = 4 (LSTM),
 * 3 (GRU), 1 (SimpleRNN), so the time per unit of work is the time divided by the gate blocks; the
 * ratio to the LSTM's is (t / blocks) / (t_LSTM / 4) (1 = as fast per unit of work; the issue asks
 * for at most 1.5). Two LSTM baselines: the LSTM as it runs by default (float32: its cell in
 * WebAssembly), and the LSTM with its TypeScript cell (useWasmCells(false)), which is how GRU and
 * SimpleRNN run theirs (every matrix product runs in the same gemm for all of them).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATE_BLOCKS, RECURRENT_KINDS, type RecurrentKind } from './engines/lstm-ts.js';
import { median, type RunResult } from './workloads.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const only = (flag('--only') ?? 'W3,W4').split(',');
const runs = Number(flag('--runs') ?? 5);
const quick = args.includes('--quick');
const mdPath = flag('--md');
for (const w of only) if (w !== 'W3' && w !== 'W4') throw new Error(`--only: expected W3 and/or W4, got ${w}`);
const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.join(here, '..', 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');

const results = new Map<string, RunResult[]>(); // `${workload}|${kind}` → runs
for (const workload of only) {
  for (let run = 0; run < runs; run++) {
    for (const kind of RECURRENT_KINDS) {
      const engine = kind === 'lstm' ? 'lstm-ts' : `lstm-ts/${kind}`;
      const child = spawnSync(process.execPath, ['--expose-gc', '--import', tsx, path.join(here, 'child.ts'), engine, workload, String(run), String(run + 1), quick ? '1' : '0'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) throw new Error(`${workload} ${kind} run ${run}: no result\n${child.stderr}`);
      const key = `${workload}|${kind}`;
      results.set(key, [...(results.get(key) ?? []), JSON.parse(line.slice(7)) as RunResult]);
      process.stderr.write('.');
    }
  }
}
process.stderr.write('\n');

/** Seconds per unit of work of one run: W3 per update (last quarter, warm), W4 per training step; CPU time beside. */
function perRun(workload: string, r: RunResult): { wall: number; cpu: number } {
  if (workload === 'W3') return { wall: 1 / r.warmUpdatesPerSecond!, cpu: r.cpuMs! / 1000 / r.updates! };
  return { wall: r.medianStepMs! / 1000, cpu: r.cpuMs! / 1000 / r.stepMs!.length };
}

const lines: string[] = [];
lines.push(`GRU and SimpleRNN beside the LSTM (float32), ${runs} interleaved run(s) of each${quick ? ', --quick (shortened)' : ''}; medians. ` +
  'W3: time per update over the last quarter of the updates (warm); W4: median training step. "per unit" = time / gate blocks; "vs LSTM" = per unit over the LSTM\'s per unit (1.5 = the issue\'s bound).');
lines.push('');
lines.push('| workload | layer | gate blocks | time | CPU time (W3: whole run) | per unit vs LSTM (wasm cell) | per unit vs LSTM (TypeScript cell) |');
lines.push('|---|---|---|---|---|---|---|');
for (const workload of only) {
  const stats = new Map<RecurrentKind, { wall: number; cpu: number }>();
  for (const kind of RECURRENT_KINDS) {
    const rs = (results.get(`${workload}|${kind}`) ?? []).map((r) => perRun(workload, r));
    stats.set(kind, { wall: median(rs.map((x) => x.wall)), cpu: median(rs.map((x) => x.cpu)) });
  }
  const unit = (k: RecurrentKind, which: 'wall' | 'cpu'): number => stats.get(k)![which] / GATE_BLOCKS[k];
  const fmt = (s: number): string => (workload === 'W3' ? `${(s * 1e6).toFixed(0)} µs` : `${(s * 1e3).toFixed(1)} ms`);
  for (const kind of RECURRENT_KINDS) {
    const s = stats.get(kind)!;
    const vs = (base: RecurrentKind): string => `${(unit(kind, 'wall') / unit(base, 'wall')).toFixed(2)} (CPU ${(unit(kind, 'cpu') / unit(base, 'cpu')).toFixed(2)})`;
    lines.push(`| ${workload} | ${kind} | ${GATE_BLOCKS[kind]} | ${fmt(s.wall)} | ${fmt(s.cpu)} | ${vs('lstm')} | ${vs('lstm-ts-cell')} |`);
  }
}
const text = lines.join('\n') + '\n';
process.stdout.write(text);
if (mdPath !== undefined) writeFileSync(mdPath, text);
