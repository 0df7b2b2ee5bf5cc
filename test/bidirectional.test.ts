/**
 * Bidirectional (src/layers/bidirectional.ts):
 *   1. against an independent reference: the two directions run as lone layers with the same
 *      weights (the backward one's goBackwards output reversed back), merged here by hand, and
 *      with masks Keras 3's zeros at the masked steps;
 *   2. gradCheck in float64 for every weight and the input, every merge mode, LSTM / GRU /
 *      SimpleRNN inside, with masks, returnSequences either way, a carried state, a separate
 *      backwardLayer; through a model, the mask passed on from one Bidirectional to the next;
 *   3. padded + masked = unpadded (without returnSequences), bit for bit;
 *   4. stateful: the states, forward layer's then backward layer's, carried and reset;
 *   5. the model: Sequential([Bidirectional(LSTM(returnSequences)), Dense]) fits, saves (toJSON /
 *      fromJSON) and loads with identical predictions; the book's lesson 10 model
 *      (Bidirectional(LSTM(50, return_sequences)) -> TimeDistributed(Dense(1, sigmoid)), written
 *      as Bidirectional -> Dense) with its Keras summary and parameter counts;
 *   6. bad input: every refusal names the argument and leaves the layer as it was.
 * Keras' own values: test/bidirectional-keras-reference.test.ts; TF.js:
 * test/bidirectional-tfjs-agreement.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam, Bidirectional, Dense, GRU, LSTM, Sequential, SimpleRNN, Tensor, gradCheck, setSeed, tensor, type BidirectionalMergeMode, type RNN } from '../src/index.js';
import { mulberry32 } from './helpers/random.js';

const MODES: BidirectionalMergeMode[] = ['concat', 'sum', 'mul', 'ave'];

function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  const r = mulberry32(seed);
  return tensor(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape, 'float64');
}

/** x [B, T, I] with sample 0 pre-padded (2 steps), sample 1 masked in the middle, sample 2 post-padded (1 step). */
function maskedInput(B: number, T: number, I: number, seed: number): Tensor {
  const x = randomTensor([B, T, I], seed);
  const zero = (b: number, t: number) => x.data.fill(0, (b * T + t) * I, (b * T + t + 1) * I);
  zero(0, 0);
  zero(0, 1);
  if (B > 1) zero(1, 2);
  if (B > 2) zero(2, T - 1);
  return x;
}

function randomize(layer: { getWeights(): Tensor[]; setWeights(w: Tensor[]): void }, seed: number): void {
  layer.setWeights(layer.getWeights().map((w, k) => randomTensor([...w.shape], seed + k, 0.8)));
}

type Kind = 'lstm' | 'gru' | 'simpleRnn';
function recurrent(kind: Kind, options: Record<string, unknown>): RNN {
  const o = { dtype: 'float64' as const, ...options, units: (options.units as number | undefined) ?? 3 };
  return kind === 'lstm' ? new LSTM(o) : kind === 'gru' ? new GRU(o) : new SimpleRNN(o);
}

describe('Bidirectional: the two directions and the merge', () => {
  it('equals the lone layers with the same weights, the backward output reversed back, merged per mode; masked steps output zeros with returnSequences', () => {
    for (const mode of MODES) {
      for (const seq of [true, false]) {
        for (const masked of [false, true]) {
          const bi = new Bidirectional(new LSTM({ units: 3, returnSequences: seq, dtype: 'float64', maskValue: masked ? 0 : null }), { mergeMode: mode });
          const x = masked ? maskedInput(3, 5, 2, 7) : randomTensor([3, 5, 2], 7);
          bi.build([null, 5, 2]);
          randomize(bi, 11);
          const w = bi.getWeights();
          const f = new LSTM({ units: 3, returnSequences: seq, dtype: 'float64', maskValue: masked ? 0 : null });
          const b = new LSTM({ units: 3, returnSequences: seq, dtype: 'float64', maskValue: masked ? 0 : null, goBackwards: true });
          f.build([null, 5, 2]);
          b.build([null, 5, 2]);
          f.setWeights(w.slice(0, 3));
          b.setWeights(w.slice(3));
          const yF = f.forward(x).data;
          const yB = b.forward(x).data;
          const y = bi.forward(x);
          const W = mode === 'concat' ? 6 : 3;
          const steps = seq ? 5 : 1;
          expect(y.shape).toEqual(seq ? [3, 5, W] : [3, W]);
          for (let s = 0; s < 3; s++) {
            for (let t = 0; t < steps; t++) {
              const isMasked = masked && seq && x.data.slice((s * 5 + t) * 2, (s * 5 + t + 1) * 2).every((v) => v === 0);
              for (let j = 0; j < 3; j++) {
                const a = yF[(s * steps + t) * 3 + j];
                const c = yB[(s * steps + (seq ? 4 - t : 0)) * 3 + j];
                const want = isMasked ? (mode === 'concat' ? [0, 0] : [0]) : mode === 'concat' ? [a, c] : [mode === 'sum' ? a + c : mode === 'ave' ? (a + c) / 2 : a * c];
                want.forEach((v, k) => expect(y.data[(s * steps + t) * W + k * 3 + j], `${mode} seq=${seq} masked=${masked} [${s}, ${t}, ${k * 3 + j}]`).toBe(v));
              }
            }
          }
        }
      }
    }
  });

  it("names the inner layers as Keras does (forward_<name>, backward_<name>), lists the forward layer's weights first, counts parameters as Keras", () => {
    const bi = new Bidirectional(new LSTM({ units: 4, name: 'lstm' }), { inputShape: [6, 3] });
    expect(bi.name).toMatch(/^bidirectional_\d+$/);
    expect([bi.forwardLayer.name, bi.backwardLayer.name]).toEqual(['forward_lstm', 'backward_lstm']);
    expect([bi.forwardLayer.goBackwards, bi.backwardLayer.goBackwards]).toEqual([false, true]);
    bi.build([null, 6, 3]);
    expect(bi.weightNames).toEqual(['forward_lstm/kernel', 'forward_lstm/recurrent_kernel', 'forward_lstm/bias', 'backward_lstm/kernel', 'backward_lstm/recurrent_kernel', 'backward_lstm/bias']);
    expect(bi.trainableWeights[0]).toBe(bi.forwardLayer.trainableWeights[0]);
    expect(bi.trainableWeights[3]).toBe(bi.backwardLayer.trainableWeights[0]);
    expect(bi.countParams()).toBe(2 * 4 * (4 * (3 + 4) + 4)); // Keras: 2 · LSTM(4) on 3 inputs = 288
    expect(bi.computeOutputShape([null, 6, 3])).toEqual([null, 8]);
    // Made afresh from the layer's config, as Keras: a prefix already there is not doubled.
    const again = new Bidirectional({ ...bi.getConfig().config } as never);
    expect([again.forwardLayer.name, again.backwardLayer.name]).toEqual(['forward_lstm', 'backward_lstm']);
  });

  it('draws its weights as Keras orders them: forward layer built first, then backward (seeded)', () => {
    setSeed(5);
    const bi = new Bidirectional(new GRU({ units: 2 }), { inputShape: [3, 2] });
    bi.build([null, 3, 2]);
    setSeed(5);
    const f = new GRU({ units: 2 });
    f.build([null, 3, 2]);
    const b = new GRU({ units: 2, goBackwards: true });
    b.build([null, 3, 2]);
    expect(bi.getWeights().map((w) => Array.from(w.data))).toEqual([...f.getWeights(), ...b.getWeights()].map((w) => Array.from(w.data)));
  });
});

describe('Bidirectional: gradients (float64 finite differences, every weight and the input)', () => {
  it('every merge mode × inner kind × returnSequences, with masks: worst relative error < 1e-6', () => {
    let worst = 0;
    for (const mode of MODES) {
      for (const kind of ['lstm', 'gru', 'simpleRnn'] as const) {
        for (const seq of [true, false]) {
          const bi = new Bidirectional(recurrent(kind, { returnSequences: seq, maskValue: 0 }), { mergeMode: mode });
          const x = maskedInput(3, 5, 2, 17);
          bi.build([null, 5, 2]);
          randomize(bi, 23);
          const result = gradCheck({ layer: bi, input: x });
          expect(result.maxRelativeError, `${mode} ${kind} seq=${seq}: ${JSON.stringify(result.worst)}`).toBeLessThan(1e-6);
          expect(result.entriesSkipped).toBe(4 * 2); // the masked steps' inputs, compared with an exact 0
          worst = Math.max(worst, result.maxRelativeError);
        }
      }
    }
    expect(worst).toBeGreaterThan(0);
  });

  it('over random sizes, modes, stateful carried states and a separate backwardLayer (fast-check)', () => {
    fc.assert(fc.property(
      fc.record({
        mode: fc.constantFrom(...MODES),
        forward: fc.constantFrom('lstm' as const, 'gru' as const, 'simpleRnn' as const),
        backward: fc.constantFrom('same' as const, 'lstm' as const, 'gru' as const, 'simpleRnn' as const),
        units: fc.integer({ min: 1, max: 4 }),
        I: fc.integer({ min: 1, max: 3 }),
        T: fc.integer({ min: 1, max: 5 }),
        B: fc.integer({ min: 1, max: 3 }),
        seq: fc.boolean(),
        stateful: fc.boolean(),
        masked: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1e6 }),
      }),
      ({ mode, forward, backward, units, I, T, B, seq, stateful, masked, seed }) => {
        const options = { units, returnSequences: seq, stateful, maskValue: masked ? 0 : null };
        const bi = new Bidirectional(recurrent(forward, options), {
          mergeMode: mode,
          backwardLayer: backward === 'same' ? undefined : recurrent(backward, { ...options, goBackwards: true, name: `back_${seed}` }),
          batchInputShape: [B, T, I],
        });
        bi.build([B, T, I]);
        randomize(bi, seed);
        const x = masked ? maskedInput(B, T, I, seed + 1) : randomTensor([B, T, I], seed + 1);
        if (stateful) {
          bi.forward(randomTensor([B, T, I], seed + 2)); // a carried state that is not zero
          expect(bi.getStates().some((s) => s.data.some((v) => v !== 0))).toBe(true);
        }
        const result = gradCheck({ layer: bi, input: x }, { seed });
        expect(result.maxRelativeError, JSON.stringify(result.worst)).toBeLessThan(1e-6);
      },
    ), { numRuns: 40, seed: 2626 });
  });

  it('through a model: the mask of one Bidirectional passed on to the next, and to the loss of per-step outputs', () => {
    for (const mode of MODES) {
      const m = new Sequential([
        new Bidirectional(new LSTM({ units: 3, returnSequences: true }), { mergeMode: mode, maskValue: 0, inputShape: [5, 2] }),
        new Bidirectional(new GRU({ units: 2, returnSequences: true }), { mergeMode: mode === 'concat' ? 'mul' : 'concat' }),
        new Dense({ units: 2 }),
      ], { dtype: 'float64' });
      m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
      randomize(m, 31);
      const x = maskedInput(3, 5, 2, 37);
      const y = randomTensor([3, 5, 2], 41);
      const result = gradCheck({ model: m, x, y });
      expect(result.maxRelativeError, `${mode}: ${JSON.stringify(result.worst)}`).toBeLessThan(1e-6);
      // The loss is over the unmasked steps only: a masked step's target does not count.
      const y2 = y.clone();
      y2.data.fill(123, 0, 2 * 2); // sample 0's two pre-padded steps
      expect(m.evaluate(x, y2).loss).toBe(m.evaluate(x, y).loss);
    }
  });
});

describe('Bidirectional: masking, state', () => {
  it('a padded and masked sequence gives exactly what the unpadded one gives (without returnSequences), both directions', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.constantFrom(...MODES), fc.integer({ min: 1, max: 1e6 }), (pre, post, gru, mode, seed) => {
      const T = 3;
      const make = () => new Bidirectional(gru ? new GRU({ units: 3, maskValue: 0, dtype: 'float64' }) : new LSTM({ units: 3, maskValue: 0, dtype: 'float64' }), { mergeMode: mode });
      const short = make();
      short.build([null, T, 2]);
      randomize(short, seed);
      const padded = make();
      padded.build([null, pre + T + post, 2]);
      padded.setWeights(short.getWeights());
      const x = randomTensor([1, T, 2], seed + 1);
      const xp = tensor(new Float64Array((pre + T + post) * 2), [1, pre + T + post, 2], 'float64');
      xp.data.set(x.data, pre * 2);
      expect(Array.from(padded.forward(xp).data)).toEqual(Array.from(short.forward(x).data));
    }), { numRuns: 30, seed: 5 });
  });

  it('passes the mask on with returnSequences (the input\'s, in its order), not without', () => {
    const m = new Sequential([
      new Bidirectional(new LSTM({ units: 2, returnSequences: true, maskValue: 0 }), { inputShape: [5, 2] }),
      new Dense({ units: 1 }),
    ]);
    const x = maskedInput(3, 5, 2, 3);
    const out = m.predict(x);
    // Dense on a zero row gives its bias at the masked steps: the Bidirectional output zeros there.
    const bias = m.layers[1].getWeights()[1].data[0];
    expect(out.data[0]).toBe(bias);
    expect(out.data[1 * 5 + 2]).toBe(bias);
    expect(out.data[2 * 5 + 4]).toBe(bias);
  });

  it("stateful: getStates lists the forward layer's states then the backward layer's; the next batch starts from them; resetStates zeroes or sets them", () => {
    const bi = new Bidirectional(new LSTM({ units: 2, stateful: true, dtype: 'float64' }), { batchInputShape: [2, 3, 2] });
    bi.build([2, 3, 2]);
    randomize(bi, 3);
    const x = randomTensor([2, 3, 2], 4);
    const first = bi.forward(x);
    const states = bi.getStates();
    expect(states.map((s) => s.shape)).toEqual([[2, 2], [2, 2], [2, 2], [2, 2]]);
    expect(states.map((s) => Array.from(s.data))).toEqual([...bi.forwardLayer.getStates(), ...bi.backwardLayer.getStates()].map((s) => Array.from(s.data)));
    const second = bi.forward(x);
    expect(Array.from(second.data)).not.toEqual(Array.from(first.data));
    bi.resetStates();
    expect(Array.from(bi.forward(x).data)).toEqual(Array.from(first.data));
    bi.resetStates(states);
    expect(Array.from(bi.forward(x).data)).toEqual(Array.from(second.data));
    // A bad set changes nothing, also when only the backward half is wrong.
    const before = bi.getStates().map((s) => Array.from(s.data));
    expect(() => bi.resetStates([states[0], states[1], states[2]])).toThrow(/expected 4 tensors, the forward layer's 2 then the backward layer's 2/);
    expect(() => bi.resetStates([states[0], states[1], states[2], tensor([[1, 2, 3]])])).toThrow(/states\[1\] \(c\) has shape \[1, 3\]; expected \[2, 2\]/);
    expect(bi.getStates().map((s) => Array.from(s.data))).toEqual(before);
  });
});

describe('Bidirectional in a model', () => {
  it('Sequential([Bidirectional(LSTM(returnSequences)), Dense]) fits, saves (toJSON / fromJSON) and loads with identical predictions', () => {
    setSeed(26);
    const m = new Sequential([
      new Bidirectional(new LSTM({ units: 6, returnSequences: true }), { mergeMode: 'concat', inputShape: [5, 2] }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    m.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy' });
    // Per step: is x[t, 0] greater than the mean of x[., 0] (needs both past and future)?
    const r = mulberry32(9);
    const xs = Array.from({ length: 32 }, () => Array.from({ length: 5 }, () => [r(), r()]));
    const ys = xs.map((s) => {
      const mean = s.reduce((a, v) => a + v[0], 0) / 5;
      return s.map((v) => [v[0] > mean ? 1 : 0]);
    });
    const history = m.fit(xs, ys, { epochs: 30, batchSize: 8, verbose: 0 });
    const losses = history.history.loss;
    expect(losses[losses.length - 1]).toBeLessThan(0.6 * losses[0]);
    const json = JSON.parse(JSON.stringify(m.toJSON()));
    const back = Sequential.fromJSON(json);
    expect(back.weightNames).toEqual(m.weightNames);
    expect(m.weightNames[0]).toMatch(/^bidirectional_\d+\/forward_lstm_\d+\/kernel$/);
    expect(Array.from(back.predict(xs).data)).toEqual(Array.from(m.predict(xs).data));
    expect(back.layers[0].getConfig()).toEqual(m.layers[0].getConfig());
  });

  it("the book's lesson 10 model: Bidirectional(LSTM(50, return_sequences)) -> Dense(1, sigmoid) per step, as Keras summarises it", () => {
    const m = new Sequential([
      new Bidirectional(new LSTM({ units: 50, returnSequences: true }), { inputShape: [10, 1] }),
      new Dense({ units: 1, activation: 'sigmoid' }), // TimeDistributed(Dense) in the book; Dense on 3-D applies per step
    ]);
    m.compile({ optimizer: new Adam(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const lines = m.summary(null).split('\n');
    const name = m.layers[0].name;
    // Keras 2's layout cuts the first column at 28 characters too ('bidirectional_1 (Bidirection').
    expect(lines).toContain(`${`${name} (Bidirectional)`.padEnd(28).slice(0, 28)} ${'(None, 10, 100)'.padEnd(25)} 20800`); // Keras: 20,800 for this layer
    expect(lines).toContain('Total params: 20,901');
    expect(m.predict(tensor(new Float32Array(10), [1, 10, 1])).shape).toEqual([1, 10, 1]);
  });

  it('a stateful model fits with a fixed batch and restores the states of a refused call', () => {
    const m = new Sequential([
      new Bidirectional(new GRU({ units: 3, stateful: true }), { batchInputShape: [2, 4, 1] }),
      new Dense({ units: 1 }),
    ]);
    m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
    expect(m.stateful).toBe(true);
    const x = randomTensor([4, 4, 1], 1);
    const y = randomTensor([4, 1], 2);
    m.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const states = m.layers[0].getStates().map((s) => Array.from(s.data));
    expect(states.some((s) => s.some((v) => v !== 0))).toBe(true);
    expect(() => m.predict(randomTensor([3, 4, 1], 3))).toThrow(/not a multiple of the batch size 2/);
    expect(m.layers[0].getStates().map((s) => Array.from(s.data))).toEqual(states);
  });
});

describe('Bidirectional: bad input', () => {
  it('refuses mergeMode null (Keras returns a list), unknown modes, non-recurrent layers, and mismatched backward layers, by name', () => {
    expect(() => new Bidirectional(new LSTM({ units: 2 }), { mergeMode: null })).toThrow(/mergeMode null .*a Sequential model passes one tensor/);
    expect(() => new Bidirectional(new LSTM({ units: 2 }), { mergeMode: 'max' as never })).toThrow(/mergeMode: expected 'concat', 'sum', 'mul' or 'ave', got "max"/);
    expect(() => new Bidirectional(new Dense({ units: 2 }) as never)).toThrow(/layer: expected a recurrent layer/);
    expect(() => new Bidirectional({} as never)).toThrow(/layer is required/);
    expect(() => new Bidirectional(new LSTM({ units: 2 }), { backwardLayer: new LSTM({ units: 2 }) })).toThrow(/different goBackwards, got false for both/);
    expect(() => new Bidirectional(new LSTM({ units: 2 }), { backwardLayer: new LSTM({ units: 3, goBackwards: true }) })).toThrow(/backwardLayer: units is 3, the layer's 2/);
    expect(() => new Bidirectional(new LSTM({ units: 2, returnSequences: true }), { backwardLayer: new LSTM({ units: 2, goBackwards: true }) })).toThrow(/returnSequences is false, the layer's true/);
    expect(() => new Bidirectional(new LSTM({ units: 2, maskValue: 0 }), { maskValue: 1 })).toThrow(/maskValue: the layers mask 0, the wrapper 1; expected one masking value/);
    expect(() => new Bidirectional(new LSTM({ units: 2 }), { units: 3 } as never)).toThrow(/unknown option 'units'|units/);
    expect(() => new Bidirectional(new LSTM({ units: 2, stateful: true }), { inputShape: [3, 2] })).toThrow(/stateful layers need the batch size fixed/);
  });

  it('refuses bad inputs, gradients and weights by name, and leaves the layer unchanged', () => {
    const bi = new Bidirectional(new LSTM({ units: 2 }), { inputShape: [3, 2] });
    bi.build([null, 3, 2]);
    const before = bi.getWeights().map((w) => Array.from(w.data));
    expect(() => bi.forward(tensor([[1, 2]]))).toThrow(/Bidirectional bidirectional_\d+: input x has shape \[1, 2\]; expected rank 3/);
    expect(() => bi.forward(tensor(new Float32Array(9), [1, 3, 3]))).toThrow(/with 3 features; expected 2 features/);
    expect(() => bi.forward(tensor([[[NaN, 0], [0, 0], [0, 0]]]))).toThrow(/NaN/);
    expect(() => bi.backward(tensor([[1, 2, 3, 4]]))).toThrow(/no forward pass/);
    bi.forward(tensor(new Float32Array(6), [1, 3, 2]));
    expect(() => bi.backward(tensor([[1, 2]]))).toThrow(/output gradient dy has shape \[1, 2\]; expected \[1, 4\]/);
    const w = bi.getWeights();
    expect(() => bi.setWeights(w.slice(0, 5))).toThrow(/expected 6 weights \(forward_lstm_\d+\/kernel/);
    expect(() => bi.setWeights([...w.slice(0, 5), tensor([1, 2, 3])])).toThrow(/weight 2 \(bias\) has shape \[3\], expected \[8\]/);
    expect(bi.getWeights().map((t) => Array.from(t.data))).toEqual(before);
  });
});
