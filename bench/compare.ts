/**
 * lstm-ts against itself: the same workloads run by two or more checkouts of this repository (a
 * commit before a change and after it, say), interleaved run by run (A B C A B C …) so the shared
 * machine's noise falls on each alike, each run a fresh bench/child.ts process of its checkout.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci)
 *   npx tsx bench/compare.ts --dirs /tmp/before,. --only W1,W2,W3 --runs 5
 *
 *   npx tsx bench/compare.ts --dirs . --engines lstm-ts,lstm-ts-async --only W1,W2,W3   # fit against fitAsync
 *
 * Each (checkout, engine) pair is one column. Prints, per workload, each checkout's median (updates/s whole and last quarter for W1–W3, ms
 * per training step and per forward for W4, W5) and its ratio to the first checkout's. CPU time
 * is printed beside wall time: less sensitive to other jobs on the machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WORKLOAD_IDS, type RunResult, type WorkloadId } from './workloads.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const dirs = (flag('--dirs') ?? '').split(',').filter((d) => d.length > 0).map((d) => path.resolve(d));
const only = (flag('--only')?.split(',') ?? [...WORKLOAD_IDS]) as WorkloadId[];
const runs = Number(flag('--runs') ?? 3);
const quick = args.includes('--quick');
const engines = (flag('--engines') ?? 'lstm-ts').split(',');
if (dirs.length * engines.length < 2) throw new Error('--dirs, --engines: expected two or more checkouts or engines, comma-separated (the first is the baseline)');
for (const d of dirs) if (!existsSync(path.join(d, 'bench', 'child.ts'))) throw new Error(`--dirs: ${d} has no bench/child.ts`);
for (const w of only) if (!WORKLOAD_IDS.includes(w)) throw new Error(`--only: unknown workload ${w}; expected some of ${WORKLOAD_IDS.join(',')}`);

const columns = dirs.flatMap((dir) => engines.map((engine) => ({ dir, engine, key: `${dir}|${engine}` })));
const results = new Map<string, RunResult[]>(); // `${dir}|${engine}|${workload}` → runs
for (const workload of only) {
  for (let run = 0; run < runs; run++) {
    for (const { dir, engine } of columns) {
      const tsx = path.join(dir, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
      const child = spawnSync(process.execPath, ['--expose-gc', '--import', tsx, path.join(dir, 'bench', 'child.ts'), engine, workload, String(run), String(run + 1), quick ? '1' : '0'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
      const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) throw new Error(`${dir} ${engine} ${workload} run ${run}: no result\n${child.stderr}`);
      const key = `${dir}|${engine}|${workload}`;
      results.set(key, [...(results.get(key) ?? []), JSON.parse(line.slice(7)) as RunResult]);
      process.stderr.write('.');
    }
  }
}
process.stderr.write('\n');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const figures = (r: RunResult[]): Record<string, number> => {
  const out: Record<string, number> = {};
  const put = (name: string, values: (number | undefined)[]): void => {
    const known = values.filter((v): v is number => v !== undefined);
    if (known.length > 0) out[name] = median(known);
  };
  put('updates/s', r.map((x) => x.updatesPerSecond));
  put('warm updates/s', r.map((x) => x.warmUpdatesPerSecond));
  put('ms/step', r.map((x) => x.medianStepMs));
  put('ms/forward', r.map((x) => x.medianForwardMs));
  put('cpu ms', r.map((x) => x.cpuMs));
  return out;
};
const label = (c: (typeof columns)[number]): string => [dirs.length > 1 ? path.basename(c.dir) : '', engines.length > 1 ? c.engine : ''].filter((x) => x).join(' ');
console.log(`| workload | measure | ${columns.map((c, i) => `${i === 0 ? 'baseline ' : ''}${label(c)}`).join(' | ')} |`);
console.log(`|---|---|${columns.map(() => '---:').join('|')}|`);
for (const workload of only) {
  const base = figures(results.get(`${columns[0].key}|${workload}`)!);
  for (const measure of Object.keys(base)) {
    const cells = columns.map((c, i) => {
      const v = figures(results.get(`${c.key}|${workload}`)!)[measure];
      const shown = v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
      return i === 0 ? shown : `${shown} (×${(v / base[measure]).toFixed(2)})`;
    });
    console.log(`| ${workload} | ${measure} | ${cells.join(' | ')} |`);
  }
}
console.log(`\n${runs} runs per checkout and workload, interleaved; medians. ×: this checkout's figure over the baseline's.`);
