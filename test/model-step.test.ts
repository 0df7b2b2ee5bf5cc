/**
 * The whole-step kernel (src/model/fused-step.ts, wasm/step.wat) against the layer-by-layer
 * training step: Sequential([LSTM, Dense]) trained both ways from the same weights gives the
 * same bits for every loss and accuracy figure, the weights, the optimizer's slots, the carried
 * state, the Dense layer's logits and the predictions, over random shapes and options; a step
 * stopped by a non-finite loss stops the same way and leaves the same weights. Where the kernel
 * does not apply the model keeps the layers' path.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Adam, Dense, LSTM, SGD, Sequential, setSeed, tensor } from '../src/index.js';
import { fusedLSTMShape } from '../src/layers/recurrent/wasm/lstm-wasm.js';
import { FusedStep, setFusedModelStep } from '../src/model/fused-step.js';
import { usePacked } from '../src/tensor/gemm.js';
import { Tensor } from '../src/tensor/tensor.js';
import { mulberry32 } from './helpers/random.js';

afterEach(() => setFusedModelStep(true));

const bits = (t: Tensor | Float32Array): number[] => Array.from(new Uint32Array(Float32Array.from(t instanceof Tensor ? t.data : t).buffer));

/** Whether the model's last training step ran in the whole-step kernel. */
const stepRuns = vi.spyOn(FusedStep.prototype, 'run');
/** Whether the whole-step kernel ran a step since the last call (a spy on FusedStep.run; the model's fields stay private). */
const usedStep = (_model: Sequential): boolean => {
  const used = stepRuns.mock.calls.length > 0;
  stepRuns.mockClear();
  return used;
};

interface Setup {
  I: number;
  H: number;
  U: number;
  B: number;
  T: number;
  softmax: boolean;
  stateful: boolean;
  lstmBias: boolean;
  denseBias: boolean;
  accuracy: boolean;
  adam: boolean;
  seed: number;
}

/** Data for `samples` samples: inputs in [-1, 1] (or one-hot), targets one-hot (softmax) or 0/1 (sigmoid). */
function data({ I, U, T, softmax, seed }: Setup, samples: number): { x: Tensor; y: Tensor } {
  const r = mulberry32(seed);
  const x = Float32Array.from({ length: samples * T * I }, () => (r() < 0.3 ? 0 : r() * 2 - 1));
  const y = new Float32Array(samples * U);
  for (let s = 0; s < samples; s++) {
    if (softmax) y[s * U + Math.floor(r() * U)] = 1;
    else for (let j = 0; j < U; j++) y[s * U + j] = r() < 0.5 ? 1 : 0;
  }
  return { x: tensor(x, [samples, T, I]), y: tensor(y, [samples, U]) };
}

/** A model for the setup, with the weights drawn from the setup's seed. */
function model(setup: Setup): Sequential {
  const { I, H, U, B, T, softmax, stateful, lstmBias, denseBias, accuracy, adam, seed } = setup;
  setSeed(seed);
  const m = new Sequential([
    new LSTM({ units: H, useBias: lstmBias, stateful, ...(stateful ? { batchInputShape: [B, T, I] } : { inputShape: [T, I] }) }),
    new Dense({ units: U, activation: softmax ? 'softmax' : 'sigmoid', useBias: denseBias }),
  ]);
  m.compile({
    optimizer: adam ? new Adam({ learningRate: 0.01 }) : new SGD({ learningRate: 0.1, momentum: 0.9 }),
    loss: softmax ? 'categoricalCrossentropy' : 'binaryCrossentropy',
    metrics: accuracy ? ['accuracy'] : [],
  });
  return m;
}

/** Trains a model of the setup with or without the whole-step kernel and reads back everything a step leaves. */
function train(setup: Setup, fused: boolean) {
  setFusedModelStep(fused);
  stepRuns.mockClear();
  const m = model(setup);
  const { x, y } = data(setup, 3 * setup.B);
  const history = m.fit(x, y, { epochs: 3, batchSize: setup.B, shuffle: false, verbose: 0 });
  const used = usedStep(m);
  const loss = m.trainOnBatch(tensor(x.data.slice(0, x.size / 3), [setup.B, setup.T, setup.I]), tensor(y.data.slice(0, y.size / 3), [setup.B, setup.U]));
  const lstm = m.layers[0] as LSTM;
  const dense = m.layers[1] as Dense;
  return {
    used,
    history: history.history,
    loss,
    weights: m.getWeights().map(bits),
    gradients: m.layers.flatMap((l) => l.getGradients()).map(bits),
    slots: m.optimizer!.getState().slots.flat().map(bits),
    states: lstm.getStates().map(bits),
    predictions: bits(m.predict(x, { batchSize: setup.B })),
    // The Dense layer's logits of its last forward (predict's last batch): the whole-step kernel
    // writes only what a training step leaves public (weights, gradients, states), not the layers' caches.
    logits: bits(dense.getLogits()),
  };
}

describe('the whole-step kernel against the layers, one training step at a time', () => {
  it('gives the same bits: losses, accuracies, weights, gradients, optimizer slots, states, logits, predictions (random shapes and options)', () => {
    let applied = 0;
    fc.assert(
      fc.property(
        fc.record({
          I: fc.integer({ min: 1, max: 10 }),
          H: fc.integer({ min: 1, max: 33 }),
          U: fc.integer({ min: 1, max: 27 }),
          B: fc.integer({ min: 1, max: 3 }),
          T: fc.integer({ min: 1, max: 5 }),
          softmax: fc.boolean(),
          stateful: fc.boolean(),
          lstmBias: fc.boolean(),
          denseBias: fc.boolean(),
          accuracy: fc.boolean(),
          adam: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        (setup) => {
          const { I, H, U, B, T } = setup;
          // The kernel takes the shapes whose products gemm.ts would run unpacked (the LSTM's and the Dense layer's).
          const applies = fusedLSTMShape(I, H, B, T) && !usePacked(B, U, H) && !usePacked(H, U, B) && !usePacked(B, H, U);
          const fused = train(setup, true);
          const layered = train(setup, false);
          expect(layered.used).toBe(false);
          expect(fused.used).toBe(applies);
          if (applies) applied++;
          expect(fused).toEqual({ ...layered, used: applies });
        },
      ),
      { numRuns: 80, seed: 2024 },
    );
    expect(applied).toBeGreaterThan(40); // most of the shapes drawn are ones the kernel takes
  });

  it('gives the same bits on the tutorials’ models: T1 (stateful, binary cross-entropy), W2 (softmax over 26, products in float32 SIMD), T3 (echo)', () => {
    const setups: Setup[] = [
      { I: 5, H: 20, U: 5, B: 1, T: 1, softmax: false, stateful: true, lstmBias: true, denseBias: true, accuracy: true, adam: true, seed: 1 },
      { I: 1, H: 32, U: 26, B: 1, T: 1, softmax: true, stateful: true, lstmBias: true, denseBias: true, accuracy: true, adam: true, seed: 2 },
      { I: 10, H: 25, U: 10, B: 1, T: 5, softmax: true, stateful: false, lstmBias: true, denseBias: true, accuracy: true, adam: true, seed: 3 },
    ];
    for (const setup of setups) {
      const fused = train(setup, true);
      expect(fused.used).toBe(true);
      expect(fused).toEqual({ ...train(setup, false), used: true });
    }
  });

  it('stops on a non-finite loss as the layers do: the same error, the same weights, no update', () => {
    const setup: Setup = { I: 3, H: 4, U: 2, B: 1, T: 2, softmax: false, stateful: false, lstmBias: true, denseBias: true, accuracy: true, adam: true, seed: 9 };
    const attempt = (fused: boolean) => {
      setFusedModelStep(fused);
      const m = model(setup);
      m.build();
      const { x, y } = data(setup, 1);
      // The Dense layer's weights at 3e38, signed as the LSTM's output, and its bias: z overflows to +∞
      const h = (m.layers[0] as LSTM).forward(x).data;
      const weights = m.getWeights();
      weights[3] = tensor(weights[3].data.map((_, k) => (h[Math.floor(k / setup.U)] < 0 ? -3e38 : 3e38)), weights[3].shape);
      weights[4] = tensor(new Float32Array(setup.U).fill(3e38), [setup.U]);
      m.setWeights(weights);
      let message = '';
      try {
        m.trainOnBatch(x, y);
      } catch (error) {
        message = (error as Error).message;
      }
      return { message, weights: m.getWeights().map(bits), iterations: m.optimizer!.getState().iterations };
    };
    const fused = attempt(true);
    expect(fused.message).toMatch(/^trainOnBatch: the loss became NaN; training stopped and that batch was undone/);
    expect(fused.iterations).toBe(0);
    expect(fused).toEqual(attempt(false));
  });

  it('is not used where it does not apply: float64, hardSigmoid gates, returnSequences, three layers, an MSE loss, a subclassed layer, sparse targets', () => {
    const x = tensor(new Float32Array(2 * 3 * 2).fill(0.5), [2, 3, 2]);
    const y = tensor([[1, 0], [0, 1]]);
    stepRuns.mockClear();
    const cases: [string, () => Sequential][] = [
      ['float64', () => new Sequential([new LSTM({ units: 3, inputShape: [3, 2] }), new Dense({ units: 2, activation: 'softmax' })], { dtype: 'float64' })],
      ['hardSigmoid', () => new Sequential([new LSTM({ units: 3, inputShape: [3, 2], recurrentActivation: 'hardSigmoid' }), new Dense({ units: 2, activation: 'softmax' })])],
      ['three layers', () => new Sequential([new LSTM({ units: 3, inputShape: [3, 2], returnSequences: true }), new LSTM({ units: 3 }), new Dense({ units: 2, activation: 'softmax' })])],
      ['linear output', () => new Sequential([new LSTM({ units: 3, inputShape: [3, 2] }), new Dense({ units: 2 })])],
    ];
    for (const [what, make] of cases) {
      const m = make();
      m.compile({ optimizer: 'adam', loss: what === 'linear output' ? 'meanSquaredError' : 'categoricalCrossentropy' });
      m.trainOnBatch(x, y);
      expect(usedStep(m), what).toBe(false);
    }
    class LoggingDense extends Dense {}
    const subclassed = new Sequential([new LSTM({ units: 3, inputShape: [3, 2] }), new LoggingDense({ units: 2, activation: 'softmax' })]);
    subclassed.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    subclassed.trainOnBatch(x, y);
    expect(usedStep(subclassed), 'a subclass of Dense').toBe(false);
    const sparse = new Sequential([new LSTM({ units: 3, inputShape: [3, 2] }), new Dense({ units: 2, activation: 'softmax' })]);
    sparse.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    sparse.trainOnBatch(x, tensor([[0], [1]]));
    expect(usedStep(sparse)).toBe(false);
  });
});
