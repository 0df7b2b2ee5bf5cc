import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomNormal, randomUniform, setSeed, shuffleInPlace } from '../src/tensor/random.js';
import { glorotUniform, glorotNormal, orthogonal, initialize, resolveInitializer } from '../src/tensor/initializers.js';

describe('seeded random numbers', () => {
  it('repeats exactly after setSeed, and differs between seeds', () => {
    setSeed(42);
    const first = Array.from({ length: 20 }, () => randomUniform());
    setSeed(42);
    const second = Array.from({ length: 20 }, () => randomUniform());
    setSeed(43);
    const third = Array.from({ length: 20 }, () => randomUniform());
    expect(second).toEqual(first);
    expect(third).not.toEqual(first);
    expect(first.every((u) => u >= 0 && u < 1)).toBe(true);
  });

  it('draws uniform and normal values with the right moments', () => {
    setSeed(1);
    const n = 200_000;
    let sum = 0, sumSq = 0, nSum = 0, nSumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = randomUniform();
      sum += u;
      sumSq += u * u;
      const z = randomNormal();
      nSum += z;
      nSumSq += z * z;
    }
    // Uniform(0,1): mean 1/2, variance 1/12; standard normal: mean 0, variance 1. Tolerances are
    // about 5 standard errors at n = 200,000.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.004);
    expect(Math.abs(sumSq / n - (sum / n) ** 2 - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(nSum / n)).toBeLessThan(0.012);
    expect(Math.abs(nSumSq / n - 1)).toBeLessThan(0.02);
  });

  it('shuffles into a permutation (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), fc.integer(), (n, seed) => {
      setSeed(seed >>> 0); // setSeed takes [0, 2**32): the stream the old reduction of a negative seed gave
      const items = Array.from({ length: n }, (_, i) => i);
      shuffleInPlace(items);
      expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }));
  });
});

describe('initializers', () => {
  it('glorotUniform stays inside ±sqrt(6 / (fanIn + fanOut)) and fills it', () => {
    setSeed(3);
    const w = glorotUniform([5, 80], 'float64'); // an LSTM(20) kernel on 5 inputs: fanOut = 4·20
    const limit = Math.sqrt(6 / (5 + 80));
    const values = Array.from(w.data);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...values)).toBeGreaterThan(0.9 * limit);
    expect(Math.min(...values)).toBeLessThan(-0.9 * limit);
  });

  it('glorotNormal is truncated at two standard deviations', () => {
    setSeed(4);
    const w = glorotNormal([30, 40], 'float64');
    const stddev = Math.sqrt(2 / 70) / 0.87962566103423978;
    expect(Math.max(...Array.from(w.data).map(Math.abs))).toBeLessThanOrEqual(2 * stddev);
  });

  it('orthogonal gives orthonormal rows for [units, 4·units] and orthonormal columns when tall', () => {
    for (const [rows, cols] of [[7, 28], [6, 6], [10, 4]] as const) {
      setSeed(rows * cols);
      const q = orthogonal([rows, cols], 'float64');
      const small = Math.min(rows, cols);
      for (let a = 0; a < small; a++) {
        for (let b = 0; b < small; b++) {
          let dot = 0;
          // rows < cols: R·Rᵀ = I over rows; else Qᵀ·Q = I over columns
          for (let k = 0; k < Math.max(rows, cols); k++) {
            dot += rows <= cols ? q.data[a * cols + k] * q.data[b * cols + k] : q.data[k * cols + a] * q.data[k * cols + b];
          }
          expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('is reproducible under setSeed and accepts Keras names', () => {
    setSeed(9);
    const a = initialize(resolveInitializer('glorot_uniform', 'k'), [3, 4], 'float32');
    setSeed(9);
    const b = initialize(resolveInitializer('glorotUniform', 'k'), [3, 4], 'float32');
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(initialize('ones', [3], 'float32').data)).toEqual([1, 1, 1]);
    expect(() => resolveInitializer('heNormal', 'kernelInitializer')).toThrow(/kernelInitializer: unknown initializer "heNormal"; expected one of 'glorotUniform'/);
  });
});
