/**
 * Environments without WebAssembly: float32 training runs on the JavaScript kernels there.
 *
 * 1. The JavaScript twins of the unpacked float32 SIMD row kernels (src/tensor/gemm-rows-f32.ts)
 *    give the SIMD kernels' bits, for random shapes, strides, zeros (skipped groups) and values.
 * 2. A real run, not a mock: `node --jitless` (V8 without a JIT has no `WebAssembly` global)
 *    runs the library, bundled by esbuild, on the tutorials' echo model (LSTM(25) on [5, 10],
 *    Dense(10, softmax), Adam, batch 1: its products are all unpacked, some large enough for
 *    the SIMD row kernels) and on a model whose products are packed (batch 8). The echo model
 *    must give exactly the bits this process gives with WebAssembly SIMD (README: "the small
 *    LSTM and the whole step give the same bits either way"); the packed one agrees to float32
 *    rounding (the packed JavaScript kernel accumulates in float64, the SIMD one in float32), and
 *    its loss must fall; both give every bit of the JavaScript kernels run in this process (a copy
 *    of the library whose WebAssembly loading is mocked to report "unavailable").
 * The browser test (test/browser.test.ts) runs the same bundle with WebAssembly removed and under
 * a Content Security Policy without 'unsafe-eval'.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as library from '../src/index.js';
import { gemmRowsWasm, gemmWasmAvailable } from '../src/tensor/gemm-wasm.js';
import { gemmRowsAxpyF32, gemmRowsDotF32 } from '../src/tensor/gemm-rows-f32.js';

const bitsOf = (values: ArrayLike<number>): string[] => Array.from(values, (v) => new Uint32Array(new Float32Array([v]).buffer)[0]!.toString(16));

describe('the JavaScript twins of the float32 row kernels', () => {
  it('give the bits of the WebAssembly SIMD kernels (rowsAxpy and rowsDot), zeros and strides included', () => {
    expect(gemmWasmAvailable()).toBe(true);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 23 }),
        fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (m, n, k, transA, transB, pad, seed) => {
          let state = seed;
          const next = (): number => {
            state = (Math.imul(state, 1103515245) + 12345) >>> 0;
            const r = state / 2 ** 32;
            return r < 0.3 ? 0 : (r - 0.5) * 8 * (r < 0.9 ? 1 : 1e-3); // many zeros: groups of four get skipped
          };
          // op(A) m×k stored with leading dimension lda (transposed: stored k×m); B k×n or, transposed, n×k.
          const lda = (transA ? m : k) + pad;
          const a = Float32Array.from({ length: (transA ? k : m) * lda + 1 }, next);
          const ldb = (transB ? k : n) + pad;
          const b = Float32Array.from({ length: (transB ? n : k) * ldb + 1 }, next);
          const ldc = n + pad;
          const c0 = Float32Array.from({ length: m * ldc + 1 }, next);
          const [sai, sap] = transA ? [1, lda] : [lda, 1];
          const simd = c0.slice();
          gemmRowsWasm(m, n, k, a, 1, sai, sap, b, 1, ldb, transB, simd, 1, ldc);
          const twin = c0.slice();
          (transB ? gemmRowsDotF32 : gemmRowsAxpyF32)(m, n, k, a, 1, sai, sap, b, 1, ldb, twin, 1, ldc);
          expect(bitsOf(twin)).toEqual(bitsOf(simd));
        },
      ),
      { numRuns: 300, seed: 24 },
    );
  });
});

/**
 * The program both runs execute, against whichever copy of the library they are given: seeded
 * training of the echo model (eight fits of an epoch of 20 sequences, batch 1) and of a model with packed
 * products (batch 8); returns the losses and every weight's bits.
 */
function program(lstm: typeof library): { wasm: string; echo: { loss: number[]; bits: string[] }; packed: { loss: number[]; weights: number[] } } {
  const { Sequential, LSTM, Dense, Adam, oneHot, tensor, setSeed } = lstm;
  const bits = (values: ArrayLike<number>): string[] => Array.from(values, (v) => new Uint32Array(new Float32Array([v]).buffer)[0]!.toString(16));
  setSeed(5);
  const sequences = Array.from({ length: 20 }, (_, s) => Array.from({ length: 5 }, (_, t) => (s * 7 + t * 3 + ((s * t) % 4)) % 10));
  const x = oneHot(sequences, 10); // [20, 5, 10]
  const y = oneHot(sequences.map((seq) => seq[2]!), 10); // [20, 10]: echo the value at index 2
  const echo = new Sequential([new LSTM({ units: 25, inputShape: [5, 10] }), new Dense({ units: 10, activation: 'softmax' })]);
  echo.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy' });
  const echoLoss: number[] = [];
  for (let fit = 0; fit < 8; fit++) echoLoss.push(...echo.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 }).history.loss);
  setSeed(6);
  const px = tensor(Float32Array.from({ length: 16 * 6 * 40 }, (_, i) => Math.cos(i * 0.37)), [16, 6, 40]);
  const py = tensor(Float32Array.from({ length: 16 * 5 }, (_, i) => (i % 5 === Math.floor(i / 5) % 5 ? 1 : 0)), [16, 5]);
  const packed = new Sequential([new LSTM({ units: 48, inputShape: [6, 40] }), new Dense({ units: 5, activation: 'softmax' })]);
  packed.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  const packedLoss = packed.fit(px, py, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0 }).history.loss;
  return {
    wasm: typeof WebAssembly,
    echo: { loss: echoLoss, bits: echo.getWeights().flatMap((w) => bits(w.data)) },
    packed: { loss: packedLoss, weights: packed.getWeights().flatMap((w) => Array.from(w.data)) },
  };
}

/**
 * A fresh copy of the library in this process whose WebAssembly loading reports "unavailable" at
 * every step (no module, no memory, no instance): the JavaScript kernels, the in-process reference.
 */
async function libraryWithoutWasm(): Promise<typeof library> {
  vi.resetModules();
  vi.doMock('../src/base/wasm.js', () => ({ compileKernel: () => null, wasmMemory: () => null, instantiateKernel: () => null }));
  const lib = await import('../src/index.js');
  vi.doUnmock('../src/base/wasm.js');
  vi.resetModules();
  return lib;
}

afterAll(() => {
  vi.resetModules();
});

let bundled = '';
beforeAll(async () => {
  const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'lstm', target: 'es2022', write: false, logLevel: 'silent' });
  bundled = result.outputFiles[0]!.text;
}, 60_000);

describe('node --jitless (no WebAssembly at all)', () => {
  it('trains float32 models on the JavaScript kernels: the echo model to the same bits as with SIMD, the packed one to float32 rounding', async () => {
    // The script comes on stdin (no file is written); it prints the program's result as JSON.
    const script = `${bundled}\nconsole.log(JSON.stringify((${program.toString()})(lstm)));\n`;
    const run = spawnSync(process.execPath, ['--jitless', '-'], { input: script, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.stderr.replace(/^Warning: disabling flag --expose_wasm due to conflicting flags\n/, '')).toBe('');
    expect(run.status).toBe(0);
    const jitless = JSON.parse(run.stdout) as ReturnType<typeof program>;
    const here = program(library);
    expect(jitless.wasm).toBe('undefined');
    expect(here.wasm).toBe('object');

    expect(jitless.echo.loss).toHaveLength(8);
    expect(jitless.echo.loss[7]!).toBeLessThan(jitless.echo.loss[0]! - 0.1);
    expect(jitless.echo.loss).toEqual(here.echo.loss);
    expect(jitless.echo.bits).toHaveLength(4 * 25 * (10 + 25 + 1) + 10 * 26);
    expect(jitless.echo.bits).toEqual(here.echo.bits);

    expect(jitless.packed.loss[3]!).toBeLessThan(jitless.packed.loss[0]!);
    jitless.packed.loss.forEach((loss, i) => expect(Math.abs(loss - here.packed.loss[i]!)).toBeLessThan(1e-4));
    let worst = 0;
    jitless.packed.weights.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - here.packed.weights[i]!))));
    expect(worst).toBeLessThan(1e-4);

    // Against the JavaScript kernels in this process: every bit of both models, packed products included.
    const reference = program(await libraryWithoutWasm());
    expect(jitless.echo).toEqual(reference.echo);
    expect(jitless.packed.loss).toEqual(reference.packed.loss);
    expect(bitsOf(jitless.packed.weights)).toEqual(bitsOf(reference.packed.weights));
    expect(bitsOf(jitless.packed.weights)).not.toEqual(bitsOf(here.packed.weights)); // (the packed SIMD kernel rounds differently)
  }, 120_000);
});
