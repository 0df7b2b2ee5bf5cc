/**
 * Without WebAssembly SIMD (an old browser), lstm-ts runs its JavaScript kernels instead. This
 * file loads a second copy of the library whose kernel compiler reports "unavailable" and trains
 * the same models with both copies: Adam must give the same bits (its JavaScript float32 loop does
 * the kernel's operations in the kernel's order), and products large enough for the WebAssembly
 * GEMM kernels (packed or not) agree to float32 rounding (the JavaScript kernels accumulate in
 * float64, the SIMD ones in float32).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';

type Library = typeof import('../src/index.js');

/** A fresh copy of the library whose kernel compiler reports "unavailable", and what its kernel modules then say. */
async function libraryWithoutWasm(): Promise<Library & { kernelsAvailable: boolean[] }> {
  vi.resetModules();
  vi.doMock('../src/base/wasm.js', () => ({ compileKernel: () => null }));
  const lib = await import('../src/index.js');
  const { adamWasmAvailable } = await import('../src/optim/wasm/adam-wasm.js');
  const { gemmWasmAvailable } = await import('../src/tensor/gemm-wasm.js');
  const kernelsAvailable = [adamWasmAvailable(), gemmWasmAvailable()];
  vi.doUnmock('../src/base/wasm.js');
  vi.resetModules();
  return { ...lib, kernelsAvailable };
}

async function libraryWithWasm(): Promise<Library> {
  vi.resetModules();
  return import('../src/index.js');
}

afterAll(() => {
  vi.resetModules();
});

/**
 * Train a small echo-like model and return its weights. Every product is below ROWS_WASM_MIN_WORK
 * multiply-adds (the largest, dU, is 5 × 20 × 4 = 400), so all of them run in JavaScript either way.
 */
function trainSmall(lib: Library, clipNorm: number | null): Float32Array[] {
  lib.setSeed(21);
  const model = new lib.Sequential([new lib.LSTM({ units: 5, inputShape: [4, 3] }), new lib.Dense({ units: 3, activation: 'softmax' })]);
  model.compile({ optimizer: new lib.Adam({ learningRate: 0.02, clipNorm }), loss: 'categoricalCrossentropy' });
  const x = lib.tensor(Float32Array.from({ length: 4 * 3 }, (_, i) => Math.sin(i * 1.7)), [1, 4, 3]);
  const y = lib.tensor(Float32Array.from([0, 0, 1]), [1, 3]);
  for (let i = 0; i < 25; i++) model.trainOnBatch(x, y);
  return model.getWeights().map((w) => w.data as Float32Array);
}

/** Train a model whose products go to the packed GEMM (B 8, T 6, LSTM(48)) and return its loss after training. */
function trainLarge(lib: Library): { loss: number; weights: Float32Array[] } {
  lib.setSeed(22);
  const model = new lib.Sequential([new lib.LSTM({ units: 48, inputShape: [6, 40] }), new lib.Dense({ units: 5, activation: 'softmax' })]);
  model.compile({ optimizer: new lib.Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  const x = lib.tensor(Float32Array.from({ length: 8 * 6 * 40 }, (_, i) => Math.cos(i * 0.37)), [8, 6, 40]);
  const y = lib.tensor(Float32Array.from({ length: 8 * 5 }, (_, i) => (i % 5 === Math.floor(i / 5) % 5 ? 1 : 0)), [8, 5]);
  for (let i = 0; i < 5; i++) model.trainOnBatch(x, y);
  return { loss: model.evaluate(x, y).loss, weights: model.getWeights().map((w) => w.data as Float32Array) };
}

describe('without WebAssembly SIMD', () => {
  it('the mocked copy really runs without the kernels, and the normal one with them', async () => {
    expect((await libraryWithoutWasm()).kernelsAvailable).toEqual([false, false]);
    vi.resetModules();
    const { adamWasmAvailable } = await import('../src/optim/wasm/adam-wasm.js');
    const { gemmWasmAvailable } = await import('../src/tensor/gemm-wasm.js');
    expect([adamWasmAvailable(), gemmWasmAvailable()]).toEqual([true, true]);
  });

  it('Adam gives the same bits as with the SIMD kernel (small model: every product in JavaScript either way), with and without clipping', async () => {
    const without = await libraryWithoutWasm();
    const withWasm = await libraryWithWasm();
    for (const clipNorm of [null, 0.5]) {
      const a = trainSmall(without, clipNorm);
      const b = trainSmall(withWasm, clipNorm);
      a.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(b[i])));
    }
  });

  it('products agree with the SIMD kernels (packed for the LSTM, unpacked for the Dense) to float32 rounding', async () => {
    const without = trainLarge(await libraryWithoutWasm());
    const withWasm = trainLarge(await libraryWithWasm());
    expect(Math.abs(without.loss - withWasm.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(withWasm.loss)));
    without.weights.forEach((w, i) => {
      let worst = 0;
      w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - withWasm.weights[i][j]))));
      expect(worst).toBeLessThan(1e-4);
    });
  });
});
