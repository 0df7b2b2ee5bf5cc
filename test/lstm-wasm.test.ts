/**
 * The LSTM cell's WebAssembly kernel (src/layers/recurrent/wasm/lstm.wat) against the TypeScript
 * cell (recurrent/lstm-cell.ts) run by the sequence loop (recurrent/rnn.ts): the same bits for
 * the output, the carried state, every gradient, dL/dx and dL/d(h0, c0), over random shapes on
 * both sides of every product's float32 / float64 threshold; whole trainings that end on the same
 * weights; its sigmoid and tanh against float32-activations.ts. Both modes: whole (small
 * batches: the loop's whole forward and backward in one call) and cells (shapes gemm.ts packs:
 * only each step's cell pass in the kernel). Where the kernel does not apply (other activations,
 * float64) the layer runs the TypeScript cell; masked steps run the kernel's cell passes.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Adam, Dense, LSTM, Sequential, setSeed, tensor } from '../src/index.js';
import type { LSTMOptions } from '../src/layers/lstm.js';
import { useWasmCells } from '../src/layers/recurrent/kernels.js';
import { FusedStep } from '../src/model/fused-step.js';
import { LSTM_WASM_BASE64 } from '../src/layers/recurrent/wasm/lstm-binary.js';
import { fusedLSTMShape } from '../src/layers/recurrent/wasm/lstm-wasm.js';
import { sigmoidFloat32, tanhFloat32 } from '../src/tensor/float32-activations.js';
import { Tensor } from '../src/tensor/tensor.js';
import { mulberry32 } from './helpers/random.js';

afterEach(() => useWasmCells(true));

/** The bits of a float32 tensor, for exact comparison (NaN-safe, -0 ≠ 0). */
const bits = (t: Tensor | Float32Array): number[] => Array.from(new Uint32Array(Float32Array.from(t instanceof Tensor ? t.data : t).buffer));

function randomData(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** Whether the layer's last forward ran its cell in WebAssembly (its cache lives in the kernel's memory). */
const usedKernel = (layer: LSTM): boolean => layer.cellKernel !== undefined && layer.cellKernel !== 'typescript';
/** The mode of the kernel the layer's last forward ran in: 'whole', 'cells', or 'none' (the TypeScript cell). */
/** Whether the model's whole-step kernel (src/model/fused-step.ts: the LSTM kernel with the Dense layer and the loss) ran a step since the last call. */
const stepRuns = vi.spyOn(FusedStep.prototype, 'run');
const ranWholeStep = (): boolean => {
  const ran = stepRuns.mock.calls.length > 0;
  stepRuns.mockClear();
  return ran;
};
/** Whether the LSTM of a model ran in WebAssembly: its own cell kernel, or the model's whole-step kernel. */
const ranInWasm = (layer: LSTM): boolean => ranWholeStep() || usedKernel(layer);
const kernelMode = (layer: LSTM): string => (layer.cellKernel === 'wasm-whole' ? 'whole' : layer.cellKernel === 'wasm-cells' ? 'cells' : 'none');

/** A float32 LSTM built for [B, null, I] (with these weights). */
function makeLayer(options: LSTMOptions, I: number, B: number, weights: Tensor[] | undefined): LSTM {
  const layer = new LSTM({ ...options, batchInputShape: options.stateful ? [B, null, I] : undefined });
  layer.build([B, null, I]);
  if (weights !== undefined) layer.setWeights(weights);
  return layer;
}

describe('fused LSTM kernel against lstm.ts loops', () => {
  /** The fused layer and lstm.ts' loops on two batches of one shape: every output and gradient, bit for bit. */
  const sameBits = (shape: { I: number; H: number; B: number; T: number; returnSequences: boolean; stateful: boolean; useBias: boolean; sparse: boolean; seed: number }, mode: string): void => {
    const { I, H, B, T, returnSequences, stateful, useBias, sparse, seed } = shape;
    setSeed(seed);
    const options: LSTMOptions = { units: H, returnSequences, stateful, useBias };
    const reference = makeLayer(options, I, B, undefined);
    const fused = makeLayer(options, I, B, reference.getWeights());
    for (let batch = 0; batch < 2; batch++) {
      const xData = randomData(B * T * I, seed + batch, 2);
      if (sparse) for (let k = 0; k < xData.length; k++) if (k % 3 !== 0) xData[k] = 0;
      const x = tensor(xData, [B, T, I]);
      const yShape = returnSequences ? [B, T, H] : [B, H];
      const dy = tensor(randomData(yShape.reduce((a, b) => a * b, 1), seed + 7 + batch), yShape);
      useWasmCells(false); // read when a layer sizes its cache, at its first forward
      const yRef = reference.forward(x);
      useWasmCells(true);
      const yFused = fused.forward(x);
      expect(kernelMode(fused)).toBe(mode);
      expect(kernelMode(reference)).toBe('none');
      expect(bits(yFused)).toEqual(bits(yRef));
      expect(fused.getStates().map(bits)).toEqual(reference.getStates().map(bits));
      expect(bits(fused.backward(dy))).toEqual(bits(reference.backward(dy)));
      expect(fused.getGradients().map(bits)).toEqual(reference.getGradients().map(bits));
      expect(fused.getInitialStateGradients().map(bits)).toEqual(reference.getInitialStateGradients().map(bits));
    }
  };
  const options = {
    returnSequences: fc.boolean(),
    stateful: fc.boolean(),
    useBias: fc.boolean(),
    sparse: fc.boolean(), // one-hot-like inputs: the row kernels skip zero coefficients
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  };

  it('whole mode gives the same bits: output, state, gradients, dx, dh0 / dc0 (random small shapes, options, two batches)', () => {
    const shapes = fc.record({ I: fc.integer({ min: 1, max: 12 }), H: fc.integer({ min: 1, max: 24 }), B: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 7 }), ...options });
    fc.assert(fc.property(shapes, (shape) => {
      fc.pre(fusedLSTMShape(shape.I, shape.H, shape.B, shape.T));
      sameBits(shape, 'whole');
    }), { numRuns: 150, seed: 4242 });
  });

  it('cells mode gives the same bits (random shapes gemm.ts packs, odd unit counts for the SIMD tails, options, two batches)', () => {
    const shapes = fc.record({ I: fc.integer({ min: 1, max: 24 }), H: fc.integer({ min: 16, max: 41 }), B: fc.integer({ min: 4, max: 9 }), T: fc.integer({ min: 1, max: 5 }), ...options });
    fc.assert(fc.property(shapes, (shape) => {
      fc.pre(!fusedLSTMShape(shape.I, shape.H, shape.B, shape.T));
      sameBits(shape, 'cells');
    }), { numRuns: 40, seed: 4343 });
  });

  it('trains a model to the same weights, bit for bit (T3-sized, Adam, 300 updates on fresh samples)', () => {
    const train = (fused: boolean): number[][] => {
      useWasmCells(fused);
      setSeed(3);
      const model = new Sequential([new LSTM({ units: 25, inputShape: [5, 10] }), new Dense({ units: 10, activation: 'softmax' })]);
      model.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy' });
      const r = mulberry32(11);
      for (let step = 0; step < 300; step++) {
        const values = Array.from({ length: 5 }, () => Math.floor(r() * 10));
        const x = new Float32Array(50);
        values.forEach((v, t) => (x[t * 10 + v] = 1));
        const y = new Float32Array(10);
        y[values[2]!] = 1;
        model.trainOnBatch(tensor(x, [1, 5, 10]), tensor(y, [1, 10]));
      }
      expect(ranInWasm(model.layers[0] as LSTM)).toBe(fused);
      return model.getWeights().map(bits);
    };
    expect(train(true)).toEqual(train(false));
  });

  it('a stacked, stateful model (the lower LSTM passes dx up through the kernel) trains to the same weights', () => {
    const train = (fused: boolean): number[][] => {
      useWasmCells(fused);
      setSeed(5);
      const model = new Sequential([
        new LSTM({ units: 6, batchInputShape: [1, 3, 4], returnSequences: true, stateful: true }),
        new LSTM({ units: 9, stateful: true }),
        new Dense({ units: 3, activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy' });
      for (let step = 0; step < 40; step++) {
        model.trainOnBatch(tensor(randomData(12, 100 + step), [1, 3, 4]), tensor([[step % 2, 1, 0]]));
        if (step % 10 === 9) model.resetStates();
      }
      expect(model.layers.slice(0, 2).map((l) => usedKernel(l as LSTM))).toEqual([fused, fused]);
      return model.getWeights().map(bits);
    };
    expect(train(true)).toEqual(train(false));
  });
  it('fit with a smaller last batch (the kernel memory reused across shapes, or a shape it does not take in between) trains to the same weights', () => {
    for (const units of [4, 16]) {
      // units 4: batches of 5 and of 1 both run in the whole mode (one memory); units 16: batches
      // of 5 are packed (the cells mode), batches of 1 the whole mode
      const train = (fused: boolean): number[][] => {
        useWasmCells(fused);
        setSeed(12);
        const model = new Sequential([new LSTM({ units, inputShape: [4, 3] }), new Dense({ units: 3, activation: 'softmax' })]);
        model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
        const x = tensor(randomData(26 * 12, 31), [26, 4, 3]);
        const y = tensor(Float32Array.from({ length: 26 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)), [26, 3]);
        model.fit(x, y, { epochs: 6, batchSize: 5, verbose: 0 });
        expect(ranInWasm(model.layers[0] as LSTM)).toBe(fused); // the last batch, of 1, ran in the kernel
        return model.getWeights().map(bits);
      };
      expect(train(true), `units ${units}`).toEqual(train(false));
    }
  });

  it('a stacked model on shapes gemm.ts packs (both layers in the cells mode, dx passed down) trains to the same weights', () => {
    const train = (fused: boolean): number[][] => {
      useWasmCells(fused);
      setSeed(21);
      const model = new Sequential([
        new LSTM({ units: 33, inputShape: [6, 8], returnSequences: true }),
        new LSTM({ units: 20 }),
        new Dense({ units: 4, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
      const y = tensor(Float32Array.from({ length: 12 * 4 }, (_, i) => (i % 4 === Math.floor(i / 4) % 4 ? 1 : 0)), [12, 4]);
      for (let step = 0; step < 8; step++) model.trainOnBatch(tensor(randomData(12 * 6 * 8, 50 + step), [12, 6, 8]), y);
      expect(model.layers.slice(0, 2).map((l) => kernelMode(l as LSTM))).toEqual(fused ? ['cells', 'cells'] : ['none', 'none']);
      return model.getWeights().map(bits);
    };
    expect(train(true)).toEqual(train(false));
  });
});

describe('where the fused kernel does not apply', () => {
  it('runs the TypeScript cell for other activations and float64', () => {
    const cases: [string, LSTMOptions, [number, number, number]][] = [
      ['hardSigmoid gates', { units: 4, recurrentActivation: 'hardSigmoid' }, [1, 3, 2]],
      ['relu cell', { units: 4, activation: 'relu' }, [1, 3, 2]],
      ['float64', { units: 4, dtype: 'float64' }, [1, 3, 2]],
      ['float64, a batch gemm.ts packs', { units: 32, dtype: 'float64' }, [16, 10, 8]],
    ];
    for (const [what, options, [B, T, I]] of cases) {
      const layer = new LSTM(options);
      layer.forward(tensor(randomData(B * T * I, 1), [B, T, I]));
      expect(usedKernel(layer), what).toBe(false);
    }
  });

  it('a maskValue layer runs the kernel cell passes step by step (the loop passes masked rows through), with the same bits as the TypeScript cell', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), fc.boolean(), (seed, returnSequences, goBackwards) => {
      const run = (fused: boolean): number[][] => {
        useWasmCells(fused);
        setSeed(seed);
        const layer = new LSTM({ units: 5, maskValue: 0, returnSequences, goBackwards, stateful: true, batchInputShape: [3, 4, 2] });
        const x = randomData(3 * 4 * 2, seed);
        x.fill(0, 0, 4); // sample 0: its first two steps are padding
        x.fill(0, 14, 16); // sample 1: its last step
        const y = layer.forward(tensor(x, [3, 4, 2]));
        expect(kernelMode(layer)).toBe(fused ? 'whole' : 'none');
        const dy = tensor(randomData(y.size, seed + 1), y.shape);
        return [bits(y), ...layer.getStates().map(bits), bits(layer.backward(dy)), ...layer.getGradients().map(bits), ...layer.getInitialStateGradients().map(bits)];
      };
      expect(run(true)).toEqual(run(false));
    }), { numRuns: 30, seed: 77 });
  });

  it('a mask from the layer below runs the loops on the kernel-held cache, with the same bits as without the kernel', () => {
    const run = (fused: boolean): number[][] => {
      useWasmCells(fused);
      setSeed(9);
      const model = new Sequential([
        new LSTM({ units: 5, inputShape: [4, 3], returnSequences: true, maskValue: 0 }),
        new LSTM({ units: 7 }),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy' });
      const x = randomData(2 * 4 * 3, 17);
      x.fill(0, 0, 6); // sample 0: its first two steps are padding
      for (let step = 0; step < 10; step++) model.trainOnBatch(tensor(x, [2, 4, 3]), tensor([[1, 0], [0, 1]]));
      expect(usedKernel(model.layers[1] as LSTM)).toBe(fused); // the upper layer has a kernel, and a mask each batch
      return model.getWeights().map(bits);
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("the kernel's activations", () => {
  const module = new WebAssembly.Module(Uint8Array.from(atob(LSTM_WASM_BASE64), (c) => c.charCodeAt(0)));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const noop = (): void => {};
  const { activate } = new WebAssembly.Instance(module, { env: { memory }, gemm: { rowsAxpy: noop, rowsDot: noop } }).exports as { activate: (kind: number, at: number, n: number) => void };
  const values = new Float64Array(memory.buffer, 0, 4096);

  /** The kernel's sigmoid (kind 0) or tanh (1) on xs: in pairs of SIMD lanes, the last of an odd count in lane 0 alone. */
  const kernel = (kind: number, xs: number[]): number[] => {
    values.set(xs);
    activate(kind, 0, xs.length);
    return Array.from(values.subarray(0, xs.length));
  };

  it('are float32-activations.ts bit for bit, in both lanes and in lane 0 alone (an odd count): special values, random float32 values, both sides of every branch', () => {
    const r = mulberry32(5);
    const specials = [0, -0, 0.4, -0.4, 0.39999998, 0.40000004, 104, -104, 104.5, -200, 200, 52, -52, 88, -88, 1e-30, -1e-30, 0.34657359027997264, 1, -1];
    const random = Array.from({ length: 4001 }, (_, k) => Math.fround(k % 2 === 0 ? (r() - 0.5) * 24 : (r() - 0.5) * 1.2 * Math.exp(-r() * 20)));
    for (const xs of [specials, random, [0.25], random.slice(0, 7)]) {
      expect(kernel(0, xs).map((v, k) => Object.is(v, sigmoidFloat32(xs[k])) || `sigmoid(${xs[k]}) = ${v}`)).toEqual(xs.map(() => true));
      expect(kernel(1, xs).map((v, k) => Object.is(v, tanhFloat32(xs[k])) || `tanh(${xs[k]}) = ${v}`)).toEqual(xs.map(() => true));
    }
    fc.assert(fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 9 }), (xs) => {
      const sig = kernel(0, xs);
      const th = kernel(1, xs);
      return xs.every((x, k) => Object.is(sig[k], sigmoidFloat32(x)) && Object.is(th[k], tanhFloat32(x)));
    }), { numRuns: 2000, seed: 78 });
  });
});
