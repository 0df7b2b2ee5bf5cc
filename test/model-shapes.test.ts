/**
 * Shapes and data formats:
 *   - fast-check over random layer stacks (LSTM / Dense, returnSequences on and off, Dense on 2-D
 *     and on 3-D input, Dense before an LSTM): predict's shape and values (against the independent
 *     reference), predictClasses' shape and values, for random prediction batch sizes;
 *   - x and y given as Tensors, nested arrays, contiguous or strided ndarrays (and a tensor of
 *     the other dtype): fit / predict / evaluate give bit-identical results;
 *   - setWeights keeps a float64 model's precision whatever form the weights come in.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { Dense, LSTM, Sequential, setSeed, tensor, type Layer, type Tensor } from '../src/index.js';
import { expectBitIdentical, expectClose, flatten, randomOneHot, randomTensor, refPredict } from './model-helpers.js';

type LayerSpec =
  | { kind: 'lstm'; units: number; returnSequences: boolean; hard: boolean }
  | { kind: 'dense'; units: number; activation: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax' };

const lstmSpec = fc.record({ kind: fc.constant('lstm' as const), units: fc.integer({ min: 1, max: 4 }), returnSequences: fc.boolean(), hard: fc.boolean() });
const denseSpec = fc.record({ kind: fc.constant('dense' as const), units: fc.integer({ min: 1, max: 4 }), activation: fc.constantFrom('linear', 'sigmoid', 'tanh', 'relu', 'softmax') as fc.Arbitrary<'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax'> });

const stackCase = fc.record({
  rank: fc.constantFrom(2, 3),
  specs: fc.array(fc.oneof(lstmSpec, denseSpec), { minLength: 1, maxLength: 4 }),
  N: fc.integer({ min: 1, max: 6 }),
  T: fc.integer({ min: 1, max: 4 }),
  F: fc.integer({ min: 1, max: 3 }),
  batchSize: fc.integer({ min: 1, max: 7 }),
  seed: fc.integer({ min: 1, max: 10_000 }),
});

/** Keep only stacks that are valid: an LSTM needs a 3-D input. Returns the expected output shape. */
function plan(rank: number, specs: LayerSpec[], N: number, T: number, F: number): { specs: LayerSpec[]; shape: number[] } {
  let shape = rank === 3 ? [N, T, F] : [N, F];
  const kept: LayerSpec[] = [];
  for (const s of specs) {
    if (s.kind === 'lstm') {
      if (shape.length !== 3) continue;
      shape = s.returnSequences ? [shape[0], shape[1], s.units] : [shape[0], s.units];
    } else {
      shape = [...shape.slice(0, -1), s.units];
    }
    kept.push(s);
  }
  if (kept.length === 0) {
    kept.push({ kind: 'dense', units: 2, activation: 'linear' });
    shape = [...shape.slice(0, -1), 2];
  }
  return { specs: kept, shape };
}

function build(specs: LayerSpec[]): Layer[] {
  return specs.map((s) =>
    s.kind === 'lstm'
      ? new LSTM({ units: s.units, returnSequences: s.returnSequences, recurrentActivation: s.hard ? 'hardSigmoid' : 'sigmoid' })
      : new Dense({ units: s.units, activation: s.activation }),
  );
}

describe('predict / predictClasses over random layer stacks (fast-check)', () => {
  it('output shape, values (reference) and classes', () => {
    fc.assert(
      fc.property(stackCase, ({ rank, specs, N, T, F, batchSize, seed }) => {
        const { specs: kept, shape } = plan(rank, specs as LayerSpec[], N, T, F);
        setSeed(seed);
        const model = new Sequential(build(kept), { dtype: 'float64' });
        const x = randomTensor(rank === 3 ? [N, T, F] : [N, F], seed);
        const y = model.predict(x, { batchSize });
        expect([...y.shape]).toEqual(shape);
        expect(model.outputShape).toEqual([null, ...shape.slice(1)]);
        expectClose(y.data, flatten(refPredict(model, x)), 1e-12, 'predict vs reference');

        const classes = model.predictClasses(x, { batchSize });
        expect([...classes.shape]).toEqual(shape.slice(0, -1));
        const width = shape[shape.length - 1];
        const expected: number[] = [];
        for (let r = 0; r < y.size / width; r++) {
          const row = Array.from(y.data.subarray(r * width, (r + 1) * width));
          expected.push(width === 1 ? (row[0] > 0.5 ? 1 : 0) : row.indexOf(Math.max(...row)));
        }
        expect(Array.from(classes.data)).toEqual(expected);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('predict with any batchSize gives the same values as one batch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 12 }), (batchSize, N) => {
        setSeed(N);
        const model = new Sequential([new LSTM({ units: 3, returnSequences: true }), new LSTM({ units: 2 }), new Dense({ units: 3, activation: 'softmax' })]);
        const x = randomTensor([N, 3, 2], N, 'float32');
        const whole = model.predict(x, { batchSize: N });
        const parts = model.predict(x, { batchSize });
        expectClose(parts.data, whole.data, 1e-6, `batchSize ${batchSize}`);
      }),
      { numRuns: 20, seed: 8 },
    );
  });

  it('a stack that cannot be built (LSTM after an LSTM without returnSequences) says how to fix it: at construction with a declared input shape (as Keras), else at first use', () => {
    expect(() => new Sequential([new LSTM({ units: 3, inputShape: [2, 2] }), new LSTM({ units: 2 })])).toThrow(/returnSequences: true/);
    const model = new Sequential([new LSTM({ units: 3 }), new LSTM({ units: 2 })]);
    expect(() => model.predict(randomTensor([1, 2, 2], 1, 'float32'))).toThrow(/returnSequences: true/);
  });
});

describe('x and y as Tensors, nested arrays or ndarrays give identical results', () => {
  const N = 6;
  const T = 3;
  const F = 2;
  const x = randomTensor([N, T, F], 401, 'float32');
  const y = randomOneHot([N], 3, 402, 'float32');

  /** A strided ndarray (storage in [F, T, N] order) whose logical view equals t. */
  function strided(t: Tensor): ndarray.NdArray<Float32Array> {
    const [n, tt, f] = t.shape.length === 3 ? t.shape : [t.shape[0], 1, t.shape[1]];
    const data = new Float32Array(t.size);
    for (let i = 0; i < n; i++) for (let s = 0; s < tt; s++) for (let k = 0; k < f; k++) data[i + n * s + n * tt * k] = t.data[(i * tt + s) * f + k];
    return t.shape.length === 3 ? ndarray(data, [n, tt, f], [1, n, n * tt]) : ndarray(data, [n, f], [1, n * tt]);
  }

  const formats: [string, () => [unknown, unknown]][] = [
    ['Tensor', () => [x, y]],
    ['nested arrays', () => [x.toArray(), y.toArray()]],
    ['contiguous ndarray', () => [ndarray(new Float32Array(x.data), [N, T, F]), ndarray(new Float32Array(y.data), [N, 3])]],
    ['zero-copy view (toNdarray)', () => [x.toNdarray(), y.toNdarray()]],
    ['strided (transposed) ndarray', () => [strided(x), strided(y)]],
    ['float64 Tensor', () => [x.clone('float64'), y.clone('float64')]],
  ];

  function run(data: [unknown, unknown]): { weights: Tensor[]; predicted: Tensor; loss: number; val: number } {
    setSeed(12);
    const model = new Sequential([new LSTM({ units: 4 }), new Dense({ units: 3, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const [xs, ys] = data as [Tensor, Tensor];
    const h = model.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0, validationData: [xs, ys] }); // shuffled, seeded
    return { weights: model.getWeights(), predicted: model.predict(xs), loss: model.evaluate(xs, ys).loss, val: h.history.val_loss[1] };
  }

  const reference = run(formats[0][1]());
  for (const [name, make] of formats.slice(1)) {
    it(name, () => {
      const got = run(make());
      expectBitIdentical(got.weights, reference.weights, `${name}: weights`);
      expectBitIdentical(got.predicted, reference.predicted, `${name}: predictions`);
      expect(got.loss).toBe(reference.loss);
      expect(got.val).toBe(reference.val);
    });
  }

  it('the strided helper really is strided and equal to the data', () => {
    const s = strided(x);
    expect(s.stride).toEqual([1, N, N * T]);
    expect(s.get(4, 2, 1)).toBe(x.get(4, 2, 1));
  });
});

describe('setWeights precision', () => {
  const kernel = [[0.1, 0.2], [0.3, 1 / 3]];
  const bias = [1e-50, 0.7];
  const forms: [string, () => unknown[]][] = [
    ['nested arrays', () => [kernel, bias]],
    ['float64 ndarrays', () => [ndarray(new Float64Array(kernel.flat()), [2, 2]), ndarray(new Float64Array(bias), [2])]],
    ['float64 tensors', () => [tensor(kernel, undefined, 'float64'), tensor(bias, undefined, 'float64')]],
  ];
  for (const [name, make] of forms) {
    it(`a float64 model keeps float64 values given as ${name}`, () => {
      const model = new Sequential([new Dense({ units: 2, inputShape: [2] })], { dtype: 'float64' });
      model.build();
      model.setWeights(make() as never);
      const [k, b] = model.getWeights();
      expect(k.dtype).toBe('float64');
      expect(Array.from(k.data)).toEqual(kernel.flat());
      expect(Array.from(b.data)).toEqual(bias);
    });
  }

  it('a float32 model rounds to float32', () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
    model.build();
    model.setWeights([[[0.1]], [0.2]]);
    expect(model.getWeights()[0].data[0]).toBe(Math.fround(0.1));
  });
});

describe('a model whose first layer declares its input shape has its weights at once (as Keras builds it)', () => {
  it('getWeights / setWeights / countParams straight after the constructor, drawing the same weights a first fit would', () => {
    const make = (): Sequential => new Sequential([new LSTM({ units: 3, inputShape: [2, 4] }), new Dense({ units: 2 })]);
    setSeed(21);
    const early = make();
    expect(early.countParams()).toBe(4 * (3 * (4 + 3) + 3) + 3 * 2 + 2);
    const drawn = early.getWeights();
    expect(drawn.map((w) => w.shape)).toEqual([[4, 12], [3, 12], [12], [3, 2], [2]]);
    setSeed(21);
    const late = make();
    late.predict(tensor([[[1, 0, 0, 0], [0, 1, 0, 0]]])); // first used only now: the weights were drawn at construction
    late.getWeights().forEach((w, i) => expectBitIdentical(w, drawn[i]));
    const replaced = drawn.map((w) => tensor(Array.from(w.data, (v) => v / 2), w.shape));
    early.setWeights(replaced);
    early.getWeights().forEach((w, i) => expectBitIdentical(w, tensor(Array.from(replaced[i].data), w.shape)));
  });

  it('without a declared input shape the weights cannot exist yet, and the error says how to give them one', () => {
    const model = new Sequential([new LSTM({ units: 3 }), new Dense({ units: 2 })]);
    expect(() => model.getWeights()).toThrow(/getWeights: the model is not built yet, and its input shape is unknown; give the first layer inputShape or batchInputShape/);
    expect(() => model.add(new Dense({ units: 1 }))).not.toThrow();
  });
});
