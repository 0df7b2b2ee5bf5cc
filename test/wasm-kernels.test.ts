/**
 * The WebAssembly SIMD kernels: the committed bytes are what each .wat assembles to, and Adam's
 * kernel (src/optim/wasm) gives exactly the bits of the JavaScript float32 loop (`adamFloat32`)
 * that runs where WebAssembly SIMD is unavailable. (The GEMM kernel is checked against the
 * reference loops in gemm-fast.test.ts.)
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, Sequential, setSeed, tensor } from '../src/index.js';
import { adamFloat32 } from '../src/optim/adam.js';
import { AdamWasm, adamWasmAvailable } from '../src/optim/wasm/adam-wasm.js';
import { gemmWasmAvailable } from '../src/tensor/gemm-wasm.js';
import { KERNELS, assemble, binaryModuleSource } from '../scripts/build-wasm.mjs';

const float32 = fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });

describe('WebAssembly kernels', () => {
  it.each(KERNELS.map((k) => [k.wat, k] as const))('the committed module is %s assembled (scripts/build-wasm.mjs)', async (_wat, kernel) => {
    const base64 = await assemble(kernel.wat);
    expect(readFileSync(kernel.ts, 'utf8')).toBe(binaryModuleSource(kernel, base64));
  });

  it.each(KERNELS.map((k) => [k.wat, k] as const))('%s assembles to under 4 KiB, so browsers compile it synchronously on the main thread', async (_wat, kernel) => {
    expect(Buffer.from(await assemble(kernel.wat), 'base64').length).toBeLessThan(4096);
  });

  it('WebAssembly SIMD is available in this Node, so the tests run the kernels', () => {
    expect(adamWasmAvailable()).toBe(true);
    expect(gemmWasmAvailable()).toBe(true);
  });
});

describe('Adam WebAssembly kernel', () => {
  it('gives the same bits as the float32 JavaScript loop, for every length (vector part and tail)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }).chain((n) =>
          fc.record({
            w: fc.array(float32, { minLength: n, maxLength: n }),
            g: fc.array(float32, { minLength: n, maxLength: n }),
            m: fc.array(float32, { minLength: n, maxLength: n }),
            v: fc.array(fc.float({ min: 0, max: 4, noNaN: true }), { minLength: n, maxLength: n }),
            lrT: fc.double({ min: 1e-5, max: 0.5, noNaN: true }),
            beta1: fc.double({ min: 0, max: 0.99, noNaN: true }),
            beta2: fc.double({ min: 0, max: 0.9999, noNaN: true }),
            epsilon: fc.double({ min: 1e-8, max: 1e-3, noNaN: true }),
          }),
        ),
        ({ w, g, m, v, lrT, beta1, beta2, epsilon }) => {
          const n = w.length;
          const wasm = AdamWasm.create(n)!;
          wasm.weights.set(w);
          wasm.gradients.set(g);
          wasm.m.set(m);
          wasm.v.set(v);
          wasm.run(lrT, beta1, 1 - beta1, beta2, 1 - beta2, epsilon);

          const [wJs, gJs, mJs, vJs] = [w, g, m, v].map((values) => Float32Array.from(values));
          adamFloat32(wJs, gJs, mJs, vJs, 1, Infinity, lrT, beta1, beta2, epsilon);

          expect(Array.from(wasm.weights)).toEqual(Array.from(wJs));
          expect(Array.from(wasm.m)).toEqual(Array.from(mJs));
          expect(Array.from(wasm.v)).toEqual(Array.from(vJs));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports a non-finite result exactly when the JavaScript loop does, and keeps the old w, m, v for the undo (any length, any place)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.record({
            w: fc.array(float32, { minLength: n, maxLength: n }),
            g: fc.array(float32, { minLength: n, maxLength: n }),
            // A huge gradient (v overflows), a huge step (w overflows), or none, at a random place.
            spoil: fc.record({ at: fc.integer({ min: 0, max: n - 1 }), kind: fc.constantFrom('none', 'gradient', 'step') }),
          }),
        ),
        ({ w, g, spoil }) => {
          const n = w.length;
          const grads = Float32Array.from(g);
          let lrT = 0.01;
          if (spoil.kind === 'gradient') grads[spoil.at] = 3e38;
          if (spoil.kind === 'step') lrT = 1e300; // rounds to Infinity in float32: every w with m ≠ 0 overflows (m = 0: 0·Inf = NaN)
          const wasm = AdamWasm.create(n)!;
          wasm.weights.set(w);
          wasm.gradients.set(grads);
          const check = wasm.run(lrT, 0.9, 0.1, 0.999, 1 - 0.999, 1e-7);
          const [wJs, mJs, vJs] = [Float32Array.from(w), new Float32Array(n), new Float32Array(n)];
          const checkJs = adamFloat32(wJs, grads, mJs, vJs, 1, Infinity, lrT, 0.9, 0.999, 1e-7);
          const anyNonFinite = [...wJs, ...mJs, ...vJs].some((x) => !Number.isFinite(x));
          expect(check === 0).toBe(!anyNonFinite);
          expect(checkJs === 0).toBe(!anyNonFinite);
          expect(anyNonFinite).toBe(spoil.kind !== 'none');
          expect(Array.from(wasm.kept.subarray(0, n))).toEqual(Array.from(Float32Array.from(w)));
          expect(Array.from(wasm.kept.subarray(n))).toEqual(new Array(2 * n).fill(0));
          wasm.undo();
          expect(Array.from(wasm.weights)).toEqual(Array.from(Float32Array.from(w)));
          expect(Array.from(wasm.moments)).toEqual(new Array(2 * n).fill(0));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the float32 loop is float32 arithmetic: one step from hand-rounded values', () => {
    // w 1, g 0.5, m v 0, t 1: m = 0.1·0.5 = 0.05, v = 0.001·0.25, step = lr_t·m/(sqrt(v)+ε), lr_t = 0.001·sqrt(0.001)/0.1
    const f = Math.fround;
    const w = Float32Array.of(1);
    const m = new Float32Array(1);
    const v = new Float32Array(1);
    const lrT = (0.001 * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    adamFloat32(w, Float32Array.of(0.5), m, v, 1, Infinity, lrT, 0.9, 0.999, 1e-7);
    const mExpected = f(f(f(0.9) * 0) + f(f(1 - 0.9) * 0.5));
    const vExpected = f(f(f(0.999) * 0) + f(f(f(1 - 0.999) * 0.5) * 0.5));
    expect(m[0]).toBe(mExpected);
    expect(v[0]).toBe(vExpected);
    expect(w[0]).toBe(f(1 - f(f(f(lrT) * mExpected) / f(f(Math.sqrt(vExpected)) + f(1e-7)))));
    expect(w[0]).toBeCloseTo(1 - 0.001, 6); // Adam's first step is about lr (times sign(g))
  });

  it('checkpointing the optimizer (getState / setState) continues bit for bit, kernel memory included', () => {
    const make = () => {
      setSeed(11);
      const model = new Sequential([new LSTM({ units: 6, inputShape: [3, 2] }), new Dense({ units: 3, activation: 'softmax' })]);
      model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
      model.build();
      return model;
    };
    const x = tensor(Float32Array.from({ length: 8 * 6 }, (_, i) => Math.sin(i)), [8, 3, 2]);
    const y = tensor(Float32Array.from({ length: 8 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)), [8, 3]);
    const straight = make();
    for (let i = 0; i < 6; i++) straight.trainOnBatch(x, y);

    const first = make();
    for (let i = 0; i < 3; i++) first.trainOnBatch(x, y);
    const resumed = make();
    resumed.setWeights(first.getWeights());
    resumed.optimizer!.setState(first.optimizer!.getState());
    for (let i = 0; i < 3; i++) resumed.trainOnBatch(x, y);

    straight.getWeights().forEach((w, i) => expect(Array.from(resumed.getWeights()[i].data)).toEqual(Array.from(w.data)));
  });
});
