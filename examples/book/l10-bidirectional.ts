/**
 * The book's lesson 10, the Bidirectional LSTM: the cumulative-sum threshold problem.
 *
 *   npm run book:l10
 *   npm run book:l10 -- --seed 3 --updates 2000
 *
 * Data: random sequences of 10 values in [0, 1]; at each step the target is 1 once the sum so
 * far passes a quarter of the length (2.5), else 0. So the answer at step t depends on the steps
 * before it; a model reading both ways sees, at each step, the whole sequence.
 * Model, as the book: Bidirectional(LSTM(50, returnSequences)) -> Dense(1, sigmoid) at every step
 * (the book writes TimeDistributed(Dense); a Dense on a sequence applies per step here, as in
 * Keras), binary cross-entropy, Adam. Training as the book: one fresh sequence per update (the
 * book: 1,000 epochs of one sample); then the per-step accuracy on 100 new sequences.
 */
import { Adam, Bidirectional, Dense, LSTM, Sequential, setSeed, tensor } from '../../src/index.js';

export interface CumulativeSumOutcome {
  updates: number;
  /** Fraction of the 1,000 steps of 100 new sequences predicted right. */
  stepAccuracy: number;
  /** Sequences of the 100 with every step right. */
  sequencesAllRight: number;
}

/** A sequence and its targets, from a generator of uniform values in [0, 1). */
export function cumulativeSumSample(next: () => number, steps = 10): { x: number[]; y: number[] } {
  const x = Array.from({ length: steps }, next);
  let sum = 0;
  return { x, y: x.map((v) => ((sum += v) > steps / 4 ? 1 : 0)) };
}

/** The data's own stream (mulberry32), apart from the library's setSeed one, which draws the weights. */
export function dataStream(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runLesson10(seed: number, updates = 1000, log: (line: string) => void = () => {}): CumulativeSumOutcome {
  setSeed(seed);
  const model = new Sequential([
    new Bidirectional(new LSTM({ units: 50, returnSequences: true }), { inputShape: [10, 1] }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const next = dataStream(seed * 7919 + 1);
  for (let u = 0; u < updates; u++) {
    const { x, y } = cumulativeSumSample(next);
    model.trainOnBatch(tensor(x, [1, 10, 1]), tensor(y, [1, 10, 1]));
  }
  const test = Array.from({ length: 100 }, () => cumulativeSumSample(next));
  const predicted = model.predict(tensor(test.flatMap((s) => s.x), [100, 10, 1])).data;
  let right = 0;
  let allRight = 0;
  test.forEach((s, i) => {
    const hits = s.y.filter((target, t) => (predicted[i * 10 + t] > 0.5 ? 1 : 0) === target).length;
    right += hits;
    if (hits === 10) allRight++;
  });
  const first = test[0];
  log(`X=${first.x.map((v) => v.toFixed(2)).join(' ')}`);
  log(`y=${first.y.join(' ')}  yhat=${Array.from(predicted.subarray(0, 10), (p) => (p > 0.5 ? 1 : 0)).join(' ')}`);
  log(`${updates} updates: ${(100 * right / 1000).toFixed(1)}% of the steps right on 100 new sequences, ${allRight} of 100 sequences all right`);
  return { updates, stepAccuracy: right / 1000, sequencesAllRight: allRight };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-3).join('/'))) {
  const arg = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  runLesson10(arg('seed', 1), arg('updates', 1000), (line) => console.log(line));
}
