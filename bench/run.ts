/**
 * npm run bench: workloads W1–W5 (../shared/workloads.md) on lstm-ts and, in the same run, on
 * TF.js (cpu and wasm backends) and brain.js where it is installed and a workload maps onto it.
 *
 *   npm run bench                      # the full run (prints its expected duration first)
 *   npm run bench -- --quick           # a cut-down run, about a minute: W1–W4 shortened, W5 on lstm-ts only
 *   npm run bench -- --only W1,W4      # some workloads
 *   npm run bench -- --engines lstm-ts,tfjs-wasm
 *   npm run bench -- --slow-peers      # also W5 on TF.js cpu and brain.js (about 100 s per step each)
 *   npm run bench -- --runs 3          # runs per engine and workload (default 5; W5 peers 1)
 *
 * Every run is a child process of its own (bench/child.ts), so resident memory is per engine, and
 * engines are interleaved run by run (lstm-ts, TF.js cpu, TF.js wasm, brain.js, lstm-ts, …): the
 * machine is shared and noisy, and interleaving spreads the noise over every engine alike.
 * Figures are medians over runs; ratios are lstm-ts's speed over the peer's (×10 = ten times as fast).
 *
 * Writes bench/results/latest.json and latest.md (full runs) or quick.json and quick.md (--quick).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRAINJS_UNMAPPED, loadBrainJs } from './engines/brainjs.js';
import { includeInReadme } from './readme-include.js';
import { W4_SHAPE, W5_SHAPE, WORKLOAD_IDS, lstmForwardFlops, median, scaleOf, type RunResult, type WorkloadId } from './workloads.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const slowPeers = args.includes('--slow-peers');
const only = (flag('--only')?.split(',') ?? [...WORKLOAD_IDS]) as WorkloadId[];
const ALL_ENGINES = ['lstm-ts', 'tfjs-cpu', 'tfjs-wasm', 'brainjs'] as const;
type Engine = (typeof ALL_ENGINES)[number];
const engines = (flag('--engines')?.split(',') ?? [...ALL_ENGINES]) as Engine[];
const runsFlag = flag('--runs');
// A run narrowed by --only, --engines or --runs is not the full table: it goes to partial.*, so only
// a whole `npm run bench` replaces latest.* and the READMEs' copies of it.
const partial = flag('--only') !== undefined || flag('--engines') !== undefined || runsFlag !== undefined;
const outName = flag('--out') ?? (quick ? 'quick' : partial ? 'partial' : 'latest');
const resultsDir = path.join(here, 'results');

const ENGINE_LABEL: Record<Engine, string> = { 'lstm-ts': 'lstm-ts', 'tfjs-cpu': 'TF.js cpu', 'tfjs-wasm': 'TF.js wasm', brainjs: 'brain.js' };

for (const w of only) if (!WORKLOAD_IDS.includes(w)) throw new Error(`--only: unknown workload ${w}; expected some of ${WORKLOAD_IDS.join(',')}`);
for (const e of engines) if (!ALL_ENGINES.includes(e)) throw new Error(`--engines: unknown engine ${e}; expected some of ${ALL_ENGINES.join(',')}`);

const brain = loadBrainJs();

/** Why an engine does not run a workload in this run, or undefined when it does. */
function skipReason(engine: Engine, w: WorkloadId): string | undefined {
  if (engine === 'brainjs') {
    if (!brain.brain) return brain.why;
    if (BRAINJS_UNMAPPED[w]) return BRAINJS_UNMAPPED[w];
  }
  if (w === 'W5' && engine !== 'lstm-ts') {
    if (quick) return 'skipped in --quick (minutes per step)';
    if ((engine === 'tfjs-cpu' || engine === 'brainjs') && !slowPeers) return 'skipped: about 100 s per step (workloads.md); --slow-peers includes it';
  }
  return undefined;
}

/** Runs per (engine, workload): at least 5, except W5 where a peer's run takes minutes. */
function runsOf(engine: Engine, w: WorkloadId): number {
  if (quick) return 1;
  if (runsFlag !== undefined) return Number(runsFlag);
  if (w === 'W5') return engine === 'lstm-ts' ? 3 : 1;
  return 5;
}

// --- Rough seconds per run (child start-up included), used only to say how long this will take:
// from the previous results file of the same kind when there is one, else these measured defaults.
const DEFAULT_SECONDS: Record<Engine, Record<WorkloadId, number>> = {
  'lstm-ts': { W1: 2, W2: 3, W3: 4, W4: 10, W5: 90 },
  'tfjs-cpu': { W1: 8, W2: 28, W3: 56, W4: 60, W5: 700 },
  'tfjs-wasm': { W1: 8, W2: 18, W3: 44, W4: 16, W5: 300 },
  brainjs: { W1: 0, W2: 0, W3: 6, W4: 47, W5: 700 },
};
const QUICK_SECONDS: Record<Engine, Record<WorkloadId, number>> = {
  'lstm-ts': { W1: 1.5, W2: 1.5, W3: 2, W4: 2, W5: 15 },
  'tfjs-cpu': { W1: 3, W2: 4, W3: 8, W4: 10, W5: 0 },
  'tfjs-wasm': { W1: 3, W2: 4, W3: 7, W4: 4, W5: 0 },
  brainjs: { W1: 0, W2: 0, W3: 4, W4: 8, W5: 0 },
};
function previousSeconds(): Map<string, number> {
  const file = path.join(resultsDir, `${outName}.json`);
  const out = new Map<string, number>();
  if (!existsSync(file)) return out;
  try {
    const prev = JSON.parse(readFileSync(file, 'utf8')) as { results: (RunResult & { childSeconds?: number })[] };
    const byKey = new Map<string, number[]>();
    for (const r of prev.results) {
      if (r.childSeconds === undefined) continue;
      const key = `${r.engine}/${r.workload}`;
      byKey.set(key, [...(byKey.get(key) ?? []), r.childSeconds]);
    }
    for (const [key, xs] of byKey) out.set(key, median(xs));
  } catch {
    // an unreadable file only costs the estimate
  }
  return out;
}

interface Job {
  engine: Engine;
  workload: WorkloadId;
  run: number;
}
const jobs: Job[] = [];
const skipped: { engine: Engine; workload: WorkloadId; why: string }[] = [];
for (const w of only) {
  const active = engines.filter((e) => {
    const why = skipReason(e, w);
    if (why !== undefined) skipped.push({ engine: e, workload: w, why });
    return why === undefined;
  });
  const most = Math.max(0, ...active.map((e) => runsOf(e, w)));
  for (let run = 0; run < most; run++) for (const e of active) if (run < runsOf(e, w)) jobs.push({ engine: e, workload: w, run });
}

const previous = previousSeconds();
const estimate = jobs.reduce((s, j) => s + (previous.get(`${j.engine}/${j.workload}`) ?? (quick ? QUICK_SECONDS : DEFAULT_SECONDS)[j.engine][j.workload]), 0);
console.log(`lstm-ts benchmark (${quick ? 'quick' : 'full'}): ${jobs.length} runs in child processes; expected to take about ${formatDuration(estimate)} ` +
  `(${previous.size > 0 ? `from the run times in bench/results/${outName}.json` : 'from typical run times on a 2-core machine'}).`);
for (const s of skipped) console.log(`  not run: ${ENGINE_LABEL[s.engine]} ${s.workload}: ${s.why}`);

const started = Date.now();
const results: (RunResult & { childSeconds: number })[] = [];
const failures: { engine: Engine; workload: WorkloadId; run: number; error: string }[] = [];
const tsxLoader = pathToTsx();
jobs.forEach((job, index) => {
  const seed = job.run + 1; // the same seed for every engine in run r
  const t0 = Date.now();
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', tsxLoader, path.join(here, 'child.ts'), job.engine, job.workload, String(job.run), String(seed), quick ? '1' : '0'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 45 * 60 * 1000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  const childSeconds = (Date.now() - t0) / 1000;
  const line = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  const progress = `[${index + 1}/${jobs.length}] ${job.workload} ${ENGINE_LABEL[job.engine]} run ${job.run + 1}`;
  if (child.status !== 0 || line === undefined) {
    const error = (child.error?.message ?? child.stderr?.trim().split('\n').slice(-3).join(' | ') ?? `exit ${child.status}`).slice(0, 500);
    failures.push({ ...job, error });
    console.log(`${progress}: FAILED (${error})`);
    return;
  }
  const result = { ...(JSON.parse(line.slice('RESULT '.length)) as RunResult), childSeconds };
  results.push(result);
  console.log(`${progress}: ${describeRun(result)} (${childSeconds.toFixed(1)} s)`);
});
const seconds = (Date.now() - started) / 1000;

// --- Summaries
interface Cell {
  engine: Engine;
  workload: WorkloadId;
  runs: number;
  /** W1–W3: updates/s; W4, W5: ms per training step. */
  updatesPerSecond?: number;
  warmUpdatesPerSecond?: number;
  stepMs?: number;
  forwardMs?: number;
  gflops?: number;
  forwardGflops?: number;
  outcome?: string;
  maxRssMiB: number;
  peakRssSampledMiB: number;
  rssAfter1kMiB?: number;
  rssAfter10kMiB?: number;
  rssAfter1kNoGcMiB?: number;
  rssAfter10kNoGcMiB?: number;
}

const FLOPS: Partial<Record<WorkloadId, { train: number; forward: number }>> = {
  W4: { train: 3 * lstmForwardFlops(W4_SHAPE), forward: lstmForwardFlops(W4_SHAPE) },
  W5: { train: 3 * lstmForwardFlops(W5_SHAPE), forward: lstmForwardFlops(W5_SHAPE) },
};

const cells: Cell[] = [];
for (const w of only) {
  for (const e of engines) {
    const rs = results.filter((r) => r.engine === e && r.workload === w);
    if (rs.length === 0) continue;
    const pick = (f: (r: RunResult) => number | undefined): number | undefined => {
      const xs = rs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length > 0 ? median(xs) : undefined;
    };
    const cell: Cell = {
      engine: e,
      workload: w,
      runs: rs.length,
      maxRssMiB: Math.max(...rs.map((r) => r.maxRssMiB)),
      peakRssSampledMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
    };
    const ups = pick((r) => r.updatesPerSecond);
    if (ups !== undefined) cell.updatesPerSecond = ups;
    const warm = pick((r) => r.warmUpdatesPerSecond);
    if (warm !== undefined) cell.warmUpdatesPerSecond = warm;
    const step = pick((r) => r.medianStepMs);
    if (step !== undefined) {
      cell.stepMs = step;
      const f = FLOPS[w];
      if (f) cell.gflops = f.train / (step * 1e6);
    }
    const fwd = pick((r) => r.medianForwardMs);
    if (fwd !== undefined) {
      cell.forwardMs = fwd;
      const f = FLOPS[w];
      if (f) cell.forwardGflops = f.forward / (fwd * 1e6);
    }
    for (const key of ['rssAfter1kMiB', 'rssAfter10kMiB', 'rssAfter1kNoGcMiB', 'rssAfter10kNoGcMiB'] as const) {
      const v = pick((r) => r[key]);
      if (v !== undefined) cell[key] = v;
    }
    const outcomes = rs.map((r) => r.outcome).filter((o) => o !== undefined);
    if (outcomes.length > 0 && !quick) {
      if (w === 'W1') {
        const all = outcomes.filter((o) => o.allCorrect).length;
        cell.outcome = `8/8 in ${all} of ${outcomes.length} runs (correct: ${outcomes.map((o) => o.correct).join(', ')})`;
      } else {
        const acc = outcomes.map((o) => o.correct / o.total);
        cell.outcome = `median ${pct(median(acc))} (runs: ${acc.map(pct).join(', ')})`;
      }
    } else if (outcomes.length > 0) {
      cell.outcome = `shortened run: ${outcomes.map((o) => `${o.correct}/${o.total}`).join(', ')} (not the workload's outcome)`;
    }
    cells.push(cell);
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const summary = {
  date: new Date().toISOString(),
  command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
  quick,
  node: process.version,
  cpu: `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  loadAverageAtEnd: os.loadavg(),
  seconds,
  brainjs: brain.version ?? null,
  skipped,
  failures,
  cells,
  results,
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, `${outName}.json`), `${JSON.stringify(summary, null, 2)}\n`);
const markdown = renderMarkdown();
writeFileSync(path.join(resultsDir, `${outName}.md`), markdown);
if (outName === 'latest') {
  includeInReadme(path.join(here, 'README.md'), 'latest', markdown);
  includeInReadme(path.join(here, '..', 'README.md'), 'bench-latest', markdown);
}
console.log(`\n${markdown}`);
console.log(`Wrote bench/results/${outName}.json and bench/results/${outName}.md in ${formatDuration(seconds)}.`);
if (failures.length > 0) process.exitCode = 1;

// ---------------------------------------------------------------------------------------------

function renderMarkdown(): string {
  const present = engines.filter((e) => cells.some((c) => c.engine === e) || skipped.some((s) => s.engine === e));
  const peers = present.filter((e) => e !== 'lstm-ts');
  const cellOf = (e: Engine, w: WorkloadId) => cells.find((c) => c.engine === e && c.workload === w);
  const whyNot = (e: Engine, w: WorkloadId) => {
    const s = skipped.find((x) => x.engine === e && x.workload === w);
    if (s) return s.why.startsWith('no stateful') ? 'not expressible' : s.why.startsWith('skipped') ? 'not run' : 'not installed';
    return failures.some((f) => f.engine === e && f.workload === w) ? 'failed' : '–';
  };
  const lines: string[] = [];
  lines.push(`<!-- Written by bench/run.ts (${summary.command}); do not edit by hand. -->`);
  lines.push(`Run of ${summary.date.slice(0, 16).replace('T', ' ')} UTC: \`${summary.command}\`, Node ${summary.node}, ${summary.cpu}, ` +
    `${formatDuration(seconds)}${quick ? ' (--quick: shortened workloads, one run each; not comparable with the full figures)' : ''}.`);
  lines.push('');
  lines.push(`Speed: medians over runs (each run a fresh process; engines interleaved run by run). ` +
    `"×N" = lstm-ts's speed over the peer's, so ×10 means ten times as fast. GFLOP/s counts the LSTM's FLOPs as workloads.md does (training step = 3 × forward). ` +
    `W1–W3 are short (0.3–3 s for lstm-ts), so their whole-run rate includes V8's warm-up of the hot code; "last quarter" times only the last 25% of the updates.`);
  lines.push('');
  const header = ['workload', 'measure', ...present.map((e) => ENGINE_LABEL[e]), ...peers.map((e) => `lstm-ts vs ${ENGINE_LABEL[e]}`)];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const w of only) {
    const rows: { measure: string; value: (c: Cell) => number | undefined; format: (v: number, c: Cell) => string; higherIsBetter: boolean }[] =
      w === 'W4' || w === 'W5'
        ? [
          { measure: 'ms per training step (GFLOP/s)', value: (c) => c.stepMs, format: (v, c) => `${fmt(v)} (${c.gflops?.toFixed(2)})`, higherIsBetter: false },
          ...(w === 'W5' ? [{ measure: 'ms per forward pass (GFLOP/s)', value: (c: Cell) => c.forwardMs, format: (v: number, c: Cell) => `${fmt(v)} (${c.forwardGflops?.toFixed(2)})`, higherIsBetter: false }] : []),
        ]
        : [
          { measure: 'updates/s, whole run', value: (c) => c.updatesPerSecond, format: (v) => fmt(v), higherIsBetter: true },
          { measure: 'updates/s, last quarter (warm)', value: (c) => c.warmUpdatesPerSecond, format: (v) => fmt(v), higherIsBetter: true },
        ];
    for (const row of rows) {
      const ours = cellOf('lstm-ts', w);
      const oursValue = ours ? row.value(ours) : undefined;
      const values = present.map((e) => {
        const c = cellOf(e, w);
        const v = c ? row.value(c) : undefined;
        return v === undefined || !c ? whyNot(e, w) : `${row.format(v, c)}${c.runs > 1 || !quick ? ` n=${c.runs}` : ''}`;
      });
      const ratios = peers.map((e) => {
        const c = cellOf(e, w);
        const v = c ? row.value(c) : undefined;
        if (v === undefined || oursValue === undefined) return '–';
        const r = row.higherIsBetter ? oursValue / v : v / oursValue;
        return `×${r >= 10 ? r.toFixed(0) : r.toFixed(2)}`;
      });
      lines.push(`| ${w} | ${row.measure} | ${[...values, ...ratios].join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('Learning outcome (W1: all 8 next values right; W2: accuracy on the 25 pairs; W3: accuracy on 100 new sequences):');
  lines.push('');
  lines.push(`| workload | ${present.map((e) => ENGINE_LABEL[e]).join(' | ')} |`);
  lines.push(`|---|${present.map(() => '---').join('|')}|`);
  for (const w of only.filter((x) => x === 'W1' || x === 'W2' || x === 'W3')) {
    lines.push(`| ${w} | ${present.map((e) => cellOf(e, w)?.outcome ?? whyNot(e, w)).join(' | ')} |`);
  }
  lines.push('');
  lines.push('Peak resident memory of the process running the workload, in MiB (the OS\'s maxRSS; Node itself and the engine\'s code included; largest over runs):');
  lines.push('');
  lines.push(`| workload | ${present.map((e) => ENGINE_LABEL[e]).join(' | ')} |`);
  lines.push(`|---|${present.map(() => '---:').join('|')}|`);
  for (const w of only) {
    lines.push(`| ${w} | ${present.map((e) => {
      const c = cellOf(e, w);
      return c ? c.maxRssMiB.toFixed(0) : whyNot(e, w);
    }).join(' | ')} |`);
  }
  const flat = cells.filter((c) => c.workload === 'W3' && c.rssAfter1kMiB !== undefined && c.rssAfter10kMiB !== undefined);
  if (flat.length > 0) {
    lines.push('');
    lines.push('Memory over time, W3 (RSS in MiB after 1,000 and after 10,000 updates; medians over runs; "after GC" forces a full collection first):');
    lines.push('');
    lines.push('| engine | after 1,000 (after GC) | after 10,000 (after GC) | change | after 1,000 (no GC) | after 10,000 (no GC) | change |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const c of flat) {
      const change = (a?: number, b?: number) => (a !== undefined && b !== undefined ? `${((b / a - 1) * 100).toFixed(1)}%` : '–');
      lines.push(`| ${ENGINE_LABEL[c.engine]} | ${c.rssAfter1kMiB!.toFixed(1)} | ${c.rssAfter10kMiB!.toFixed(1)} | ${change(c.rssAfter1kMiB, c.rssAfter10kMiB)} | ` +
        `${c.rssAfter1kNoGcMiB?.toFixed(1) ?? '–'} | ${c.rssAfter10kNoGcMiB?.toFixed(1) ?? '–'} | ${change(c.rssAfter1kNoGcMiB, c.rssAfter10kNoGcMiB)} |`);
    }
  }
  if (skipped.length > 0 || failures.length > 0) {
    lines.push('');
    for (const s of dedupe(skipped.map((x) => `${ENGINE_LABEL[x.engine]} ${x.workload}: ${x.why}`))) lines.push(`- Not run: ${s}.`);
    for (const f of failures) lines.push(`- Failed: ${ENGINE_LABEL[f.engine]} ${f.workload} run ${f.run + 1}: ${f.error}`);
  }
  const scales = only.map((w) => {
    const s = scaleOf(w, quick);
    return w === 'W4' || w === 'W5'
      ? `${w}: ${s.warmup} warm-up + ${s.steps} timed steps${s.forwards ? ` + ${s.forwards} timed forward passes` : ''} per run`
      : `${w}: ${w === 'W3' ? `${s.updatesOrEpochs} updates` : `${s.updatesOrEpochs} epochs`} per run`;
  });
  lines.push('');
  lines.push(`Per run: ${scales.join('; ')}. n = runs per figure.`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

function describeRun(r: RunResult): string {
  const parts: string[] = [];
  if (r.updatesPerSecond !== undefined) parts.push(`${fmt(r.updatesPerSecond)} updates/s`);
  if (r.warmUpdatesPerSecond !== undefined) parts.push(`warm ${fmt(r.warmUpdatesPerSecond)}`);
  if (r.medianStepMs !== undefined) parts.push(`${fmt(r.medianStepMs)} ms/step`);
  if (r.medianForwardMs !== undefined) parts.push(`forward ${fmt(r.medianForwardMs)} ms`);
  if (r.outcome) parts.push(`${r.outcome.correct}/${r.outcome.total} right`);
  if (r.rssAfter1kMiB !== undefined && r.rssAfter10kMiB !== undefined) parts.push(`RSS ${r.rssAfter1kMiB.toFixed(0)} → ${r.rssAfter10kMiB.toFixed(0)} MiB`);
  parts.push(`peak RSS ${r.maxRssMiB.toFixed(0)} MiB`);
  return parts.join(', ');
}

function fmt(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en');
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

function formatDuration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  return `${Math.round(s / 60)} min`;
}

/** tsx's ESM loader, so children run the TypeScript sources directly. */
function pathToTsx(): string {
  return 'tsx';
}
