/**
 * float32-activations.ts against the exact functions: e^x, σ and tanh to far better than float32
 * precision over every range the LSTM feeds them, the same float32 value as Math's in all but
 * rare last-bit ties, and the symmetries of the exact functions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expFloat32, sigmoidFloat32, tanhFloat32 } from '../src/tensor/float32-activations.js';

/** σ computed with Math.exp in its overflow-free form (elementwise.ts' sigmoid). */
const exactSigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Over n float32 values evenly spread in [lo, hi]: the largest relative error and how many round to another float32. */
function measure(fn: (x: number) => number, exact: (x: number) => number, lo: number, hi: number, n: number): { worst: number; differ: number } {
  let worst = 0;
  let differ = 0;
  for (let k = 0; k < n; k++) {
    const x = Math.fround(lo + ((hi - lo) * k) / (n - 1));
    const got = fn(x);
    const want = exact(x);
    worst = Math.max(worst, want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want));
    if (Math.fround(got) !== Math.fround(want)) differ++;
  }
  return { worst, differ };
}

describe('float32 activations', () => {
  const n = 200_001;

  it('e^x: relative error below 1e-9 on [-104, 104]; the float32 result differs from Math.exp on under 0.1% of inputs', () => {
    const { worst, differ } = measure(expFloat32, Math.exp, -104, 104, n);
    expect(worst).toBeLessThan(1e-9);
    expect(differ / n).toBeLessThan(1e-3);
    expect(expFloat32(0)).toBe(1);
    expect(Math.abs(expFloat32(1) - Math.E) / Math.E).toBeLessThan(1e-9);
  });

  it('σ: relative error below 1e-9 wherever it is not 0 in float32, on both sides of 0', () => {
    for (const [lo, hi] of [[-30, 30], [-103, -30], [-2, 2]] as const) {
      const { worst, differ } = measure(sigmoidFloat32, exactSigmoid, lo, hi, n);
      expect(worst, `[${lo}, ${hi}]`).toBeLessThan(1e-9);
      expect(differ / n, `[${lo}, ${hi}]`).toBeLessThan(1e-3);
    }
    expect(sigmoidFloat32(0)).toBe(0.5);
    expect(sigmoidFloat32(200)).toBe(1); // saturates, never NaN
    expect(Math.fround(sigmoidFloat32(-200))).toBe(0);
  });

  it('tanh: relative error below 1e-9 on both branches and across the switch at |x| = 0.4 (float32 differences under 0.2%); ±1 far out', () => {
    for (const [lo, hi] of [[-10, 10], [-0.45, 0.45], [0.39, 0.41], [1e-8, 1e-3]] as const) {
      const { worst, differ } = measure(tanhFloat32, Math.tanh, lo, hi, n);
      expect(worst, `[${lo}, ${hi}]`).toBeLessThan(1e-9);
      expect(differ / n, `[${lo}, ${hi}]`).toBeLessThan(2e-3); // most ties sit just above the switch, where the error peaks
    }
    expect(tanhFloat32(0)).toBe(0);
    expect(tanhFloat32(60)).toBe(1);
    expect(tanhFloat32(-60)).toBe(-1);
  });

  it('keeps the symmetries: tanh is odd exactly, σ(x) + σ(-x) = 1, both monotone (random float32 inputs)', () => {
    const float32 = fc.float({ min: -120, max: 120, noNaN: true });
    fc.assert(fc.property(float32, (x) => Object.is(tanhFloat32(-x), -tanhFloat32(x)) || x === 0), { numRuns: 5000, seed: 11 });
    fc.assert(fc.property(float32, (x) => Math.abs(sigmoidFloat32(x) + sigmoidFloat32(-x) - 1) < 1e-9), { numRuns: 5000, seed: 12 });
    fc.assert(fc.property(float32, float32, (a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return sigmoidFloat32(lo) <= sigmoidFloat32(hi) && tanhFloat32(lo) <= tanhFloat32(hi);
    }), { numRuns: 5000, seed: 13 });
  });
});
