/**
 * What the tutorial examples share: the record each run returns, the command-line flags, a
 * seeded generator for example data, and the formatting the originals print. Nothing here
 * trains anything; each tutorial file reads top to bottom on its own.
 *
 * Every example accepts:
 *   --seed N          seeds the library (weights, shuffling) and the example's data (default 1)
 *   --epochs N        train for N epochs instead of the tutorial's number (shorter runs)
 *   --hard-sigmoid    gates with Keras 2's hardSigmoid, the default of Keras 2.0–2.2 that the
 *                     originals ran on (lstm-ts, like Keras 2.3+, defaults to sigmoid)
 *   --only ID[,ID]    run only these experiments (ids as printed, e.g. T2f,T2f-masked)
 */
import { pathToFileURL } from 'node:url';

/** How one experiment is run. */
export interface RunOptions {
  seed: number;
  /** Train for this many epochs instead of the tutorial's (undefined: the tutorial's). */
  epochs?: number;
  /** The LSTM gate activation: 'sigmoid' (the library's and Keras 2.3+'s default) or Keras 2.0–2.2's 'hardSigmoid'. */
  recurrentActivation: 'sigmoid' | 'hardSigmoid';
  /** Where the example prints what the original prints. */
  log: (line: string) => void;
}

/** What one run measured. */
export interface Outcome {
  /** The headline figure in [0, 1]: accuracy (for T1, the fraction of the 8 predictions right). */
  accuracy: number;
  /** The figure as the original would print it: '8/8', '100.00%'. */
  text: string;
  /** True when this run shows what the original reports (for a framing meant to fail: that it fails). */
  asOriginal: boolean;
  /** How long it trained, e.g. '250 epochs' or '10,000 updates'. */
  training: string;
  /** Further yes/no outcomes the original reports, by name (e.g. 'writes A..Z from A'). */
  checks?: Record<string, boolean>;
  /** One line of detail worth keeping in the report (e.g. which patterns were wrong). */
  details?: string;
  /** T2f: how many samples it got wrong, by the length of their substring (1..5 letters). */
  wrongByLength?: number[];
  /** T3: the trained model's accuracy on 10,000 further new sequences, in [0, 1]. */
  heldOutAccuracy?: number;
}

/** One experiment: a tutorial's framing, runnable for any seed. */
export interface Experiment {
  /** Short id: 'T1', 'T1-bptt', 'T2a', 'T2f-masked', ... */
  id: string;
  tutorial: 'T1' | 'T2' | 'T3' | 'T4';
  title: string;
  /** The outcome the original reports (or the tutorials.md spec), in words. */
  original: string;
  /** What `asOriginal` checks, in words. */
  goal: string;
  /** How many seeds (1..seeds) the report runs. */
  seeds: number;
  run(options: RunOptions): Outcome;
}

/**
 * Not a tutorial: the same problem on a peer engine (examples/peers), run by the report beside
 * the tutorial's own row, so that what any correct engine reaches is measured, not asserted.
 * Asynchronous, as the peer's training is; run only by `npm run tutorials -- --report` or when
 * named with --only.
 */
export interface PeerExperiment extends Omit<Experiment, 'run'> {
  peer: true;
  run(options: RunOptions): Promise<Outcome>;
}

// ---------------------------------------------------------------------------------------------
// Command line

export interface Flags {
  seed: number;
  epochs?: number;
  hardSigmoid: boolean;
  only?: string[];
  rest: Map<string, string | true>;
}

/** Parse the flags above; anything else of the form --name [value] lands in `rest`. */
export function parseFlags(argv: string[]): Flags {
  const rest = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)}; flags look like --seed 3`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      rest.set(arg.slice(2), next);
      i++;
    } else {
      rest.set(arg.slice(2), true);
    }
  }
  const integer = (name: string, min: number): number | undefined => {
    const value = rest.get(name);
    rest.delete(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value === true || !Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${value === true ? 'nothing' : JSON.stringify(value)}`);
    return n;
  };
  const seed = integer('seed', 0) ?? 1;
  const epochs = integer('epochs', 1);
  const hardSigmoid = rest.get('hard-sigmoid') === true;
  rest.delete('hard-sigmoid');
  const onlyFlag = rest.get('only');
  rest.delete('only');
  if (onlyFlag === true) throw new Error('--only: expected experiment ids, e.g. --only T2f,T2f-masked');
  return { seed, epochs, hardSigmoid, only: onlyFlag?.split(','), rest };
}

/** The experiments named by --only (all when absent); unknown ids are refused with the list. */
export function select<E extends { id: string }>(experiments: E[], only: string[] | undefined): E[] {
  if (only === undefined) return experiments;
  for (const id of only) {
    if (!experiments.some((e) => e.id === id)) throw new Error(`--only: unknown experiment ${JSON.stringify(id)}; expected one of ${experiments.map((e) => e.id).join(', ')}`);
  }
  return experiments.filter((e) => only.includes(e.id));
}

/**
 * When `moduleUrl` is the script node was started with, run its experiments with the flags
 * given, printing as the originals do, then one line per experiment, then each pair in
 * `sideBySide` (two experiments run on the same data) next to each other.
 */
export function runIfMain(moduleUrl: string, experiments: Experiment[], sideBySide: [string, string][] = []): void {
  if (process.argv[1] === undefined || pathToFileURL(process.argv[1]).href !== moduleUrl) return;
  const flags = parseFlags(process.argv.slice(2));
  if (flags.rest.size > 0) throw new Error(`unknown flag --${[...flags.rest.keys()][0]}; expected --seed N, --epochs N, --hard-sigmoid, --only IDS`);
  const chosen = select(experiments, flags.only);
  const results: [Experiment, Outcome, number][] = [];
  for (const experiment of chosen) {
    console.log(`\n=== ${experiment.id}: ${experiment.title} (seed ${flags.seed}) ===\n`);
    const started = performance.now();
    const outcome = experiment.run({ seed: flags.seed, epochs: flags.epochs, recurrentActivation: flags.hardSigmoid ? 'hardSigmoid' : 'sigmoid', log: (line) => console.log(line) });
    results.push([experiment, outcome, (performance.now() - started) / 1000]);
  }
  console.log('\nSummary (seed ' + flags.seed + (flags.epochs ? `, epochs overridden to ${flags.epochs}` : '') + (flags.hardSigmoid ? ', hardSigmoid gates' : '') + '):');
  for (const [e, o, seconds] of results) {
    const checks = Object.entries(o.checks ?? {}).map(([name, ok]) => `; ${name}: ${ok ? 'yes' : 'no'}`).join('');
    console.log(`  ${e.id.padEnd(13)} ${o.text.padStart(8)}  ${o.asOriginal ? 'as the original' : 'NOT as the original'} (${e.original})${checks}  [${o.training}, ${seconds.toFixed(1)} s]`);
  }
  for (const [a, b] of sideBySide) {
    const ra = results.find(([e]) => e.id === a);
    const rb = results.find(([e]) => e.id === b);
    if (ra && rb) console.log(`\nSide by side, same data: ${a} ${ra[1].text} | ${b} ${rb[1].text}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Example data

/**
 * A seeded generator for example data (mulberry32), separate from the library's own stream, as
 * the originals draw data with Python's `random` / NumPy and weights with the framework's.
 */
export class DataRandom {
  private state: number;

  constructor(seed: number) {
    this.state = (seed * 0x9e3779b1 + 0x7f4a7c15) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [low, high), as numpy.random.randint(low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low));
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing two framings run on the same seeds

/** How framing B fared against framing A over paired runs (same seed, same data for both). */
export interface PairedDifference {
  /** Number of pairs. */
  n: number;
  /** Mean of b - a over the pairs. */
  mean: number;
  /** Sample standard deviation of b - a (n - 1 in the denominator; 0 for one pair). */
  sd: number;
  /** Standard error of the mean difference, sd / sqrt(n). */
  se: number;
  /** Pairs where b scored higher, lower, and the same as a. */
  higher: number;
  lower: number;
  same: number;
}

/**
 * The paired differences b[k] - a[k]. With the same seed (same data, same initial weights where
 * the framings allow), the seed-to-seed spread cancels and only the framing's effect and the
 * training's own noise remain; the standard error says how far the mean can move by chance.
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): PairedDifference {
  if (a.length !== b.length || a.length === 0) throw new Error(`pairedDifference: expected two equally long, non-empty lists, got ${a.length} and ${b.length}`);
  const n = a.length;
  const d = a.map((x, k) => b[k] - x);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, se: sd / Math.sqrt(n), higher: d.filter((x) => x > 0).length, lower: d.filter((x) => x < 0).length, same: d.filter((x) => x === 0).length };
}

// ---------------------------------------------------------------------------------------------
// Printing

/** A fraction as the originals print it, "%.2f%%" % (acc * 100): 0.96 -> '96.00%'. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** A Python list of strings as Python prints it: ['A', 'B']. */
export function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/** The report's heading paragraphs and main table (up to the first section after it), for the README. */
export function readmeExcerpt(markdown: string): string {
  const body = markdown.slice(markdown.indexOf('\nGenerated ') + 1);
  const end = body.indexOf('\n## ');
  return `<!-- Written by npm run tutorials -- --report; do not edit by hand. -->\n${(end >= 0 ? body.slice(0, end) : body).trim()}\n\nMore, per tutorial and per seed: [docs/tutorial-results.md](docs/tutorial-results.md).`;
}
