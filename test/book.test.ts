/**
 * The book's architectures (examples/book/): each outcome beside the same program run in Keras 3
 * itself on the same seeds (the committed results of the Python twin beside each example).
 * Noise is judged on the paired seed-by-seed difference: its mean must lie within two standard
 * errors of 0, or within half a percentage point.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runLesson7 } from '../examples/book/l07-stacked.js';
import { cumulativeSumSample, runLesson10 } from '../examples/book/l10-bidirectional.js';

const keras = (file: string) => readFileSync(new URL(`../examples/book/${file}`, import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seed: number; stepAccuracy: number; testMae: number; keras: string });

/** The paired difference ours − theirs: within two standard errors of 0, or within `floor`. */
function withinNoise(ours: number[], theirs: number[], floor = 0.005): { mean: number; se: number; ok: boolean } {
  const d = ours.map((v, i) => v - theirs[i]);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
  const se = sd / Math.sqrt(d.length);
  return { mean, se, ok: Math.abs(mean) <= Math.max(2 * se, floor) };
}

describe("lesson 10, Bidirectional LSTM: the cumulative-sum threshold", () => {
  it('reaches what Keras 3 reaches on the same 5 seeds and sequences (per-step accuracy on 100 new sequences, within noise)', () => {
    const theirs = keras('l10-bidirectional-keras.results.jsonl');
    expect(theirs.map((r) => r.seed)).toEqual([1, 2, 3, 4, 5]);
    const ours = theirs.map((r) => runLesson10(r.seed).stepAccuracy);
    const result = withinNoise(ours, theirs.map((r) => r.stepAccuracy));
    expect(result.ok, `lstm-ts ${ours.join(', ')} against Keras ${theirs.map((r) => r.stepAccuracy).join(', ')}: mean difference ${result.mean} (SE ${result.se})`).toBe(true);
    expect(Math.min(...ours)).toBeGreaterThan(0.9);
  });

  it('learns in a short run too (300 updates: most steps right), and the targets are the cumulative sum passing 2.5', () => {
    expect(runLesson10(2, 300).stepAccuracy).toBeGreaterThan(0.85);
    const values = [0.9, 0.9, 0.6, 0.1, 0.5, 0, 0, 0, 0, 0];
    let k = 0;
    expect(cumulativeSumSample(() => values[k++]).y).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]); // 2.5 is not past 2.5; 3.0 is
  });
});

describe('lesson 7, Stacked LSTM: damped sine waves', () => {
  it('reaches the mean absolute error Keras 3 reaches on the same 5 seeds and waves (100 new waves, within noise)', () => {
    const theirs = keras('l07-stacked-keras.results.jsonl');
    expect(theirs.map((r) => r.seed)).toEqual([1, 2, 3, 4, 5]);
    const ours = theirs.map((r) => runLesson7(r.seed).testMae);
    const result = withinNoise(ours, theirs.map((r) => r.testMae), 0.002);
    expect(result.ok, `lstm-ts ${ours.join(', ')} against Keras ${theirs.map((r) => r.testMae).join(', ')}: mean difference ${result.mean} (SE ${result.se})`).toBe(true);
    expect(Math.max(...ours)).toBeLessThan(0.05); // the waves span [0, 1]: a model that learned nothing is near 0.2
  });
});
