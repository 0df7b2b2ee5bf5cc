/**
 * An update that overflows is undone (issue 24, item 4). The loss and the gradients were checked
 * before each update, but not its result: SGD({ learningRate: 1e300 }) on a float32 model left
 * every weight non-finite, momentum slots at Infinity, and a stateful model carrying non-finite
 * state into every later batch. Now the batch is undone whole (weights, optimizer slots and
 * iteration count, carried states: bit for bit as before it), and fit throws an Error naming the
 * epoch and the batch, whose `history` is Keras' History of the epochs completed before it (what
 * TerminateOnNaN leaves). Each case is compared with a twin model trained up to that batch only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Adam, Dense, LSTM, RMSprop, SGD, Sequential, setSeed, tensor, type History, type Optimizer } from '../src/index.js';
import { setFusedModelStep } from '../src/model/fused-step.js';
import { bitSnapshot, randomOneHot, randomTensor } from './model-helpers.js';

const x = randomTensor([8, 3, 2], 31, 'float32');
const y = randomOneHot([8], 3, 32, 'float32');

function statefulModel(seed: number, optimizer: Optimizer): Sequential {
  setSeed(seed);
  const m = new Sequential([
    new LSTM({ units: 4, batchInputShape: [2, 3, 2], stateful: true }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  m.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** fit for 3 epochs (4 batches each); at the end of batch `atBatch` of epoch `atEpoch` (0-based) the learning rate becomes `huge`. */
function fitWithBlowUp(m: Sequential, atEpoch: number, atBatch: number, huge: number): Error & { history?: History } {
  let epoch = 0;
  try {
    m.fit(x, y, {
      epochs: 3, batchSize: 2, shuffle: false, verbose: 0,
      callbacks: {
        onEpochBegin: (e) => void (epoch = e),
        onBatchEnd: (b) => {
          if (epoch === atEpoch && b === atBatch) m.optimizer!.learningRate = huge;
        },
      },
    });
  } catch (error) {
    return error as Error & { history?: History };
  }
  throw new Error('fit should have thrown');
}

/** The twin: the same model trained by fit for `epochs` epochs, then `batches` more batches by trainOnBatch. */
function twin(seed: number, optimizer: Optimizer, epochs: number, batches: number): { model: Sequential; history: History } {
  const m = statefulModel(seed, optimizer);
  const history = epochs > 0 ? m.fit(x, y, { epochs, batchSize: 2, shuffle: false, verbose: 0 }) : { history: { loss: [], accuracy: [] }, epoch: [] };
  for (let b = 0; b < batches; b++) {
    const rows = [2 * b, 2 * b + 2];
    m.trainOnBatch(tensor(x.data.slice(rows[0] * 6, rows[1] * 6), [2, 3, 2]), tensor(y.data.slice(rows[0] * 3, rows[1] * 3), [2, 3]));
  }
  return { model: m, history };
}

function everyValueFinite(m: Sequential): boolean {
  const s = m.optimizer!.getState();
  return [...m.getWeights(), ...s.slots.flat(), ...m.layers.flatMap((l) => l.getStates())].every((t) => t.data.every(Number.isFinite));
}

afterEach(() => setFusedModelStep(true));

describe('an overflowing update is undone, and fit reports it with the history so far', () => {
  const cases: [string, () => Optimizer, number][] = [
    ['SGD with momentum 0.9, learning rate 1e300 (float32 weights and velocity overflow)', () => new SGD({ learningRate: 0.1, momentum: 0.9 }), 1e300],
    ['plain SGD, learning rate 1e300', () => new SGD({ learningRate: 0.1 }), 1e300],
    ['Adam (its WebAssembly kernel, weights hosted), learning rate 1e300', () => new Adam({ learningRate: 0.01 }), 1e300],
    ['Adam with clipNorm (its JavaScript loop), learning rate 1e300', () => new Adam({ learningRate: 0.01, clipNorm: 1 }), 1e300],
    ['RMSprop with momentum, learning rate 1e300', () => new RMSprop({ learningRate: 0.01, momentum: 0.5 }), 1e300],
  ];
  for (const fused of [true, false]) {
    for (const [label, make, huge] of cases) {
      it(`${label}${fused ? '' : ', layer by layer (no whole-step kernel)'}: stopped at epoch 2, batch 3; weights, slots, iterations, carried states as before that batch`, () => {
        setFusedModelStep(fused);
        const m = statefulModel(41, make());
        const error = fitWithBlowUp(m, 1, 1, huge);
        expect(error.message).toMatch(/^fit: the update would make (lstm|dense)_\d+\/\w+( \(.+\))? non-finite|^fit: the update would make the optimizer's \w+ slot of/);
        expect(error.message).toMatch(/ at epoch 2, batch 3; training stopped and that batch was undone, so the weights, the optimizer state and the carried states are those after the previous batch/);
        const reference = twin(41, make(), 1, 2);
        expect(bitSnapshot(m)).toEqual(bitSnapshot(reference.model));
        expect(m.optimizer!.iterations).toBe(6);
        expect(everyValueFinite(m)).toBe(true);
        // Keras' History of the epochs done: epoch 1 only, with the twin's figures.
        expect(error.history).toEqual({ history: { loss: reference.history.history.loss, accuracy: reference.history.history.accuracy }, epoch: [0] });
        // Training goes on from there once the learning rate is sane again, as the twin does.
        m.optimizer!.learningRate = 0.01;
        reference.model.optimizer!.learningRate = 0.01;
        m.trainOnBatch(tensor(x.data.slice(24, 36), [2, 3, 2]), tensor(y.data.slice(12, 18), [2, 3]));
        reference.model.trainOnBatch(tensor(x.data.slice(24, 36), [2, 3, 2]), tensor(y.data.slice(12, 18), [2, 3]));
        expect(bitSnapshot(m)).toEqual(bitSnapshot(reference.model));
      });
    }
  }

  it('a blow-up in the very first batch: history empty, the optimizer not started (no slots, iterations 0)', () => {
    const m = statefulModel(42, new SGD({ learningRate: 1e300, momentum: 0.9 }));
    m.build();
    const before = bitSnapshot(m);
    let error: (Error & { history?: History }) | undefined;
    try {
      m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    } catch (e) {
      error = e as Error & { history?: History };
    }
    expect(error?.message).toMatch(/at epoch 1, batch 1; training stopped and that batch was undone/);
    expect(error?.history).toEqual({ history: { loss: [], accuracy: [] }, epoch: [] });
    expect(bitSnapshot(m)).toEqual(before);
    expect(m.optimizer!.getState()).toEqual({ iterations: 0, slots: [] });
  });

  it('trainOnBatch likewise: the error names trainOnBatch, has no history, and the model is unchanged', () => {
    const m = statefulModel(43, new Adam({ learningRate: 0.01 }));
    m.trainOnBatch(tensor(x.data.slice(0, 12), [2, 3, 2]), tensor(y.data.slice(0, 6), [2, 3]));
    m.optimizer!.learningRate = 1e300;
    const before = bitSnapshot(m);
    let error: (Error & { history?: History }) | undefined;
    try {
      m.trainOnBatch(tensor(x.data.slice(12, 24), [2, 3, 2]), tensor(y.data.slice(6, 12), [2, 3]));
    } catch (e) {
      error = e as Error & { history?: History };
    }
    expect(error?.message).toMatch(/^trainOnBatch: the update would make .+ non-finite \((-?Infinity|NaN) at flat index \d+\); training stopped and that batch was undone/);
    expect(error?.history).toBeUndefined();
    expect(bitSnapshot(m)).toEqual(before);
    expect(m.optimizer!.iterations).toBe(1);
  });

  it('a non-finite loss also puts the carried states back (the forward had advanced them)', () => {
    const m = statefulModel(44, new SGD({ learningRate: 0.1 }));
    m.trainOnBatch(tensor(x.data.slice(0, 12), [2, 3, 2]), tensor(y.data.slice(0, 6), [2, 3]));
    const ws = m.getWeights();
    ws[2] = tensor(new Float32Array(16).fill(20), [16]); // LSTM bias: every gate open, h near tanh(1) or more
    ws[3] = tensor(new Float32Array(12).fill(3e38), [4, 3]); // the Dense kernel and bias: logits overflow float32
    ws[4] = tensor(new Float32Array(3).fill(3e38), [3]);
    m.setWeights(ws);
    const before = bitSnapshot(m);
    expect(before.states.flat().length).toBeGreaterThan(0);
    expect(() => m.trainOnBatch(tensor(x.data.slice(12, 24), [2, 3, 2]), tensor(y.data.slice(6, 12), [2, 3]))).toThrow(/^trainOnBatch: the loss (gradient )?became/);
    expect(bitSnapshot(m)).toEqual(before);
  });
});

describe('the optimizers on their own', () => {
  const makers: [string, () => Optimizer][] = [
    ['SGD', () => new SGD({ learningRate: 1e300, momentum: 0.9 })],
    ['SGD, Nesterov', () => new SGD({ learningRate: 1e300, momentum: 0.9, nesterov: true })],
    ['Adam', () => new Adam({ learningRate: 1e300 })],
    ['Adam, clipValue', () => new Adam({ learningRate: 1e300, clipValue: 10 })],
    ['RMSprop, centered', () => new RMSprop({ learningRate: 1e300, centered: true })],
  ];
  for (const [label, make] of makers) {
    // float64 overflows only past 1.8e308: where the gradient enters unscaled (not with Adam's clipped m).
    for (const dtype of label === 'Adam, clipValue' ? (['float32'] as const) : (['float32', 'float64'] as const)) {
      it(`${label}, ${dtype}: applyGradients refuses an overflowing update and changes nothing (weights, slots, iterations)`, () => {
        const opt = make();
        const w = randomTensor([3, 5], 51, dtype);
        const g = randomTensor([3, 5], 52, dtype);
        const small = randomTensor([3, 5], 53, dtype, -1e-300, 1e-300);
        opt.learningRate = 0.01;
        opt.applyGradients([w], [g]);
        opt.learningRate = 1e300;
        const grads = dtype === 'float64' ? randomTensor([3, 5], 54, dtype, 1e10, 1e11) : g; // float64 needs lr·g past 1.8e308
        const wBefore = Array.from(w.data);
        const stateBefore = opt.getState();
        expect(() => opt.applyGradients([w], [grads])).toThrow(new RegExp(`^${opt.className}\\.applyGradients: the update would make (params\\[0\\]|the \\w+ slot of params\\[0\\]) non-finite \\((-?Infinity|NaN) at flat index \\d+\\); it was undone, so the weights, the slots and iterations \\(1\\) are as before`));
        expect(Array.from(w.data)).toEqual(wBefore);
        expect(opt.getState()).toEqual(stateBefore);
        opt.learningRate = 1e-300;
        opt.applyGradients([w], [small]); // still usable
        expect(opt.iterations).toBe(2);
      });
    }
  }
});

describe('predict / evaluate on a stateful model whose carried state overflows (finite weights, relu cell)', () => {
  it('throws and puts the carried states back', () => {
    setSeed(45);
    const m = new Sequential([
      new LSTM({ units: 3, batchInputShape: [1, 4, 2], stateful: true, activation: 'relu' }),
      new Dense({ units: 1 }),
    ]);
    m.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
    m.build();
    const ws = m.getWeights();
    ws[0] = tensor(new Float32Array(2 * 12).fill(1e38), [2, 12]); // finite, but the cell state overflows float32
    m.setWeights(ws);
    m.predict(tensor(new Float32Array(8).fill(0), [1, 4, 2])); // zeros: fine
    const before = bitSnapshot(m);
    const big = tensor(new Float32Array(8).fill(1e3), [1, 4, 2]);
    expect(() => m.predict(big)).toThrow(/^predict: the carried state of layer lstm_\d+ became (Infinity|NaN) \(the forward overflowed float32\); the carried states are put back/);
    expect(bitSnapshot(m)).toEqual(before);
    expect(() => m.evaluate(big, [[0]])).toThrow(/^evaluate: the carried state of layer lstm_\d+ became/);
    expect(bitSnapshot(m)).toEqual(before);
  });
});
