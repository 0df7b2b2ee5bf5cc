/**
 * The book's architectures (examples/book/): each outcome beside the same program run in Keras 3
 * itself on the same seeds (the committed results of the Python twin beside each example).
 * Noise is judged on the paired seed-by-seed difference: its mean must lie within two standard
 * errors of 0, or within half a percentage point.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cumulativeSumSample, runLesson10 } from '../examples/book/l10-bidirectional.js';

const keras = (file: string) => readFileSync(new URL(`../examples/book/${file}`, import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seed: number; stepAccuracy: number; keras: string });

function withinNoise(ours: number[], theirs: number[]): { mean: number; se: number; ok: boolean } {
  const d = ours.map((v, i) => v - theirs[i]);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
  const se = sd / Math.sqrt(d.length);
  return { mean, se, ok: Math.abs(mean) <= Math.max(2 * se, 0.005) };
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
