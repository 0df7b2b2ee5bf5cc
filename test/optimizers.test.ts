/**
 * Optimizers: the first three steps of every variant against hand arithmetic (in the comments),
 * Adam cross-checked against an independent formulation, clipping, state round trips (bit for
 * bit), failed calls changing nothing, and properties (lr = 0 is a no-op; SGD descends a quadratic).
 *
 * The step tests use one weight w0 = 1 and the gradient sequence g = 1, -0.5, 2 in float64.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Adam, Optimizer, RMSprop, SGD, getOptimizer, type OptimizerState } from '../src/optim/index.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { Dense, Sequential } from '../src/index.js';
import type { DType } from '../src/tensor/alloc.js';
import { mulberry32 } from './helpers/random.js';

const GRADS = [1, -0.5, 2];
const f64 = (values: number[], shape = [values.length]): Tensor => tensor(Float64Array.from(values), shape);

/** Run the three-step sequence on w0 = 1; return w and the optimizer's state after each step. */
function threeSteps(optimizer: Optimizer): { w: number[]; states: OptimizerState[] } {
  const w = f64([1]);
  const out = { w: [] as number[], states: [] as OptimizerState[] };
  for (const g of GRADS) {
    optimizer.applyGradients([w], [f64([g])]);
    out.w.push(w.data[0]);
    out.states.push(optimizer.getState());
  }
  return out;
}

const slot = (state: OptimizerState, k: number): number => state.slots[0][k].data[0];

function expectAllClose(actual: number[], expected: number[], digits = 14): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], digits));
}

/** Seeded test data (mulberry32). */
function rng(seed: number): () => number {
  return mulberry32(seed);
}

function randomTensors(shapes: number[][], dtype: DType, next: () => number, scale = 1): Tensor[] {
  return shapes.map((shape) => {
    const t = tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(0), shape, dtype);
    for (let i = 0; i < t.size; i++) t.data[i] = scale * (2 * next() - 1);
    return t;
  });
}

describe('SGD', () => {
  it('plain: w ← w - lr·g', () => {
    // lr = 0.1: w1 = 1 - 0.1·1 = 0.9; w2 = 0.9 - 0.1·(-0.5) = 0.95; w3 = 0.95 - 0.1·2 = 0.75
    const { w, states } = threeSteps(new SGD({ learningRate: 0.1 }));
    expectAllClose(w, [0.9, 0.95, 0.75]);
    expect(states[2]).toEqual({ iterations: 3, slots: [[]] });
  });

  it('momentum: v ← μv - lr·g; w ← w + v', () => {
    // lr = 0.1, μ = 0.9
    // v1 = 0.9·0 - 0.1·1 = -0.1;            w1 = 1 - 0.1 = 0.9
    // v2 = 0.9·(-0.1) - 0.1·(-0.5) = -0.04;  w2 = 0.9 - 0.04 = 0.86
    // v3 = 0.9·(-0.04) - 0.1·2 = -0.236;     w3 = 0.86 - 0.236 = 0.624
    const { w, states } = threeSteps(new SGD({ learningRate: 0.1, momentum: 0.9 }));
    expectAllClose(w, [0.9, 0.86, 0.624]);
    expectAllClose(states.map((s) => slot(s, 0)), [-0.1, -0.04, -0.236]);
  });

  it('Nesterov: v ← μv - lr·g; w ← w + μv - lr·g', () => {
    // lr = 0.1, μ = 0.9 (same velocities as above)
    // w1 = 1 + 0.9·(-0.1) - 0.1·1 = 0.81
    // w2 = 0.81 + 0.9·(-0.04) - 0.1·(-0.5) = 0.81 - 0.036 + 0.05 = 0.824
    // w3 = 0.824 + 0.9·(-0.236) - 0.1·2 = 0.824 - 0.2124 - 0.2 = 0.4116
    const { w, states } = threeSteps(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }));
    expectAllClose(w, [0.81, 0.824, 0.4116]);
    expectAllClose(states.map((s) => slot(s, 0)), [-0.1, -0.04, -0.236]);
  });

  it('Nesterov without momentum is plain SGD with no slots (as in Keras)', () => {
    const { w, states } = threeSteps(new SGD({ learningRate: 0.1, nesterov: true }));
    expectAllClose(w, [0.9, 0.95, 0.75]);
    expect(states[0].slots).toEqual([[]]);
  });
});

describe('Adam (Keras 2 form)', () => {
  // lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-7
  // t = 1: m = 0.1·1 = 0.1; v = 0.001·1² = 0.001
  //        lr_t = 0.1·sqrt(1 - 0.999)/(1 - 0.9) = 0.1·0.0316227766/0.1 = 0.0316227766
  //        w = 1 - 0.0316227766·0.1/(0.0316227766 + 1e-7) = 1 - 0.0999996838 = 0.9000003162
  // t = 2: m = 0.9·0.1 + 0.1·(-0.5) = 0.04; v = 0.999·0.001 + 0.001·0.25 = 0.001249
  //        lr_t = 0.1·sqrt(1 - 0.998001)/(1 - 0.81) = 0.1·0.0447101778/0.19 = 0.0235316725
  //        w = 0.9000003162 - 0.0235316725·0.04/(0.0353411941 + 1e-7) = 0.9000003162 - 0.0266336286 = 0.8733666876
  // t = 3: m = 0.9·0.04 + 0.1·2 = 0.236; v = 0.999·0.001249 + 0.001·4 = 0.005247751
  //        lr_t = 0.1·sqrt(1 - 0.997002999)/(1 - 0.729) = 0.1·0.0547448537/0.271 = 0.0202010597
  //        w = 0.8733666876 - 0.0202010597·0.236/(0.0724413625 + 1e-7) = 0.8733666876 - 0.0658110692 = 0.8075556184
  it('matches the hand-computed first three steps, bias correction included', () => {
    const { w, states } = threeSteps(new Adam({ learningRate: 0.1 }));
    expectAllClose(w, [0.900000316226766, 0.8733666876221541, 0.807555618444076], 13);
    expectAllClose(states.map((s) => slot(s, 0)), [0.1, 0.04, 0.236]);
    expectAllClose(states.map((s) => slot(s, 1)), [0.001, 0.001249, 0.005247751]);
    expect(states.map((s) => s.iterations)).toEqual([1, 2, 3]);
  });

  it('equals an independent formulation: bias-corrected moments with ε scaled by sqrt(1 - β2^t)', () => {
    // Keras: lr·sqrt(1-β2^t)/(1-β1^t) · m/(sqrt(v) + ε) = lr · m̂ / (sqrt(v̂) + ε/sqrt(1-β2^t)),
    // with m̂ = m/(1-β1^t), v̂ = v/(1-β2^t). Run that for random settings and gradients.
    fc.assert(
      fc.property(
        fc.record({
          lr: fc.double({ min: 1e-4, max: 1, noNaN: true }),
          beta1: fc.double({ min: 0, max: 0.99, noNaN: true }),
          beta2: fc.double({ min: 0, max: 0.9999, noNaN: true }),
          epsilon: fc.double({ min: 1e-8, max: 1e-2, noNaN: true }),
          seed: fc.integer({ min: 0, max: 0x7fffffff }),
        }),
        ({ lr, beta1, beta2, epsilon, seed }) => {
          const next = rng(seed);
          const adam = new Adam({ learningRate: lr, beta1, beta2, epsilon });
          const w = f64([0.3, -0.7, 1.1]);
          const ref = { w: [0.3, -0.7, 1.1], m: [0, 0, 0], v: [0, 0, 0] };
          for (let t = 1; t <= 4; t++) {
            const g = [0, 1, 2].map(() => 4 * next() - 2);
            adam.applyGradients([w], [f64(g)]);
            for (let j = 0; j < 3; j++) {
              ref.m[j] = beta1 * ref.m[j] + (1 - beta1) * g[j];
              ref.v[j] = beta2 * ref.v[j] + (1 - beta2) * g[j] ** 2;
              const mHat = ref.m[j] / (1 - beta1 ** t);
              const vHat = ref.v[j] / (1 - beta2 ** t);
              ref.w[j] -= (lr * mHat) / (Math.sqrt(vHat) + epsilon / Math.sqrt(1 - beta2 ** t));
            }
            for (let j = 0; j < 3; j++) expect(Math.abs(w.data[j] - ref.w[j])).toBeLessThan(1e-12 * Math.max(1, Math.abs(ref.w[j])));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('RMSprop (Keras 3 form: ε inside the root)', () => {
  // lr = 0.01, ρ = 0.9, ε = 1e-7; ms1 = 0.1·1 = 0.1; ms2 = 0.09 + 0.1·0.25 = 0.115; ms3 = 0.1035 + 0.1·4 = 0.5035
  // (The tf.keras 2 form before, lr·g / (sqrt(ms) + ε), gave w1 = 0.968377233398313: 5.8e-9 away.)
  it('plain: w ← w - lr·g/sqrt(ms + ε)', () => {
    // w1 = 1 - 0.01·1/sqrt(0.1000001) = 1 - 0.01/0.3162279241 = 1 - 0.0316227608 = 0.9683772392
    // w2 = 0.9683772392 + 0.01·0.5/sqrt(0.1150001) = 0.9683772392 + 0.005/0.3391166466 = 0.9683772392 + 0.0147441892 = 0.9831214284
    // w3 = 0.9831214284 - 0.01·2/sqrt(0.5035001) = 0.9831214284 - 0.02/0.7095774094 = 0.9831214284 - 0.0281857902 = 0.9549356382
    const { w, states } = threeSteps(new RMSprop({ learningRate: 0.01 }));
    expectAllClose(w, [0.9683772392096927, 0.9831214284146668, 0.9549356382053401]);
    expectAllClose(states.map((s) => slot(s, 0)), [0.1, 0.115, 0.5035]);
  });

  it('momentum: mom ← μ·mom + lr·g/sqrt(ms + ε); w ← w - mom', () => {
    // μ = 0.5, increments s_t = lr·g/sqrt(ms + ε) from above: s1 = 0.0316227608, s2 = -0.0147441892, s3 = 0.0281857902
    // mom1 = 0.0316227608;                       w1 = 0.9683772392
    // mom2 = 0.5·0.0316227608 - 0.0147441892 = 0.0010671912;  w2 = 0.9673100480
    // mom3 = 0.5·0.0010671912 + 0.0281857902 = 0.0287193858;  w3 = 0.9385906622
    const { w, states } = threeSteps(new RMSprop({ learningRate: 0.01, momentum: 0.5 }));
    expectAllClose(w, [0.9683772392096927, 0.967310048019513, 0.9385906622150966]);
    expectAllClose(states.map((s) => slot(s, 1)), [0.031622760790307354, 0.0010671911901796137, 0.028719385804416513]);
  });

  it('centered: mg ← ρ·mg + (1-ρ)·g; w ← w - lr·g/sqrt(ms - mg² + ε)', () => {
    // mg1 = 0.1; mg2 = 0.09 - 0.05 = 0.04; mg3 = 0.036 + 0.2 = 0.236
    // d1 = 0.1 - 0.01 = 0.09;     w1 = 1 - 0.01/sqrt(0.0900001) = 1 - 0.01/0.3000001667 = 0.9666666852
    // d2 = 0.115 - 0.0016 = 0.1134; w2 = 0.9666666852 + 0.005/sqrt(0.1134001) = 0.9666666852 + 0.005/0.3367493133 = 0.9815145254
    // d3 = 0.5035 - 0.055696 = 0.447804; w3 = 0.9815145254 - 0.02/sqrt(0.4478041) = 0.9815145254 - 0.02/0.6691816644 = 0.9516272750
    const { w, states } = threeSteps(new RMSprop({ learningRate: 0.01, centered: true }));
    expectAllClose(w, [0.9666666851851697, 0.9815145254114169, 0.9516272749631496]);
    expectAllClose(states.map((s) => slot(s, 1)), [0.1, 0.04, 0.236]);
  });

  it('centered with momentum: slots [ms, mom, mg]', () => {
    // s_t from the centered run: s1 = 0.0333333148, s2 = -0.0148478402, s3 = 0.0298872504
    // mom1 = 0.0333333148; mom2 = 0.0166666574 - 0.0148478402 = 0.0018188172; mom3 = 0.0009094086 + 0.0298872504 = 0.0307966590
    // w = 1 - 0.0333333148 = 0.9666666852; - 0.0018188172 = 0.9648478680; - 0.0307966590 = 0.9340512090
    const { w, states } = threeSteps(new RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }));
    expectAllClose(w, [0.9666666851851697, 0.9648478680040018, 0.9340512089651505]);
    expectAllClose(states.map((s) => slot(s, 0)), [0.1, 0.115, 0.5035]);
    expectAllClose(states.map((s) => slot(s, 1)), [0.033333314814830255, 0.001818817181167982, 0.030796659038851325]);
    expectAllClose(states.map((s) => slot(s, 2)), [0.1, 0.04, 0.236]);
    expect(new RMSprop({ momentum: 0.5, centered: true }).slotNames).toEqual(['ms', 'mom', 'mg']);
  });

  it("issue #25's minimal case: one weight w = 0.5, input 0.001, target 0, MSE, one step of RMSprop(0.01) moves w by 3.16e-5, as Keras 3 does", () => {
    // y = w·x = 0.0005; MSE = y², g = dL/dw = 2·y·x = 2·0.0005·0.001 = 1e-6
    // ms = 0.1·g² = 1e-13;  step = lr·g / sqrt(ms + ε) = 0.01·1e-6 / sqrt(1e-13 + 1e-7)
    //                                                = 1e-8 / 3.1622792e-4 = 3.1622761e-5
    // (ε outside the root, tf.keras 2's form, gave 1e-8 / (3.16e-7 + 1e-7) = 0.024.)
    for (const dtype of ['float64', 'float32'] as const) {
      const model = new Sequential([new Dense({ units: 1, useBias: false, inputShape: [1] })], { dtype });
      model.compile({ optimizer: new RMSprop({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      model.setWeights([tensor([[0.5]])]);
      model.trainOnBatch([[0.001]], [[0]]);
      const moved = 0.5 - model.getWeights()[0].data[0];
      const tol = dtype === 'float64' ? 1e-15 : 3e-8 * 0.5; // float64: a few roundings; float32: half an ulp of w = 0.5 after the step
      expect(Math.abs(moved - 3.162276079030735e-5), dtype).toBeLessThan(tol);
    }
  });

  it('never takes the square root of a negative centered variance (constant gradients)', () => {
    const opt = new RMSprop({ learningRate: 0.01, centered: true });
    const w = tensor([0.5, -0.5, 3]);
    const g = tensor([1e-3, 7, -123.456]);
    for (let i = 0; i < 500; i++) opt.applyGradients([w], [g]);
    for (const v of w.data) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('gradient clipping', () => {
  it('clipNorm scales each gradient tensor by clipNorm / max(‖g‖, clipNorm), separately', () => {
    // lr = 1, clipNorm = 1: g_a = [3, 4] has norm 5 → [0.6, 0.8]; g_b = [0.3, 0.4] has norm 0.5 → unchanged
    const a = f64([0, 0]);
    const b = f64([0, 0]);
    const ga = f64([3, 4]);
    const gb = f64([0.3, 0.4]);
    new SGD({ learningRate: 1, clipNorm: 1 }).applyGradients([a, b], [ga, gb]);
    expectAllClose([...a.data], [-0.6, -0.8], 15);
    expectAllClose([...b.data], [-0.3, -0.4], 15);
    expect([...ga.data]).toEqual([3, 4]); // the gradients themselves are untouched
  });

  it('clipValue clips each element to [-clipValue, clipValue]', () => {
    // lr = 1, clipValue = 0.5: g = [3, -0.2, -4] → [0.5, -0.2, -0.5]
    const w = f64([0, 0, 0]);
    const g = f64([3, -0.2, -4]);
    new SGD({ learningRate: 1, clipValue: 0.5 }).applyGradients([w], [g]);
    expectAllClose([...w.data], [-0.5, 0.2, 0.5], 15);
    expect([...g.data]).toEqual([3, -0.2, -4]);
  });

  it('applies inside Adam and RMSprop too (the clipped gradient is what enters the moments)', () => {
    // Adam t = 1 with g clipped from 10 to 0.5: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025
    const adam = new Adam({ learningRate: 0.1, clipValue: 0.5 });
    adam.applyGradients([f64([1])], [f64([10])]);
    expectAllClose([slot(adam.getState(), 0), slot(adam.getState(), 1)], [0.05, 0.00025], 15);
    // RMSprop with clipNorm 2: g = [6, 8] (norm 10) → [1.2, 1.6]; ms = 0.1·g² = [0.144, 0.256]
    const rms = new RMSprop({ clipNorm: 2 });
    rms.applyGradients([f64([0, 0])], [f64([6, 8])]);
    expectAllClose([...rms.getState().slots[0][0].data], [0.144, 0.256], 14);
  });
});

describe('state', () => {
  const configs: [string, () => Optimizer][] = [
    ['SGD + Nesterov', () => new SGD({ learningRate: 0.05, momentum: 0.8, nesterov: true })],
    ['Adam', () => new Adam({ learningRate: 0.01 })],
    ['RMSprop centered + momentum', () => new RMSprop({ learningRate: 0.01, momentum: 0.9, centered: true, clipNorm: 1 })],
  ];
  const shapes = [[3, 4], [4]];

  for (const [label, make] of configs) {
    it(`${label}: getState / setState round trip continues bit for bit like an uninterrupted run`, () => {
      for (const dtype of ['float32', 'float64'] as DType[]) {
        const next = rng(7);
        const grads = Array.from({ length: 6 }, () => randomTensors(shapes, dtype, next));
        const start = randomTensors(shapes, dtype, next);
        // Uninterrupted: 6 steps.
        const straight = make();
        const wA = start.map((t) => t.clone());
        for (const g of grads) straight.applyGradients(wA, g);
        // Interrupted: 3 steps, save, a fresh optimizer from the config, restore, 3 more steps.
        const first = make();
        const wB = start.map((t) => t.clone());
        for (const g of grads.slice(0, 3)) first.applyGradients(wB, g);
        const saved = first.getState();
        const second = getOptimizer(first.className === 'SGD' ? new SGD(first.getConfig()) : first.className === 'Adam' ? new Adam(first.getConfig()) : new RMSprop(first.getConfig()));
        second.setState(saved);
        expect(second.iterations).toBe(3);
        for (const g of grads.slice(3)) second.applyGradients(wB, g);
        wB.forEach((w, i) => expect(w.data).toEqual(wA[i].data));
        expect(second.getState()).toEqual(straight.getState());
        expect(second.getState().slots[0][0].dtype).toBe(dtype);
      }
    });
  }

  it('getState returns deep copies and setState copies in', () => {
    const opt = new Adam();
    const w = f64([1, 2]);
    opt.applyGradients([w], [f64([0.5, 0.5])]);
    const state = opt.getState();
    state.slots[0][0].data[0] = 99;
    state.iterations = 42;
    expect(opt.getState().slots[0][0].data[0]).toBeCloseTo(0.05, 15);
    expect(opt.iterations).toBe(1);
    const restored = new Adam();
    restored.setState(state);
    state.slots[0][0].data[0] = -1;
    expect(restored.getState().slots[0][0].data[0]).toBe(99);
  });

  it('an unused optimizer has no slots, and restoring that state starts afresh', () => {
    const opt = new RMSprop();
    expect(opt.getState()).toEqual({ iterations: 0, slots: [] });
    opt.applyGradients([f64([1])], [f64([1])]);
    opt.setState({ iterations: 0, slots: [] });
    opt.applyGradients([f64([1, 2, 3])], [f64([1, 1, 1])]); // new slots, for a new parameter shape
    expect(opt.getState().slots[0][0].shape).toEqual([3]);
  });

  it('setState validates before changing anything', () => {
    const opt = new Adam();
    opt.applyGradients([f64([1, 2])], [f64([0.1, 0.2])]);
    const before = opt.getState();
    const bad: [unknown, string][] = [
      [null, 'Adam.setState: expected { iterations, slots }, got null'],
      [{ iterations: -1, slots: [] }, 'Adam.setState: iterations: expected a non-negative integer, got -1'],
      [{ iterations: 1.5, slots: [] }, 'Adam.setState: iterations: expected a non-negative integer, got 1.5'],
      [{ iterations: 1, slots: 'x' }, 'Adam.setState: slots: expected an array (one entry per parameter), got "x"'],
      [{ iterations: 1, slots: [[f64([0, 0])]] }, 'Adam.setState: slots[0]: expected 2 slot tensors [m, v] for this Adam configuration, got 1'],
      [{ iterations: 1, slots: [[f64([0, 0]), f64([0, 0, 0])]] }, 'Adam.setState: slots[0][1] (v): expected shape [2] (the shape of slots[0][0]), got [3]'],
      [{ iterations: 1, slots: [[f64([0, 0]), f64([0, NaN])]] }, 'Adam.setState: slots[0][1] (v): expected finite numbers, got NaN at index [1] of a tensor of shape [2]'],
    ];
    for (const [state, message] of bad) {
      expect(() => opt.setState(state as OptimizerState)).toThrow(message);
      expect(opt.getState()).toEqual(before);
    }
  });

  it('restored slots of another dtype follow their parameter dtype', () => {
    const opt = new SGD({ momentum: 0.9 });
    opt.setState({ iterations: 2, slots: [[f64([0.5, -0.5])]] });
    const w = tensor([1, 1]); // float32
    opt.applyGradients([w], [tensor([0, 0])]);
    const state = opt.getState();
    expect(state.slots[0][0].dtype).toBe('float32');
    expectAllClose([...state.slots[0][0].data], [0.45, -0.45], 7);
    expect(state.iterations).toBe(3);
  });
});

describe('failed calls change nothing', () => {
  const makers: (() => Optimizer)[] = [() => new SGD({ momentum: 0.9 }), () => new Adam(), () => new RMSprop({ momentum: 0.5, centered: true })];

  for (const make of makers) {
    it(`${make().className}: mismatched shapes and counts, NaN and Infinity gradients`, () => {
      const opt = make();
      const params = [f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([0.5, -0.5])];
      const good = () => [f64([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]), f64([1, -1])];
      opt.applyGradients(params, good());
      const paramsBefore = params.map((p) => [...p.data]);
      const stateBefore = opt.getState();
      const where = `${opt.className}.applyGradients`;
      const attempts: [Tensor[], Tensor[], string][] = [
        [params, [good()[0]], `${where}: grads: expected 2 tensors (one per parameter), got 1`],
        [params, [good()[0], f64([1, 2, 3])], `${where}: grads[1]: expected shape [2] (the shape of params[1]), got [3]`],
        [params, [f64([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [3, 2]), good()[1]], `${where}: grads[0]: expected shape [2, 3] (the shape of params[0]), got [3, 2]`],
        [params, [good()[0], f64([1, NaN])], `${where}: grads[1]: expected finite numbers, got NaN at index [1] of a tensor of shape [2]`],
        [params, [f64([0, 0, 0, 0, 0, -Infinity], [2, 3]), good()[1]], `${where}: grads[0]: expected finite numbers, got -Infinity at index [1, 2] of a tensor of shape [2, 3]`],
        [[params[0]], [good()[0]], `${where}: params: expected 2 tensors (the optimizer's slots were created for 2 parameters), got 1`],
        [[params[0], f64([1, 2, 3])], [good()[0], f64([1, 2, 3])], `${where}: params[1]: expected shape [2] (the shape its optimizer slots were created for), got [3]`],
        [[params[0], [1, 2] as unknown as Tensor], good(), `${where}: params[1]: expected a Tensor, got an array of length 2`],
      ];
      for (const [p, g, message] of attempts) {
        expect(() => opt.applyGradients(p, g)).toThrow(message);
        params.forEach((t, i) => expect([...t.data]).toEqual(paramsBefore[i]));
        expect(opt.getState()).toEqual(stateBefore);
      }
    });
  }

  it('a failed first call creates no slots', () => {
    const opt = new Adam();
    expect(() => opt.applyGradients([f64([1])], [f64([NaN])])).toThrow('Adam.applyGradients: grads[0]: expected finite numbers, got NaN');
    expect(opt.getState()).toEqual({ iterations: 0, slots: [] });
  });
});

describe('properties', () => {
  // Factories, not instances: fast-check replays values while shrinking, and an optimizer carries state.
  const optimizerArb = fc.oneof(
    fc.record({ momentum: fc.double({ min: 0, max: 1, noNaN: true }), nesterov: fc.boolean() }).map((o) => () => new SGD({ learningRate: 0, ...o })),
    fc.record({ beta1: fc.double({ min: 0, max: 0.999, noNaN: true }), beta2: fc.double({ min: 0, max: 0.9999, noNaN: true }) }).map((o) => () => new Adam({ learningRate: 0, ...o })),
    fc
      .record({ rho: fc.double({ min: 0, max: 0.999, noNaN: true }), momentum: fc.double({ min: 0, max: 1, noNaN: true }), centered: fc.boolean() })
      .map((o) => () => new RMSprop({ learningRate: 0, ...o })),
  );

  it('with learningRate 0 parameters never change', () => {
    fc.assert(
      fc.property(
        optimizerArb,
        fc.constantFrom<DType>('float32', 'float64'),
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (make, dtype, values, seed) => {
          const opt = make();
          const next = rng(seed);
          const w = tensor(values, [values.length], dtype);
          const before = [...w.data];
          for (let step = 0; step < 4; step++) opt.applyGradients([w], randomTensors([[values.length]], dtype, next, 100));
          // === rather than toEqual: -0 may come back as +0 (-0 - -0 = +0), which is the same number.
          w.data.forEach((v, i) => expect(v === before[i]).toBe(true));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('SGD decreases a convex quadratic f(w) = ½ Σ a (w - c)² every step when lr·max(a) ≤ 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0.1, max: 2, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true })), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (terms, lr) => {
          const a = terms.map((t) => t[0]);
          const c = terms.map((t) => t[1]);
          const w = f64(terms.map((t) => t[2]));
          const f = (): number => [...w.data].reduce((sum, wi, i) => sum + 0.5 * a[i] * (wi - c[i]) ** 2, 0);
          const opt = new SGD({ learningRate: lr });
          let previous = f();
          for (let step = 0; step < 5; step++) {
            opt.applyGradients([w], [f64([...w.data].map((wi, i) => a[i] * (wi - c[i])))]); // ∇f = a (w - c)
            const current = f();
            if (previous > 1e-12) expect(current).toBeLessThan(previous);
            else expect(current).toBeLessThanOrEqual(previous);
            previous = current;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('dtypes', () => {
  it('float32 and float64 parameters both work, with slots in the parameter dtype', () => {
    for (const make of [() => new SGD({ learningRate: 0.1, momentum: 0.9 }), () => new Adam({ learningRate: 0.1 }), () => new RMSprop({ learningRate: 0.01, centered: true })]) {
      const w32 = tensor([1], [1], 'float32');
      const w64 = tensor([1], [1], 'float64');
      const o32 = make();
      const o64 = make();
      for (const g of GRADS) {
        o32.applyGradients([w32], [tensor([g], [1], 'float32')]);
        o64.applyGradients([w64], [tensor([g], [1], 'float64')]);
      }
      expect(w32.data).toBeInstanceOf(Float32Array);
      expect(w32.data[0]).toBeCloseTo(w64.data[0], 6);
      expect(o32.getState().slots[0].every((s) => s.dtype === 'float32')).toBe(true);
      expect(o64.getState().slots[0].every((s) => s.dtype === 'float64')).toBe(true);
    }
  });

  it('mixed dtypes across parameters get their own slot dtypes', () => {
    const opt = new Adam();
    opt.applyGradients([tensor([1], [1], 'float32'), tensor([1], [1], 'float64')], [tensor([1], [1], 'float32'), tensor([1], [1], 'float64')]);
    expect(opt.getState().slots.map((s) => s[0].dtype)).toEqual(['float32', 'float64']);
  });
});

describe('options and config', () => {
  it('defaults are Keras defaults, and getConfig lists every option', () => {
    expect(new SGD().getConfig()).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false, clipNorm: null, clipValue: null });
    expect(new Adam().getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, clipNorm: null, clipValue: null });
    expect(new RMSprop().getConfig()).toEqual({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false, clipNorm: null, clipValue: null });
  });

  it('a config round-trips through the constructor', () => {
    const sgd = new SGD({ learningRate: 0.2, momentum: 0.5, nesterov: true, clipValue: 3 });
    expect(new SGD(sgd.getConfig()).getConfig()).toEqual(sgd.getConfig());
    const adam = new Adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-8, clipNorm: 5 });
    expect(new Adam(adam.getConfig()).getConfig()).toEqual(adam.getConfig());
    const rms = new RMSprop({ learningRate: 0.02, rho: 0.95, momentum: 0.3, epsilon: 1e-6, centered: true });
    expect(new RMSprop(rms.getConfig()).getConfig()).toEqual(rms.getConfig());
  });

  it('rejects unknown options and bad values, naming the option', () => {
    const cases: [() => unknown, string][] = [
      [() => new SGD({ learning_rate: 0.1 } as never), "SGD: unknown option 'learning_rate'; expected one of 'learningRate', 'momentum', 'nesterov', 'clipNorm', 'clipValue'"],
      [() => new Adam({ lr: 0.1 } as never), "Adam: unknown option 'lr'; expected one of 'learningRate', 'beta1', 'beta2', 'epsilon', 'clipNorm', 'clipValue'"],
      [() => new RMSprop({ decay: 0.9 } as never), "RMSprop: unknown option 'decay'; expected one of 'learningRate', 'rho', 'momentum', 'epsilon', 'centered', 'clipNorm', 'clipValue'"],
      [() => new SGD({ learningRate: -0.1 }), 'SGD: learningRate: expected a finite number >= 0, got -0.1'],
      [() => new Adam({ learningRate: NaN }), 'Adam: learningRate: expected a finite number >= 0, got NaN'],
      [() => new SGD({ momentum: 1.5 }), 'SGD: momentum: expected a number in [0, 1], got 1.5'],
      [() => new SGD({ nesterov: 'yes' as never }), 'SGD: nesterov: expected true or false, got "yes"'],
      [() => new Adam({ beta1: 1 }), 'Adam: beta1: expected a number in [0, 1), got 1'],
      [() => new Adam({ beta2: -0.1 }), 'Adam: beta2: expected a number in [0, 1), got -0.1'],
      [() => new Adam({ epsilon: 0 }), 'Adam: epsilon: expected a finite number > 0, got 0'],
      [() => new RMSprop({ rho: 1 }), 'RMSprop: rho: expected a number in [0, 1), got 1'],
      [() => new RMSprop({ momentum: -1 }), 'RMSprop: momentum: expected a number in [0, 1], got -1'],
      [() => new RMSprop({ centered: 1 as never }), 'RMSprop: centered: expected true or false, got 1'],
      [() => new SGD({ clipNorm: 0 }), 'SGD: clipNorm: expected a finite number > 0 (or null for no clipping), got 0'],
      [() => new Adam({ clipValue: -1 }), 'Adam: clipValue: expected a finite number > 0 (or null for no clipping), got -1'],
      [() => new RMSprop({ clipNorm: 1, clipValue: 1 }), 'RMSprop: give clipNorm or clipValue, not both (got clipNorm 1 and clipValue 1)'],
      [() => new SGD('fast' as never), 'SGD: options must be an object, got "fast"'],
    ];
    for (const [make, message] of cases) expect(make).toThrow(message);
  });

  it('the learning rate can be changed between steps, and is validated', () => {
    const opt = new SGD({ learningRate: 0.1 });
    const w = f64([1]);
    opt.applyGradients([w], [f64([1])]);
    opt.learningRate = 0.5;
    opt.applyGradients([w], [f64([1])]); // 1 - 0.1 - 0.5 = 0.4
    expect(w.data[0]).toBeCloseTo(0.4, 15);
    expect(() => {
      opt.learningRate = -1;
    }).toThrow('SGD: learningRate: expected a finite number >= 0, got -1');
    expect(opt.getConfig().learningRate).toBe(0.5);
  });
});

describe('getOptimizer', () => {
  it('makes a new instance with defaults from a name in any case', () => {
    expect(getOptimizer('sgd')).toBeInstanceOf(SGD);
    expect(getOptimizer('Adam')).toBeInstanceOf(Adam);
    expect(getOptimizer('RMSprop')).toBeInstanceOf(RMSprop);
    expect(getOptimizer('RMSPROP')).toBeInstanceOf(RMSprop);
    expect(getOptimizer('adam')).not.toBe(getOptimizer('adam'));
    expect(getOptimizer('adam').getConfig()).toEqual(new Adam().getConfig());
  });

  it('passes an instance through and rejects anything else clearly', () => {
    const opt = new RMSprop({ learningRate: 0.1 });
    expect(getOptimizer(opt)).toBe(opt);
    expect(() => getOptimizer('adagrad')).toThrow(`optimizer: unknown optimizer "adagrad"; expected one of 'sgd', 'adam', 'rmsprop' (any case) or an Optimizer instance`);
    expect(() => getOptimizer('constructor')).toThrow('optimizer: unknown optimizer "constructor"');
    expect(() => getOptimizer({ learningRate: 0.1 } as never)).toThrow('optimizer: expected an optimizer name or an Optimizer instance, got an object (Object)');
  });
});
