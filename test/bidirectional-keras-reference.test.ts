/**
 * Agreement with Keras itself (3.15.1 on TensorFlow 2.21, float64) for Bidirectional with masking,
 * what TF.js 4.22 gets wrong (it does not pass the mask through Bidirectional, tfjs issue 2279):
 * every merge mode, a Bidirectional feeding the mask on into another, per-step outputs with the
 * loss over the unmasked steps, a backwardLayer of another class, and a stateful layer over two
 * batches. Samples are pre-padded, post-padded and masked in the middle. Predictions, the loss,
 * every gradient of Keras' own SGD(1) train_on_batch (w_before - w_after) and the weights after
 * that step.
 *
 * Keras 3 makes masked steps of its inner layers output zeros (zero_output_for_mask, forced by
 * Bidirectional when returning sequences): one test shows that lstm-ts would miss that figure
 * without the zeroing (the previous output repeated instead).
 *
 * The figures come from test/fixtures/keras-bidirectional-reference.py (it says how each was
 * taken); this file reads only its JSON. Each value is compared relatively,
 * |ours - Keras| <= 1e-9 · max(|Keras|, 1e-6) (measured worst over all figures: concat 7e-12, sum
 * 4e-12, mul 1.4e-11, ave 8e-12, sequenceOutput 1.3e-13, backwardLayer 4.4e-11).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Bidirectional, Dense, GRU, LSTM, SGD, Sequential, SimpleRNN, fromTfjsArtifacts, tensor, type BidirectionalMergeMode, type Layer } from '../src/index.js';

type Nested = number | Nested[];
interface Case { x: Nested; y: Nested; weights: Nested[]; predictions: Nested; loss: number; gradients: Nested[]; modelConfig: unknown; weightPaths: string[] }
interface StatefulCase { x1: Nested; x2: Nested; weights: Nested[]; predictions1: Nested; predictions2: Nested }

const reference = JSON.parse(readFileSync(new URL('./fixtures/keras-bidirectional-reference.json', import.meta.url), 'utf8')) as {
  keras: string;
  concat: Case;
  sum: Case;
  mul: Case;
  ave: Case;
  sequenceOutput: Case;
  backwardLayer: Case;
  stateful: StatefulCase;
};

const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

/** The worst |actual - expected| / max(|expected|, 1e-6) over the entries. */
function worstRelative(actual: ArrayLike<number>, expected: Nested): number {
  const want = flat(expected);
  expect(actual.length).toBe(want.length);
  return want.reduce((worst, w, i) => Math.max(worst, Math.abs(actual[i] - w) / Math.max(Math.abs(w), 1e-6)), 0);
}

const d = 'float64' as const;

function compiled(layers: Layer[]): Sequential {
  const m = new Sequential(layers);
  m.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'meanSquaredError' });
  return m;
}

function merged(mergeMode: BidirectionalMergeMode): Sequential {
  return compiled([
    new Bidirectional(new LSTM({ units: 3, returnSequences: true, dtype: d }), { mergeMode, maskValue: 0, inputShape: [5, 3] }), // Masking(0) + the layer
    new Bidirectional(new GRU({ units: 2, dtype: d })), //                            the mask from below goes on
    new Dense({ units: 2, dtype: d }),
  ]);
}

const models: Record<Exclude<keyof typeof reference, 'keras' | 'stateful'>, () => Sequential> = {
  concat: () => merged('concat'),
  sum: () => merged('sum'),
  mul: () => merged('mul'),
  ave: () => merged('ave'),
  sequenceOutput: () => compiled([
    new Bidirectional(new SimpleRNN({ units: 3, returnSequences: true, maskValue: 0, dtype: d, inputShape: [5, 3] }), { mergeMode: 'sum' }),
    new Dense({ units: 2, dtype: d }),
  ]),
  backwardLayer: () => compiled([
    new Bidirectional(new LSTM({ units: 3, returnSequences: true, dtype: d }), {
      backwardLayer: new GRU({ units: 3, returnSequences: true, goBackwards: true, dtype: d }),
      mergeMode: 'mul',
      maskValue: 0,
      inputShape: [5, 3],
    }),
    new Bidirectional(new LSTM({ units: 2, dtype: d }), { mergeMode: 'ave' }),
    new Dense({ units: 2, dtype: d }),
  ]),
};

/** Every figure of a case: [label, worst relative error]. */
function compare(m: Sequential, c: Case): [string, number][] {
  m.setWeights(c.weights as never);
  const out: [string, number][] = [['predictions', worstRelative(m.predict(c.x as never).data, c.predictions)]];
  out.push(['loss', worstRelative([m.evaluate(c.x as never, c.y as never).loss], c.loss)]);
  const { grads } = m.computeGradients(c.x as never, c.y as never);
  grads.forEach((g, i) => out.push([`dL/d${m.weightNames[i]} (${i})`, worstRelative(g.data, c.gradients[i])]));
  m.trainOnBatch(c.x as never, c.y as never);
  m.getWeights().forEach((w, i) => {
    const after = flat(c.weights[i]).map((v, j) => v - flat(c.gradients[i])[j]);
    out.push([`weight ${i} after one SGD(1) step`, worstRelative(w.data, after)]);
  });
  return out;
}

/**
 * A config as a float32 Keras file would hold it: the script ran Keras in float64 (floatx), and
 * drew its biases with RandomUniform, which lstm-ts does not implement (an initializer only draws
 * fresh weights; the file's weights replace them): the policies say float32, the initializers Zeros.
 */
function asFile(config: unknown): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v === 'float64' ? 'float32' : v;
    const o = v as Record<string, unknown>;
    if (o.class_name === 'RandomUniform') return { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(config);
}

describe(`Keras ${reference.keras} agreement (float64): Bidirectional with masking`, () => {
  for (const kind of Object.keys(models) as (keyof typeof models)[]) {
    it(`${kind}: predictions, loss, every gradient and the weights after one SGD step, to 1e-9 relative`, () => {
      const m = models[kind]();
      expect(m.getWeights().length).toBe(reference[kind].weights.length);
      for (const [label, worst] of compare(m, reference[kind])) expect(worst, `${kind}: ${label}`).toBeLessThan(1e-9);
    });
  }

  it('stateful: two consecutive batches, the second from the state the first left, to 1e-9 relative', () => {
    const c = reference.stateful;
    const m = new Sequential([
      new Bidirectional(new LSTM({ units: 3, stateful: true, dtype: d }), { maskValue: 0, batchInputShape: [4, 5, 3] }),
      new Dense({ units: 2, dtype: d }),
    ]);
    m.setWeights(c.weights as never);
    expect(worstRelative(m.predict(c.x1 as never).data, c.predictions1)).toBeLessThan(1e-9);
    expect(worstRelative(m.predict(c.x2 as never).data, c.predictions2)).toBeLessThan(1e-9);
    m.resetStates();
    const fresh = worstRelative(m.predict(c.x2 as never).data, c.predictions2);
    expect(fresh, 'the second batch from zero states is another figure: the carried state counts').toBeGreaterThan(1e-4);
  });

  it("Keras' zeros at masked steps are what the figures hold: the previous output repeated there (a lone layer's way) misses them", () => {
    const c = reference.sequenceOutput;
    const m = models.sequenceOutput();
    m.setWeights(c.weights as never);
    const bi = m.layers[0] as Bidirectional;
    const x = c.x as never;
    // The two directions as lone layers (a masked step repeats the previous output), summed, then the Dense.
    const f = bi.forwardLayer.forward(x).data;
    const r = bi.backwardLayer.forward(x).data; // [B, T, 3] in the backward layer's order
    const lone = new Float64Array(4 * 5 * 3);
    for (let b = 0; b < 4; b++) for (let t = 0; t < 5; t++) for (let j = 0; j < 3; j++) lone[(b * 5 + t) * 3 + j] = f[(b * 5 + t) * 3 + j] + r[(b * 5 + 4 - t) * 3 + j];
    const repeated = m.layers[1].forward(tensor(lone, [4, 5, 3], 'float64')).data;
    expect(worstRelative(repeated, c.predictions)).toBeGreaterThan(1e-3);
    expect(worstRelative(m.predict(x).data, c.predictions)).toBeLessThan(1e-9);
  });

  it("reads Keras' own config of each model (model.to_json(): zero_output_for_mask, backward_layer, Keras 3's frames), its weights by their variable paths, and predicts as Keras (float32)", () => {
    for (const kind of Object.keys(models) as (keyof typeof models)[]) {
      const c = reference[kind];
      const shapes = c.weights.map((w) => { const s: number[] = []; for (let v: Nested = w; Array.isArray(v); v = v[0]) s.push(v.length); return s; });
      const read = fromTfjsArtifacts({
        modelTopology: { keras_version: reference.keras, model_config: asFile(c.modelConfig) },
        weightSpecs: c.weightPaths.map((name, i) => ({ name, shape: shapes[i], dtype: 'float32' })),
        weightData: Float32Array.from(c.weights.flatMap(flat)).buffer,
      });
      const ours = models[kind]();
      expect(read.layers.map((l) => l.getConfig().className), kind).toEqual(ours.layers.map((l) => l.getConfig().className));
      read.layers.forEach((l, i) => {
        if (!(l instanceof Bidirectional)) return;
        const o = ours.layers[i] as Bidirectional;
        expect([l.mergeMode, l.maskValue, l.returnSequences, l.backwardLayer.getConfig().className], `${kind} layer ${i}`).toEqual([o.mergeMode, o.maskValue, o.returnSequences, o.backwardLayer.getConfig().className]);
      });
      const got = read.predict(c.x as never).data;
      const want = flat(c.predictions);
      want.forEach((w, i) => expect(Math.abs(got[i] - w), `${kind}: prediction ${i}`).toBeLessThan(1e-5));
    }
  });
});
