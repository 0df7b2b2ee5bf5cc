/**
 * The tutorial examples (examples/t*.ts) as tests: each runs the example's own code and asserts
 * the outcome the original reports (tutorials.md). The examples are deterministic for a seed, so
 * each assertion names the seeds it uses. Where an outcome holds on most seeds but not all (see
 * docs/tutorial-results.md, which `npm run tutorials -- --report` writes from 5 seeds; T1: 20; T3: 50; T2f: 90),
 * the test asks for it on at least 2 of seeds 1..3, so that a change in rounding (a new GEMM
 * kernel, say) that moves one seed's trajectory does not by itself fail the suite.
 *
 * Budget: about 20 s on one core. Everything runs at the tutorials' own settings except T2 a and
 * b (shortened: only their printout is checked) and T2 f, which is not trained here (1000 samples
 * × 500 epochs at batch 1 take minutes); the report covers both f framings.
 */
import { describe, expect, it } from 'vitest';
import { experiments as t1 } from '../examples/t1-memory.js';
import { experiments as t2 } from '../examples/t2-alphabet.js';
import { experiments as t3 } from '../examples/t3-echo.js';
import { experiments as t4 } from '../examples/t4-two-steps.js';
import { pairedDifference, type Experiment, type Outcome, type PeerExperiment } from '../examples/common.js';
import { peers } from '../examples/peers/t3-tfjs.js';

const all: Experiment[] = [...t1, ...t2, ...t3, ...t4];

/** Run one experiment silently (or into `lines`), at the tutorial's settings unless `epochs` is given. */
function run(id: string, seed: number, lines: string[] = [], epochs?: number): Outcome {
  const experiment = all.find((e) => e.id === id);
  if (experiment === undefined) throw new Error(`no experiment ${id}`);
  return experiment.run({ seed, epochs, recurrentActivation: 'sigmoid', log: (line) => lines.push(line) });
}

/**
 * Run seeds 1..3, stopping after 2 successes. Returns how many seeds satisfied `ok` and a tally
 * of every seed run ('seed 1: 100.00% yes, seed 2: 95.65% no') for the failure message.
 */
function mostOf(id: string, ok: (outcome: Outcome, lines: string[]) => boolean): { count: number; tally: string } {
  let count = 0;
  const tally: string[] = [];
  for (let seed = 1; seed <= 3 && count < 2; seed++) {
    const lines: string[] = [];
    const outcome = run(id, seed, lines);
    const good = ok(outcome, lines);
    if (good) count++;
    tally.push(`seed ${seed}: ${outcome.text} ${good ? 'yes' : 'no'}`);
  }
  return { count, tally: tally.join(', ') };
}

describe('T1: memory across time steps', () => {
  it('the tutorial (stateful, batch 1, 250 epochs) gets all 8 right for some seed among 1..8', () => {
    // In exactly this setting a correct engine succeeds on about half of all seeds (the rate over
    // 20 seeds is in docs/tutorial-results.md), so one success among 8 seeds is what is asked.
    const tally: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const outcome = run('T1', seed);
      tally.push(`seed ${seed}: ${outcome.text}`);
      if (outcome.text === '8/8') break;
    }
    expect(tally[tally.length - 1], tally.join(', ')).toMatch(/8\/8$/);
  });

  it('without carried state it never gets both conflicting transitions (seeds 1..4), and still learns the other six', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const lines: string[] = [];
      const outcome = run('T1-stateless', seed, lines);
      expect(outcome.asOriginal).toBe(true); // not both 2->3 and 2->4
      expect(outcome.text).toBe('7/8'); // at most 7 of 8, and it does get the rest
      const lastPairs = lines.filter((l) => l.includes('X=2 '));
      expect(lastPairs).toHaveLength(2);
      expect(lastPairs[0].slice(lastPairs[0].indexOf('yhat='), lastPairs[0].indexOf('yhat=') + 6)).toBe(lastPairs[1].slice(lastPairs[1].indexOf('yhat='), lastPairs[1].indexOf('yhat=') + 6));
    }
  });

  it('with full BPTT over whole sequences ([1, 4, 5], returnSequences) it gets all 8 on every seed tried (1..4)', () => {
    for (let seed = 1; seed <= 4; seed++) expect(run('T1-bptt', seed).text, `seed ${seed}`).toBe('8/8');
  });
});

describe('T2: the alphabet, six framings', () => {
  it('(c) a 3-step window: 100% on at least 2 of seeds 1..3, printed as the original prints it', () => {
    const successes = mostOf('T2c', (o, lines) => {
      if (o.accuracy !== 1) return false;
      expect(lines).toContain('Model Accuracy: 100.00%');
      expect(lines).toContain("['A', 'B', 'C'] -> D");
      expect(lines).toContain("['W', 'X', 'Y'] -> Z");
      return true;
    });
    expect(successes.count, successes.tally).toBeGreaterThanOrEqual(2);
  });

  it('(d) the whole data set as one batch, 5000 epochs: 100% on at least 2 of seeds 1..3', () => {
    const successes = mostOf('T2d', (o, lines) => o.accuracy === 1 && lines.includes("['A'] -> B"));
    expect(successes.count, successes.tally).toBeGreaterThanOrEqual(2);
  });

  it('(e) stateful: 100% and writes A..Z from A by feeding predictions back, on at least 2 of seeds 1..3; the cold start from K is printed', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const successes = mostOf('T2e', (o, lines) => {
      if (o.accuracy !== 1 || o.checks?.['writes A..Z from A'] !== true) return false;
      const generated = lines.filter((l) => /^[A-Z] -> [A-Z]$/.test(l)).slice(0, 25);
      expect(generated).toEqual(Array.from({ length: 25 }, (_, i) => `${alphabet[i]} -> ${alphabet[i + 1]}`));
      const k = lines.indexOf('New start:  K');
      expect(k).toBeGreaterThan(0);
      expect(lines[k + 1]).toMatch(/^K -> [A-Z]$/);
      return true;
    });
    expect(successes.count, successes.tally).toBeGreaterThanOrEqual(2);
  });

  it('(a) and (b), the poor framings, print their accuracy and predictions (shortened to 100 epochs: only the format is checked here)', () => {
    for (const id of ['T2a', 'T2b']) {
      const lines: string[] = [];
      const outcome = run(id, 1, lines, 100);
      expect(lines.some((l) => /^Model Accuracy: \d+\.\d\d%$/.test(l))).toBe(true);
      expect(lines.filter((l) => / -> [A-Z]/.test(l))).toHaveLength(id === 'T2a' ? 25 : 23);
      expect(outcome.accuracy).toBeLessThan(1);
    }
  });
});

describe('T3: the echo problem', () => {
  it('LSTM(25) on [5, 10]: the summary shows 3600, 260 and 3,860; 10,000 fresh updates reach >= 98% on 100 new sequences on at least 2 of seeds 1..3', () => {
    // The original reports 100% from one run; here 100/100 comes on about two seeds in three, and
    // TF.js from the same weights on the same data scores the same per seed (docs/tutorials.md),
    // so the test asks for the issue's >= 98%.
    const successes = mostOf('T3', (o, lines) => {
      expect(lines.find((l) => l.includes('(LSTM)'))).toMatch(/3600\s*$/);
      expect(lines.find((l) => l.includes('(Dense)'))).toMatch(/260\s*$/);
      expect(lines).toContain('Total params: 3,860');
      expect(lines.some((l) => /^Accuracy: \d+\.0{6}$/.test(l))).toBe(true);
      expect(lines.some((l) => /^Accuracy on 10,000 more new sequences: \d+\.\d\d% /.test(l))).toBe(true);
      return o.accuracy >= 0.98;
    });
    expect(successes.count, successes.tally).toBeGreaterThanOrEqual(2);
  });
});

describe('T4: stateless, stateful, or one sequence of two steps', () => {
  it('stateless: the two samples get identical predictions, so it cannot separate the targets (seeds 1..3)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const lines: string[] = [];
      const outcome = run('T4-stateless', seed, lines);
      expect(outcome.accuracy).toBeLessThanOrEqual(0.5);
      const probabilities = lines.filter((l) => l.includes('p=[')).map((l) => l.slice(l.indexOf('p=[')));
      expect(probabilities[0].replace('   <- wrong', '')).toBe(probabilities[1].replace('   <- wrong', ''));
    }
  });

  it('stateful, batch 1, reset each epoch: learns both (seeds 1..3)', () => {
    for (let seed = 1; seed <= 3; seed++) expect(run('T4-stateful', seed).text, `seed ${seed}`).toBe('2/2');
  });

  it('one sample of two time steps with returnSequences: learns both (seeds 1..3)', () => {
    for (let seed = 1; seed <= 3; seed++) expect(run('T4-sequence', seed).text, `seed ${seed}`).toBe('2/2');
  });
});

describe("the report's peer rows (examples/peers/t3-tfjs.ts)", () => {
  it('lstm-ts from the initial weights TF.js draws scores what TF.js scores on the same sequences (T3, 300 updates, seed 4)', async () => {
    const byId = (id: string): PeerExperiment => peers.find((p) => p.id === id)!;
    const options = { seed: 4, epochs: 300, recurrentActivation: 'sigmoid' as const, log: () => {} };
    const tfjs = await byId('T3-tfjs').run(options);
    const control = await byId('T3-tfjs-weights').run(options);
    const ours = run('T3', 4, [], 300);
    // After 300 updates the model is far from done (about a quarter right), so many answers are
    // close calls, and float32 rounding in the two engines may tip one or two of the 10,000
    // (after the tutorial's 10,000 updates the report finds them equal on every seed). Agreeing
    // to a few sequences in 10,000 means the two trainings went the same way; lstm-ts' own
    // initial weights, another starting point, end tens of sequences away.
    expect(tfjs.accuracy).toBeGreaterThan(0.15);
    expect(tfjs.accuracy).toBeLessThan(0.9);
    expect(control.text).toBe(tfjs.text);
    expect(Math.abs(control.heldOutAccuracy! - tfjs.heldOutAccuracy!)).toBeLessThanOrEqual(0.0005);
    expect(Math.abs(ours.heldOutAccuracy! - tfjs.heldOutAccuracy!)).toBeGreaterThan(0.002);
  }, 60_000);
});

describe('the report: comparing two framings over the same seeds', () => {
  it('pairedDifference gives the mean, spread and standard error of b - a, and the sign counts (worked by hand)', () => {
    // d = b - a = [0.1, 0, -0.2]: mean -1/30; deviations 2/15, 1/30, -1/6; squares sum 7/150,
    // over n - 1 = 2: 7/300; sd = sqrt(7/300); se = sd / sqrt(3).
    const d = pairedDifference([0.5, 0.6, 0.7], [0.6, 0.6, 0.5]);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(-1 / 30, 12);
    expect(d.sd).toBeCloseTo(Math.sqrt(7 / 300), 12);
    expect(d.se).toBeCloseTo(Math.sqrt(7 / 300) / Math.sqrt(3), 12);
    expect([d.higher, d.lower, d.same]).toEqual([1, 1, 1]);
    expect(pairedDifference([0.9], [0.95])).toMatchObject({ n: 1, sd: 0, se: 0, higher: 1 });
    expect(() => pairedDifference([0.9, 0.8], [0.9])).toThrow(/equally long/);
  });
});
