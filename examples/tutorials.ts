/**
 * Every tutorial example, run together.
 *
 *   npm run tutorials                   each experiment once (seed 1), printed as its example
 *                                       prints it, then a summary table
 *   npm run tutorials -- --report       each experiment over its seeds (T1: 20; T3: 50; T2f: 90; the rest 5),
 *                                       and the peer rows (examples/peers: T3 on TF.js, 50 seeds),
 *                                       then writes docs/tutorial-results.md from what it measured
 *
 * Flags (both modes):
 *   --seed N        the seed of the single runs (default 1)
 *   --only IDS      a comma-separated subset, e.g. --only T1,T2e
 *   --epochs N      override every selected experiment's epochs (T3: updates): shorter runs, NOT
 *                   the tutorials' settings, and the report says so in its heading
 *   --hard-sigmoid  Keras 2.0–2.2's gates instead of sigmoid
 *   --seeds N|A-B   with --report: seeds 1..N (or A..B) for every selected experiment, instead
 *                   of each experiment's own count
 *   --jobs N        worker processes running experiments side by side (default: 2, or 1 on one core)
 *   --out FILE      where --report writes (default docs/tutorial-results.md)
 *
 * The experiments run in child processes (this file, forked with --worker) so that two cores
 * work at once; each run's wall time is measured inside its worker around `run()` alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { includeInReadme } from '../bench/readme-include.js';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairedDifference, parseFlags, percent, readmeExcerpt, select, type Experiment, type Outcome, type PeerExperiment } from './common.js';
import { peers } from './peers/t3-tfjs.js';
import { experiments as t1 } from './t1-memory.js';
import { experiments as t2 } from './t2-alphabet.js';
import { experiments as t3 } from './t3-echo.js';
import { experiments as t4 } from './t4-two-steps.js';

const tutorials: Experiment[] = [...t1, ...t2, ...t3, ...t4];
/** Every experiment, in report order: a peer's row right after its tutorial's (T3-tfjs after T3's). */
const all: (Experiment | PeerExperiment)[] = tutorials.flatMap((e) => [e, ...peers.filter((p) => p.id.startsWith(`${e.id}-tfjs`))]);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Job {
  id: string;
  seed: number;
  epochs?: number;
  hardSigmoid: boolean;
}
interface Done {
  job: Job;
  outcome: Outcome;
  seconds: number;
  lines: string[];
}

// ---------------------------------------------------------------------------------------------
// Worker side: run the jobs it is sent, one at a time, and send back what they printed and measured.

if (process.argv[2] === '--worker') {
  process.on('message', async (job: Job) => {
    const experiment = all.find((e) => e.id === job.id)!;
    const lines: string[] = [];
    try {
      const started = performance.now();
      const outcome = await experiment.run({ seed: job.seed, epochs: job.epochs, recurrentActivation: job.hardSigmoid ? 'hardSigmoid' : 'sigmoid', log: (line) => lines.push(line) });
      const seconds = (performance.now() - started) / 1000;
      process.send!({ job, outcome, seconds, lines } satisfies Done);
    } catch (error) {
      process.send!({ job, error: (error as Error).stack ?? String(error), lines });
    }
  });
  process.on('disconnect', () => process.exit(0));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

// ---------------------------------------------------------------------------------------------
// Parent side

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const report = flags.rest.get('report') === true;
  const jobsFlag = flags.rest.get('jobs');
  const outFlag = flags.rest.get('out');
  const seedsFlag = flags.rest.get('seeds');
  for (const key of flags.rest.keys()) {
    if (!['report', 'jobs', 'out', 'seeds'].includes(key)) throw new Error(`unknown flag --${key}; expected --report, --seed N, --only IDS, --epochs N, --hard-sigmoid, --seeds N|A-B, --jobs N, --out FILE`);
  }
  const seedRange = (e: Experiment | PeerExperiment): number[] => {
    if (seedsFlag === undefined) return Array.from({ length: e.seeds }, (_, k) => k + 1);
    const match = typeof seedsFlag === 'string' ? /^(\d+)(?:-(\d+))?$/.exec(seedsFlag) : null;
    const [from, to] = match === null ? [NaN, NaN] : match[2] === undefined ? [1, Number(match[1])] : [Number(match[1]), Number(match[2])];
    if (!(from >= 0 && to >= from)) throw new Error(`--seeds: expected N or A-B (e.g. 10 or 6-15), got ${String(seedsFlag)}`);
    return Array.from({ length: to - from + 1 }, (_, k) => from + k);
  };
  const jobsCount = jobsFlag === undefined ? Math.min(2, availableParallelism()) : Number(jobsFlag);
  if (!Number.isInteger(jobsCount) || jobsCount < 1) throw new Error(`--jobs: expected a positive integer, got ${String(jobsFlag)}`);
  if (outFlag === true) throw new Error('--out: expected a file name');
  // Peer rows (examples/peers) run in a report, or when --only names them; not in the quick single
  // runs, nor with --hard-sigmoid (the peer is configured as current Keras, sigmoid gates).
  const chosen = select(all, flags.only).filter((e) => !('peer' in e) || ((report || flags.only !== undefined) && !flags.hardSigmoid));

  const jobs: Job[] = report
    ? chosen.flatMap((e) => seedRange(e).map((seed) => ({ id: e.id, seed, epochs: flags.epochs, hardSigmoid: flags.hardSigmoid })))
    : chosen.map((e) => ({ id: e.id, seed: flags.seed, epochs: flags.epochs, hardSigmoid: flags.hardSigmoid }));

  const loadBefore = loadavg()[0];
  const started = performance.now();
  const results = await runPool(jobs, jobsCount, report);
  const totalSeconds = (performance.now() - started) / 1000;
  const load = [loadBefore, loadavg()[0]] as const;

  const rows = chosen.map((e) => summarise(e, results.filter((r) => r.job.id === e.id)));
  console.log('');
  console.log(report ? summaryTable(rows, true) : summaryTable(rows, false));
  const f = rows.find((r) => r.experiment.id === 'T2f');
  const fm = rows.find((r) => r.experiment.id === 'T2f-masked');
  if (!report && f && fm) console.log(`\nT2 f side by side, same data: padded with 0 = A ${f.runs[0].outcome.text} | letters 1..26, padding masked ${fm.runs[0].outcome.text}`);
  console.log(`\n${results.length} runs in ${formatSeconds(totalSeconds)} (${jobsCount} at a time).`);
  if (report) {
    const out = typeof outFlag === 'string' ? outFlag : join(root, 'docs', 'tutorial-results.md');
    const markdown = reportMarkdown(rows, { totalSeconds, jobsCount, load, epochs: flags.epochs, hardSigmoid: flags.hardSigmoid, subset: flags.only, seeds: seedsFlag === undefined ? undefined : String(seedsFlag) });
    writeFileSync(out, markdown);
    console.log(`Wrote ${relative(process.cwd(), out)}.`);
    // A full, default report also refreshes the README's copy of its main table.
    if (typeof outFlag !== 'string' && !flags.only && flags.epochs === undefined && seedsFlag === undefined) {
      includeInReadme(join(root, 'README.md'), 'tutorial-results', readmeExcerpt(markdown));
      console.log('Updated the results table in README.md.');
    }
  }
}

/**
 * Run the jobs on `workers` forked processes. Single runs print each experiment's output in
 * order as soon as it and those before it are done (so they run in order too); a report prints
 * one line per run, and dispatches the long experiments first so the workers finish together.
 */
function runPool(jobs: Job[], workers: number, report: boolean): Promise<Done[]> {
  const order = new Map(jobs.map((j, k) => [j, k]));
  const expected = (j: Job): number => (j.id.endsWith('-tfjs') ? 200 : j.id.startsWith('T2f') ? 100 : j.id === 'T3-hard' ? 10 : j.id.startsWith('T3') ? 3 : 1);
  const queue = report ? [...jobs].sort((a, b) => expected(b) - expected(a) || order.get(a)! - order.get(b)!) : [...jobs];
  const done: (Done | undefined)[] = new Array(jobs.length);
  let printed = 0;
  return new Promise((resolve, reject) => {
    let live = 0;
    let failed = false;
    const next = (child: ChildProcess): void => {
      const job = queue.shift();
      if (job === undefined || failed) {
        child.disconnect();
        if (--live === 0 && !failed) resolve(done as Done[]);
        return;
      }
      child.send(job);
    };
    for (let w = 0; w < Math.min(workers, jobs.length); w++) {
      const child = fork(fileURLToPath(import.meta.url), ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      live++;
      child.on('message', (message: Done & { error?: string }) => {
        if (message.error !== undefined) {
          failed = true;
          reject(new Error(`${message.job.id} (seed ${message.job.seed}) failed:\n${message.lines.join('\n')}\n${message.error}`));
          child.disconnect();
          return;
        }
        const index = jobs.findIndex((j) => j.id === message.job.id && j.seed === message.job.seed);
        done[index] = message;
        if (report) {
          console.log(`${message.job.id.padEnd(13)} seed ${String(message.job.seed).padStart(2)}: ${message.outcome.text.padStart(8)}  ${formatSeconds(message.seconds).padStart(7)}`);
        } else {
          while (printed < jobs.length && done[printed] !== undefined) {
            const d = done[printed]!;
            const e = all.find((x) => x.id === d.job.id)!;
            console.log(`\n=== ${e.id}: ${e.title} (seed ${d.job.seed}) ===\n`);
            for (const line of d.lines) console.log(line);
            printed++;
          }
        }
        next(child);
      });
      child.on('exit', (code) => {
        if (code !== 0 && !failed) {
          failed = true;
          reject(new Error(`a worker exited with code ${code}`));
        }
      });
      next(child);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Summaries

interface Row {
  experiment: Experiment | PeerExperiment;
  runs: Done[];
  mean: number;
  min: Done;
  max: Done;
  asOriginal: number;
  checks: [string, number][];
  meanSeconds: number;
  training: string;
}

function summarise(experiment: Experiment | PeerExperiment, runs: Done[]): Row {
  const byAccuracy = [...runs].sort((a, b) => a.outcome.accuracy - b.outcome.accuracy);
  const names = Object.keys(runs[0]?.outcome.checks ?? {});
  return {
    experiment,
    runs,
    mean: runs.reduce((s, r) => s + r.outcome.accuracy, 0) / runs.length,
    min: byAccuracy[0],
    max: byAccuracy[byAccuracy.length - 1],
    asOriginal: runs.filter((r) => r.outcome.asOriginal).length,
    checks: names.map((name) => [name, runs.filter((r) => r.outcome.checks?.[name]).length]),
    meanSeconds: runs.reduce((s, r) => s + r.seconds, 0) / runs.length,
    training: runs[0]?.outcome.training ?? '',
  };
}

function summaryTable(rows: Row[], report: boolean): string {
  const header = report
    ? ['experiment', 'seeds', 'mean', 'min', 'max', 'as the original', 'original reports', 'time/run']
    : ['experiment', 'outcome', 'as the original', 'original reports', 'training', 'time'];
  const body = rows.map((r) => {
    const checks = r.checks.map(([name, k]) => `; ${name} ${k}/${r.runs.length}`).join('');
    return report
      ? [r.experiment.id, String(r.runs.length), percent(r.mean), r.min.outcome.text, r.max.outcome.text, `${r.asOriginal}/${r.runs.length}${checks}`, r.experiment.original, formatSeconds(r.meanSeconds)]
      : [r.experiment.id, r.runs[0].outcome.text, `${r.asOriginal === 1 ? 'yes' : 'NO'}${checks.replace(/ (\d)\/1/g, (_, k: string) => (k === '1' ? ' yes' : ' no'))}`, r.experiment.original, r.training, formatSeconds(r.meanSeconds)];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** '7/8 on 11 seeds, 6/8 on 1 seed' */
function tally(runs: Done[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.outcome.text, (counts.get(r.outcome.text) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([text, n]) => `${text} on ${n} seed${n === 1 ? '' : 's'}`).join(', ');
}

function formatSeconds(s: number): string {
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function reportMarkdown(rows: Row[], run: { totalSeconds: number; jobsCount: number; load: readonly [number, number]; epochs?: number; hardSigmoid: boolean; subset?: string[]; seeds?: string }): string {
  const md: string[] = [];
  const points = (x: number): string => (100 * x).toFixed(2); // a fraction as percentage points
  const withinNoise = (d: { mean: number; se: number }): boolean => Math.abs(d.mean) < 2 * d.se;
  md.push('# Tutorial results');
  md.push('');
  md.push('<!-- Generated by `npm run tutorials -- --report` (examples/tutorials.ts). Do not edit by hand: run it again. -->');
  md.push('');
  md.push(`Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run tutorials -- ${process.argv.slice(2).join(' ')}\`, on ${cpus()[0]?.model.trim() ?? 'an unknown CPU'} (${cpus().length} cores), Node ${process.version}; ${run.jobsCount} runs at a time, ${formatSeconds(run.totalSeconds)} in all (1-minute load average ${run.load[0].toFixed(2)} at the start, ${run.load[1].toFixed(2)} at the end: other work on the machine slows the runs). Every figure below was measured by that run; see [tutorials.md](tutorials.md) for what each example teaches.`);
  md.push('');
  if (run.epochs !== undefined) md.push(`**Epochs overridden to ${run.epochs} (T3: updates) for every experiment: these are NOT the tutorials' settings.**\n`);
  if (run.subset !== undefined) md.push(`**Only ${run.subset.join(', ')} were run.**\n`);
  if (run.seeds !== undefined) md.push(`**Seeds ${run.seeds.includes('-') ? run.seeds.replace('-', '..') : `1..${run.seeds}`} for every experiment, not each experiment's own count.**\n`);
  md.push(`Gates: ${run.hardSigmoid ? "hardSigmoid (Keras 2.0–2.2's default, which the originals ran on)" : "sigmoid (lstm-ts' and Keras 2.3+'s default; the originals ran on Keras 2.0–2.2, whose default was hardSigmoid)"}. Seeds 1..N unless said otherwise; each seed sets the weights, the shuffling and the example's data. Accuracy is on the data each original measures (T1, T2: the training data; T3: 100 new sequences). *As the original* counts the seeds on which the run shows what the original reports (for a framing that is meant to fail: that it fails). *Time/run* is the mean wall time of one training and evaluation, measured inside its worker process while ${run.jobsCount > 1 ? `${run.jobsCount} runs shared the machine's cores` : 'no other run was going'}.`);
  md.push('');
  md.push('| experiment | what | seeds | mean | min | max | as the original | original reports | training | time/run |');
  md.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const checks = r.checks.map(([name, k]) => `<br>${name}: ${k}/${r.runs.length}`).join('');
    md.push(`| ${r.experiment.id} | ${r.experiment.title} | ${r.runs.length} | ${percent(r.mean)} | ${r.min.outcome.text} | ${r.max.outcome.text} | ${r.asOriginal}/${r.runs.length} (${r.experiment.goal})${checks} | ${r.experiment.original} | ${r.training} | ${formatSeconds(r.meanSeconds)} |`);
  }
  md.push('');

  // What the numbers say, stated from the numbers.
  md.push('## Against the originals');
  md.push('');
  const find = (id: string): Row | undefined => rows.find((r) => r.experiment.id === id);
  const t1 = find('T1');
  if (t1) md.push(`- **T1 in the tutorial's own setting** got all 8 right on ${t1.asOriginal} of ${t1.runs.length} seeds (${Math.round((100 * t1.asOriginal) / t1.runs.length)}%; seeds ${t1.runs.filter((r) => r.outcome.asOriginal).map((r) => r.job.seed).join(', ') || 'none'}); the others: ${tally(t1.runs.filter((r) => !r.outcome.asOriginal)) || 'none'}. This is what the tutorial teaches, not a defect: with one step per batch no gradient crosses a batch edge, so nothing trains an earlier step to store the first value for the later ones.`);
  const bptt = find('T1-bptt');
  if (bptt) md.push(`- **T1 with full BPTT** (one sample of 4 steps per sequence) got all 8 right on ${bptt.asOriginal} of ${bptt.runs.length} seeds.`);
  const stateless = find('T1-stateless');
  if (stateless) md.push(`- **T1 without carried state** got both conflicting transitions on ${stateless.runs.length - stateless.asOriginal} of ${stateless.runs.length} seeds (best: ${stateless.max.outcome.text}).`);
  for (const r of rows) {
    if (r.experiment.id.startsWith('T1')) continue;
    const k = r.asOriginal;
    const n = r.runs.length;
    const verdict = k === n ? 'on every seed' : k >= Math.ceil(0.8 * n) ? `on ${k} of ${n} seeds` : `on only ${k} of ${n} seeds: BELOW the original`;
    md.push(`- **${r.experiment.id}**: ${r.experiment.goal} ${verdict} (mean ${percent(r.mean)}, min ${r.min.outcome.text}, max ${r.max.outcome.text}; the original: ${r.experiment.original}).`);
  }
  md.push('');

  const f = find('T2f');
  const fm = find('T2f-masked');
  if (f && fm) {
    md.push('## T2 f, padded with 0 = A, against the fix (letters 1..26, padding masked)');
    md.push('');
    const pairs = f.runs.map((run) => [run, fm.runs.find((m) => m.job.seed === run.job.seed)] as const).filter(([, m]) => m !== undefined);
    const d = pairedDifference(pairs.map(([run]) => run.outcome.accuracy), pairs.map(([, m]) => m!.outcome.accuracy));
    const noise = withinNoise(d) ? ' (less than two standard errors: within the noise of this many seeds)' : '';
    const verdict = d.mean >= 0 ? `the fix scored at least as well as the original framing on average${noise}` : `the fix scored BELOW the original framing on average${noise}`;
    md.push(`The same 1000 samples for both on each seed. Against the original framing the fix scored higher on ${d.higher}, lower on ${d.lower} and the same on ${d.same} of ${d.n} seeds; means ${percent(fm.mean)} (fix) and ${percent(f.mean)} (original), a paired difference of ${d.mean >= 0 ? '+' : '−'}${points(Math.abs(d.mean))} points (standard deviation over seeds ${points(d.sd)}, standard error of the mean ${points(d.se)}): ${verdict}.`);
    md.push('');
    const worst = (row: Row): string => `lowest ${row.min.outcome.text} (seed ${row.min.job.seed}), below 95% on ${row.runs.filter((run) => run.outcome.accuracy < 0.95).length} of ${row.runs.length} seeds`;
    md.push(`Worst cases: T2f ${worst(f)}; T2f-masked ${worst(fm)}.`);
    const byLength = (row: Row): string => {
      const sums = [0, 0, 0, 0, 0];
      for (const run of row.runs) run.outcome.wrongByLength?.forEach((n, k) => (sums[k] += n));
      return sums.map((n, k) => `${k + 1} letter${k === 0 ? '' : 's'}: ${n}`).join(', ');
    };
    md.push('');
    md.push(`Wrong samples by the length of the substring, summed over the seeds: T2f ${byLength(f)}; T2f-masked ${byLength(fm)}.`);
    md.push('');
    md.push('| seed | T2f (original framing) | T2f-masked (fixed) |');
    md.push('|---|---|---|');
    for (const run of f.runs) {
      const other = fm.runs.find((m) => m.job.seed === run.job.seed);
      md.push(`| ${run.job.seed} | ${run.outcome.text} | ${other?.outcome.text ?? '(not run)'} |`);
    }
    md.push(`| mean | ${percent(f.mean)} | ${percent(fm.mean)} |`);
    md.push('');
    md.push('What each got wrong (the 1000 samples repeat about 110 distinct substrings):');
    md.push('');
    for (const run of f.runs) {
      const other = fm.runs.find((m) => m.job.seed === run.job.seed);
      md.push(`- seed ${run.job.seed}, T2f: ${run.outcome.details ?? '?'}`);
      if (other) md.push(`- seed ${run.job.seed}, T2f-masked: ${other.outcome.details ?? '?'}`);
    }
    md.push('');
  }

  const echoRows = rows.filter((r) => r.experiment.tutorial === 'T3' && r.runs.some((d) => d.outcome.details !== undefined));
  if (echoRows.length > 0) {
    md.push('## T3: 100 new sequences, and 10,000 more');
    md.push('');
    md.push('The original measures its model once, on 100 new sequences. Each run here also measures the same trained model on 10,000 further new sequences: with accuracy p there, 100/100 on 100 sequences comes out with probability about p^100 (p = 99% gives 0.37, p = 99.9% gives 0.90), so whether a seed shows 100/100 depends on the 100 sequences drawn as much as on the model.');
    md.push('');
    for (const r of echoRows) {
      for (const d of r.runs) md.push(`- ${r.experiment.id}, seed ${d.job.seed}: ${d.outcome.text}; ${d.outcome.details ?? '?'}`);
    }
    md.push('');
    // The count of seeds at 100/100 that the trained models themselves lead one to expect: the sum
    // over seeds of p^100, p measured on the 10,000 further sequences.
    for (const r of echoRows) {
      const ps = r.runs.map((d) => d.outcome.heldOutAccuracy).filter((p): p is number => p !== undefined);
      if (ps.length !== r.runs.length) continue;
      const expected = ps.reduce((s, p) => s + p ** 100, 0);
      md.push(`- **${r.experiment.id}**: from each model's accuracy on its 10,000 further sequences, ${expected.toFixed(1)} of the ${ps.length} seeds would be expected to show 100/100 on 100 sequences; ${r.asOriginal} did. Mean accuracy on the further sequences: ${percent(ps.reduce((s, p) => s + p, 0) / ps.length)} (lowest ${percent(Math.min(...ps))}).`);
    }
    // lstm-ts and TF.js, seed by seed on the same sequences (each from its own initial weights).
    const ours = find('T3');
    const peer = find('T3-tfjs');
    if (ours && peer) {
      const pairs = ours.runs.flatMap((run) => peer.runs.filter((p) => p.job.seed === run.job.seed).map((p) => [run.outcome.asOriginal, p.outcome.asOriginal] as const));
      const count = (a: boolean, b: boolean): number => pairs.filter(([x, y]) => x === a && y === b).length;
      md.push(`- **T3 against T3-tfjs**, seed by seed on the same sequences (${pairs.length} seeds, each engine from its own initial weights): 100/100 with both on ${count(true, true)}, with lstm-ts only on ${count(true, false)}, with TF.js only on ${count(false, true)}, with neither on ${count(false, false)}; lstm-ts ${pairs.filter(([x]) => x).length} of ${pairs.length}, TF.js ${pairs.filter(([, y]) => y).length} of ${pairs.length}.`);
      // The finer measure: each model's accuracy on its 10,000 further sequences, paired by seed.
      const heldOut = ours.runs.flatMap((run) => peer.runs.filter((p) => p.job.seed === run.job.seed).map((p) => [run.outcome.heldOutAccuracy, p.outcome.heldOutAccuracy] as const));
      if (heldOut.length > 1 && heldOut.every(([x, y]) => x !== undefined && y !== undefined)) {
        const d = pairedDifference(heldOut.map(([, y]) => y!), heldOut.map(([x]) => x!));
        md.push(`- **T3 against T3-tfjs on the 10,000 further sequences**, paired by seed: lstm-ts minus TF.js ${d.mean >= 0 ? '+' : '−'}${points(Math.abs(d.mean))} points on average (standard error ${points(d.se)}; lstm-ts higher on ${d.higher}, lower on ${d.lower}, the same on ${d.same} of ${d.n} seeds): ${withinNoise(d) ? 'less than two standard errors, within the noise of this many seeds' : 'more than two standard errors apart: a difference to look into'}.`);
      }
    }
    const control = find('T3-tfjs-weights');
    if (peer && control) {
      const pairs = control.runs.flatMap((run) => peer.runs.filter((p) => p.job.seed === run.job.seed).map((p) => [run.outcome, p.outcome] as const));
      const same = pairs.filter(([a, b]) => a.text === b.text).length;
      const gap = Math.max(...pairs.map(([a, b]) => Math.abs((a.heldOutAccuracy ?? NaN) - (b.heldOutAccuracy ?? NaN))));
      md.push(`- **T3-tfjs-weights against T3-tfjs**: lstm-ts, started from the initial weights TF.js draws for the seed and fed the same sequences, scored what TF.js scored on the 100 test sequences on ${same} of ${pairs.length} seeds (${control.asOriginal} at 100/100, against TF.js' ${peer.asOriginal}); on the 10,000 further sequences the two differed by at most ${(100 * gap).toFixed(2)} points on any seed. ${same === pairs.length ? 'So the two engines train alike, and what separates T3 from T3-tfjs is the initial weights each drew.' : 'Where the scores differ, the engines do not train alike: a discrepancy to look into.'}`);
    }
    md.push('');
  }

  md.push('## Every run');
  md.push('');
  for (const r of rows) md.push(`- **${r.experiment.id}**: ${r.runs.map((d) => `seed ${d.job.seed} ${d.outcome.text} (${formatSeconds(d.seconds)})`).join(', ')}`);
  md.push('');
  return md.join('\n');
}
