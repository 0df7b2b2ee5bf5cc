/**
 * The TF.js converter's output for Keras 3 models (issue #25, item 2), read by loadTfjs and
 * fromTfjsArtifacts. The files in test/fixtures/keras3-converter/ were written by
 * test/fixtures/keras3-converter.py with Keras 3.15.1 on TensorFlow 2.21, through the converter's
 * two Keras routes (the script says which detail comes from where in the converter's source):
 *
 *   <model>-h5     `tensorflowjs_converter --input_format keras model.h5`: Keras 3's model_config
 *                  (InputLayer batch_shape and optional, DTypePolicy objects, LSTM
 *                  zero_output_for_mask, Dense quantization_config), training_config, weights
 *                  named by Keras 3 variable paths with the model's name in front
 *                  (sequential/lstm/lstm_cell/kernel), layers in alphabetical order;
 *   <model>-keras  `--input_format keras_keras model.keras`: config.json without module /
 *                  registered_name (build_config, compile_config, shared_object_id kept), weights
 *                  named by their place in model.weights.h5 (layers/lstm/cell/vars/0,
 *                  layers/dense/vars/1) and the optimizer's variables (optimizer/vars/0, int32).
 *
 *   <model>.json   Keras' weights (model.get_weights()), the fixed input and Keras' predictions.
 *
 * 1. every model loads through both routes with Keras' weights bit for bit and predicts within
 *    1e-5 of Keras (LSTM + Dense; Masking + stacked LSTMs, one relu without bias, layer names
 *    unlike their class names; stateful with batch_shape, two predict calls in a row; Keras 3's
 *    hard_sigmoid; GRU (reset_after) + SimpleRNN + Dense), from disk (loadTfjs) and from memory
 *    (fromTfjsArtifacts);
 * 2. each Keras 3 novelty lstm-ts cannot honour is refused with an error naming it;
 * 3. random mutations of those files (fast-check) are refused naming fromTfjsArtifacts, or load
 *    with every weight holding the bytes of a spec of the file.
 * No Python runs here: the test reads only the committed files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LSTM, Sequential, tensor } from '../src/index.js';
import { artifactsFromModelJSON, fromTfjsArtifacts, parseTfjsModelJSON, type TfjsArtifactsInput } from '../src/io/tfjs.js';
import { loadTfjs } from '../src/node.js';
import { initTf, tf } from './tfjs-helpers.js';

const DIR = join(__dirname, 'fixtures', 'keras3-converter');
const PREDICT_TOL = 1e-5;

interface KerasRecord {
  model: string;
  keras: string;
  weights: unknown[];
  x: unknown[];
  predictions: unknown[][];
}

const record = (name: string): KerasRecord => JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));

/** A converted model's artifacts, read from its files in memory (the browser path). */
function artifactsOf(dirName: string): TfjsArtifactsInput & { modelTopology: any; weightSpecs: any[]; weightData: ArrayBuffer } {
  const parsed = parseTfjsModelJSON(readFileSync(join(DIR, dirName, 'model.json'), 'utf8'));
  const files = parsed.manifest.map((group) => group.paths.map((p) => new Uint8Array(readFileSync(join(DIR, dirName, p)))));
  const artifacts = artifactsFromModelJSON(parsed, files);
  // A private copy to edit.
  return { ...artifacts, modelTopology: structuredClone(artifacts.modelTopology), weightSpecs: structuredClone(artifacts.weightSpecs) as any[], weightData: artifacts.weightData as ArrayBuffer };
}

function flat(values: unknown): number[] {
  return Array.isArray(values) ? values.flatMap(flat) : [values as number];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Keras' weights, bit for bit, and its predictions within PREDICT_TOL. */
function expectAsKeras(model: Sequential, k: KerasRecord, label: string): void {
  const weights = model.getWeights();
  expect(weights.length, `${label}: weight count`).toBe(k.weights.length);
  weights.forEach((w, i) => {
    expect(w.dtype, `${label}: weight ${i}`).toBe('float32');
    // Keras' float32 values, written to JSON as exact doubles.
    expect(Array.from(w.data), `${label}: weight ${i} (${model.weightNames[i]})`).toEqual(Array.from(Float32Array.from(flat(k.weights[i]))));
  });
  const x = tensor(flat(k.x), shapeOf(k.x));
  k.predictions.forEach((expected, call) => {
    const got = model.predict(x).data;
    const d = maxDiff(got, flat(expected));
    expect(d, `${label}: predict call ${call + 1}, worst difference ${d}`).toBeLessThanOrEqual(PREDICT_TOL);
  });
}

function shapeOf(values: unknown): number[] {
  const shape: number[] = [];
  for (let v = values; Array.isArray(v); v = v[0]) shape.push(v.length);
  return shape;
}

const MODELS = ['lstm_dense', 'masked_stack', 'stateful', 'hard_sigmoid', 'gru_simple_rnn'] as const;
const ROUTES = ['h5', 'keras'] as const;

describe('the converter\'s Keras 3 output loads with Keras\' weights and predicts as Keras does', () => {
  it('the fixtures are what the brief says: Keras 3.15.1 files with the Keras 3 novelties', () => {
    const h5 = JSON.parse(readFileSync(join(DIR, 'masked_stack-h5', 'model.json'), 'utf8'));
    expect(h5.generatedBy).toBe('keras v3.15.1');
    expect(h5.convertedBy).toMatch(/^TensorFlow\.js Converter v/);
    const input = h5.modelTopology.model_config.config.layers[0].config;
    expect(input).toMatchObject({ batch_shape: [null, 6, 2], optional: false });
    expect(input.batch_input_shape).toBeUndefined();
    expect(h5.modelTopology.model_config.config.layers[2].config.zero_output_for_mask).toBe(false);
    expect(h5.modelTopology.model_config.config.layers[4].config.quantization_config).toBeNull();
    expect(h5.modelTopology.model_config.config.layers[2].config.dtype).toMatchObject({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } });
    expect(h5.weightsManifest[0].weights.map((w: any) => w.name)).toContain('masked_stack/encoder/lstm_cell/kernel');
    const keras = JSON.parse(readFileSync(join(DIR, 'masked_stack-keras', 'model.json'), 'utf8'));
    const names = keras.weightsManifest[0].weights.map((w: any) => w.name);
    expect(names).toContain('layers/lstm_1/cell/vars/2');
    expect(keras.weightsManifest[0].weights.find((w: any) => w.name === 'optimizer/vars/0')).toEqual({ name: 'optimizer/vars/0', shape: [], dtype: 'int32' });
    expect(keras.modelTopology.model_config.build_config).toBeDefined();
    expect(keras.modelTopology.model_config.compile_config).toBeDefined();
  });

  for (const name of MODELS) {
    for (const route of ROUTES) {
      it(`${name}, route ${route}: loadTfjs and fromTfjsArtifacts`, async () => {
        const k = record(name);
        expect(k.keras).toBe('3.15.1');
        const fromDisk = await loadTfjs(join(DIR, `${name}-${route}`, 'model.json'));
        expectAsKeras(fromDisk, k, `${name}-${route} (loadTfjs)`);
        const fromMemory = fromTfjsArtifacts(artifactsOf(`${name}-${route}`));
        expectAsKeras(fromMemory, k, `${name}-${route} (fromTfjsArtifacts)`);
      });
    }
  }

  it('what the files declare is what loads: layer names, mask, stateful batch shape, Keras 3 hard_sigmoid', async () => {
    for (const route of ROUTES) {
      const masked = await loadTfjs(join(DIR, `masked_stack-${route}`, 'model.json'));
      expect(masked.name).toBe('masked_stack');
      // Named by their config, though the .keras route names their weights layers/lstm, layers/lstm_1, layers/dense.
      expect(masked.layers.map((l) => l.name)).toEqual(['encoder', 'decoder', 'head']);
      const encoder = masked.layers[0] as LSTM;
      expect([encoder.maskValue, encoder.activation, encoder.useBias, encoder.returnSequences]).toEqual([0, 'relu', false, true]);
      const stateful = await loadTfjs(join(DIR, `stateful-${route}`, 'model.json'));
      expect(stateful.inputShape).toEqual([2, 4, 3]);
      expect((stateful.layers[0] as LSTM).stateful).toBe(true);
      const hard = await loadTfjs(join(DIR, `hard_sigmoid-${route}`, 'model.json'));
      expect((hard.layers[0] as LSTM).recurrentActivation).toBe('hardSigmoidKeras3');
      const gru = await loadTfjs(join(DIR, `gru_simple_rnn-${route}`, 'model.json'));
      expect(gru.layers.map((l) => l.getConfig().className)).toEqual(['GRU', 'SimpleRNN', 'Dense']);
      expect(gru.layers[0].getConfig().config.resetAfter).toBe(true);
    }
  });

  it('the optimizer\'s variables are skipped, their bytes counted: one byte short is refused', () => {
    const a = artifactsOf('lstm_dense-keras');
    const optimizer = a.weightSpecs.filter((s) => s.name.startsWith('optimizer/'));
    expect(optimizer.length).toBeGreaterThan(10); // iteration, learning rate, Adam's m and v of every weight
    expect(() => fromTfjsArtifacts({ ...a, weightData: a.weightData.slice(0, a.weightData.byteLength - 1) })).toThrow(/weightData holds \d+ bytes, but weightSpecs describe \d+ weights of \d+ bytes \(truncated/);
    const strings = a.weightSpecs.map((s) => (s.name === 'optimizer/vars/0' ? { ...s, dtype: 'string' } : s));
    expect(() => fromTfjsArtifacts({ ...a, weightSpecs: strings })).toThrow(/optimizer\/vars\/0, an optimizer variable\): expected one of 'float32', 'int32'.*got "string"/);
    // A model weight stays float32 only.
    const ints = a.weightSpecs.map((s) => (s.name === 'layers/dense/vars/1' ? { ...s, dtype: 'int32' } : s));
    expect(() => fromTfjsArtifacts({ ...a, weightSpecs: ints })).toThrow(/\.dtype \(layers\/dense\/vars\/1\): expected 'float32', got "int32"/);
  });

  it('a weight missing by position is named in every form it was looked for', () => {
    const a = artifactsOf('lstm_dense-keras');
    const specs = a.weightSpecs.map((s) => (s.name === 'layers/lstm/cell/vars/1' ? { ...s, name: 'layers/lstm/cell/vars/9' } : s));
    expect(() => fromTfjsArtifacts({ ...a, weightSpecs: specs })).toThrow(/no weight named 'lstm\/recurrent_kernel' \(or 'lstm\/<cell>\/recurrent_kernel', or 'sequential\/lstm\/recurrent_kernel', or 'layers\/lstm\/\[cell\/\]vars\/1'\)/);
  });
});

describe('TF.js\' own optimizer weights (includeOptimizer, group \'optimizer\') are skipped too', () => {
  beforeAll(initTf);

  it('a TF.js model saved with its Adam state loads with its weights', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'linear' })] });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    await model.fit(tf.ones([4, 3]), tf.zeros([4, 2]), { epochs: 1, verbose: 0 });
    let captured: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    const groups = captured!.weightSpecs!.map((s) => s.group);
    expect(groups).toContain('optimizer');
    const ours = fromTfjsArtifacts(captured as TfjsArtifactsInput);
    const theirs = model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(ours.getWeights().map((w) => Array.from(w.data))).toEqual(theirs);
    model.dispose();
  });
});

describe('Keras 3 novelties lstm-ts does not honour are refused, each by name', () => {
  const layersOf = (a: { modelTopology: any }) => a.modelTopology.model_config.config.layers as { class_name: string; config: Record<string, any>; [k: string]: any }[];

  it('zero_output_for_mask true (a real Keras 3.15 file): Keras outputs zeros at masked steps where lstm-ts repeats the previous output', () => {
    const a = artifactsOf('zero_output-h5');
    expect(() => fromTfjsArtifacts(a)).toThrow(/layers\[3\] \(LSTM 'decoder'\): zero_output_for_mask is true; lstm-ts supports only false \(Keras' default/);
    // Why: read as false, the model predicts as Keras at every unmasked step, and not at the masked ones,
    // where Keras' Dense sees zeros and gives its bias.
    layersOf(a)[3].config.zero_output_for_mask = false;
    const k = record('zero_output');
    const model = fromTfjsArtifacts(a);
    const x = tensor(flat(k.x), shapeOf(k.x));
    const got = model.predict(x).toArray() as number[][][];
    const keras = k.predictions[0] as number[][][];
    const bias = k.weights[k.weights.length - 1] as number[];
    const samples = k.x as number[][][];
    let masked = 0;
    samples.forEach((sample, b) => {
      let started = false; // a masked step before any unmasked one outputs zeros in both: h0 = 0
      sample.forEach((step, t) => {
        const isMasked = step.every((v) => v === 0);
        const d = maxDiff(got[b][t], keras[b][t]);
        if (isMasked) expect(keras[b][t].map((v) => Math.fround(v)), `Keras, sample ${b} step ${t}: the Dense's bias`).toEqual(bias.map((v) => Math.fround(v)));
        if (isMasked && started) {
          masked++;
          expect(d, `sample ${b} step ${t}, masked after unmasked steps`).toBeGreaterThan(1e-3);
        } else {
          expect(d, `sample ${b} step ${t}`).toBeLessThanOrEqual(PREDICT_TOL);
        }
        started ||= !isMasked;
      });
    });
    expect(masked).toBeGreaterThan(0);
  });

  it.each([
    ['InputLayer optional true', (l: any[]) => { l[0].config.optional = true; }, /layers\[0\] \(InputLayer 'input_layer'\): optional is true; lstm-ts supports only false \(optional inputs are not supported\)/],
    ['batch_shape and batch_input_shape that disagree', (l: any[]) => { l[0].config.batch_input_shape = [null, 5, 4]; }, /batch_input_shape \[null,5,4\] and batch_shape \[null,5,3\] disagree/],
    ['a mixed_float16 dtype policy', (l: any[]) => { l[1].config.dtype.config.name = 'mixed_float16'; }, /\(LSTM 'lstm'\): dtype: dtype policy "DTypePolicy" with config \{"name":"mixed_float16"\}; .*float32 only/],
    ['a quantized dtype policy', (l: any[]) => { l[2].config.dtype = { module: 'keras', class_name: 'QuantizedDTypePolicy', config: { name: 'int8_from_float32', source_name: 'float32' }, registered_name: null }; }, /\(Dense 'dense'\): dtype: dtype policy "QuantizedDTypePolicy" .* is not supported/],
    ['a dtype policy registered outside Keras', (l: any[]) => { l[1].config.dtype.registered_name = 'my_pkg>Policy'; }, /dtype: registered_name "my_pkg>Policy": a class registered outside Keras/],
    ['a layer registered outside Keras', (l: any[]) => { l[1].registered_name = 'my_pkg>LSTM'; }, /layers\[1\] \(LSTM 'lstm'\): registered_name "my_pkg>LSTM": a class registered outside Keras \(custom code, which lstm-ts cannot run\)/],
    ['a layer from a module outside Keras', (l: any[]) => { l[1].module = 'my_pkg.layers'; }, /layers\[1\] \(LSTM 'lstm'\): module "my_pkg.layers": a class from outside Keras/],
    ['an initializer registered outside Keras', (l: any[]) => { l[1].config.kernel_initializer.registered_name = 'my_pkg>Init'; }, /kernel_initializer: registered_name "my_pkg>Init"/],
    ['zero_output_for_mask true', (l: any[]) => { l[1].config.zero_output_for_mask = true; }, /\(LSTM 'lstm'\): zero_output_for_mask is true; lstm-ts supports only false/],
    ['a quantized Dense', (l: any[]) => { l[2].config.quantization_config = { class_name: 'Int8QuantizationConfig', config: {} }; }, /\(Dense 'dense'\): quantization_config is .*Int8QuantizationConfig.*; lstm-ts supports only null \(quantized Dense layers are not supported\)/],
    ['a LoRA Dense (lora_rank)', (l: any[]) => { l[2].config.lora_rank = 4; l[2].config.lora_alpha = 4; }, /\(Dense 'dense'\): lora_rank is 4; lstm-ts supports only null \(LoRA/],
    ['a LoRA Dense (lora_alpha)', (l: any[]) => { l[2].config.lora_alpha = 8; }, /\(Dense 'dense'\): lora_alpha is 8; lstm-ts supports only null \(LoRA/],
    ['an unknown field in a layer entry', (l: any[]) => { l[2].inbound_nodes = []; }, /layers\[2\] \(Dense 'dense'\): unsupported config field\(s\) 'inbound_nodes'/],
    ['a malformed build_config', (l: any[]) => { l[2].build_config = { input_shape: [null, 6], extra: 1 }; }, /\(Dense 'dense'\): build_config: unsupported config field\(s\) 'extra'/],
  ])('%s', (_, edit, message) => {
    const a = artifactsOf('lstm_dense-keras');
    edit(layersOf(a));
    expect(() => fromTfjsArtifacts(a)).toThrow(message);
  });

  it('zero_output_for_mask true on a GRU and a SimpleRNN too (the shared recurrent mapping)', () => {
    for (const i of [1, 2]) {
      const a = artifactsOf('gru_simple_rnn-keras');
      layersOf(a)[i].config.zero_output_for_mask = true;
      expect(() => fromTfjsArtifacts(a)).toThrow(new RegExp(`layers\\[${i}\\] \\((GRU 'gru'|SimpleRNN 'simple_rnn')\\): zero_output_for_mask is true; lstm-ts supports only false`));
    }
  });

  it('the model\'s own frame: a frozen model, another dtype, unknown fields, a custom model class', () => {
    const frozen = artifactsOf('lstm_dense-h5');
    frozen.modelTopology.model_config.config.trainable = false;
    expect(() => fromTfjsArtifacts(frozen)).toThrow(/model_config\.config: trainable is false; lstm-ts supports only true \(frozen models are not supported\)/);
    const half = artifactsOf('lstm_dense-h5');
    half.modelTopology.model_config.config.dtype.config.name = 'float16';
    expect(() => fromTfjsArtifacts(half)).toThrow(/model_config\.config: dtype: dtype policy "DTypePolicy" with config \{"name":"float16"\}/);
    const extra = artifactsOf('lstm_dense-keras');
    extra.modelTopology.model_config.config.mystery = 1;
    expect(() => fromTfjsArtifacts(extra)).toThrow(/model_config\.config: unsupported config field\(s\) 'mystery'/);
    const wrapper = artifactsOf('lstm_dense-h5');
    wrapper.modelTopology.mystery = 1;
    expect(() => fromTfjsArtifacts(wrapper)).toThrow(/modelTopology: unsupported config field\(s\) 'mystery'/);
    const custom = artifactsOf('lstm_dense-h5');
    custom.modelTopology.model_config.registered_name = 'my_pkg>MySequential';
    expect(() => fromTfjsArtifacts(custom)).toThrow(/model_config: registered_name "my_pkg>MySequential": a class registered outside Keras/);
  });

  it('Keras\' own classes stay accepted: module keras.*, registered_name null or the class name, FloatDTypePolicy', () => {
    const a = artifactsOf('lstm_dense-h5');
    const layers = layersOf(a);
    layers[1].module = 'keras.layers';
    layers[1].registered_name = 'LSTM';
    layers[2].config.dtype = { module: 'keras.dtype_policies', class_name: 'FloatDTypePolicy', config: { name: 'float32' }, registered_name: null };
    expectAsKeras(fromTfjsArtifacts(a), record('lstm_dense'), 'lstm_dense-h5 with Keras frames');
  });
});

describe('random mutations of the Keras 3 converter files (fast-check)', () => {
  const VALUES = [null, true, false, 0, -1, 2, 1e9, 0.5, 'x', 'float16', 'int32', 'my_pkg>X', [], {}, [null, 5, 3], { name: 'float32' }];
  /** Every [parent, key] of a JSON tree, depth first. */
  function slots(node: any, out: [any, string | number][] = []): [any, string | number][] {
    if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        out.push([node, Array.isArray(node) ? Number(key) : key]);
        slots(node[key], out);
      }
    }
    return out;
  }
  /** Each spec's bytes as float32 values, by name (the optimizer's int32 ones too, read as float32: only their identity matters). */
  function bytesBySpec(specs: any[], data: ArrayBuffer): Float32Array[] {
    const size: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1, bool: 1, complex64: 8 };
    const out: Float32Array[] = [];
    let at = 0;
    for (const s of specs) {
      const n = (Array.isArray(s?.shape) ? s.shape : []).reduce((a: number, d: number) => a * d, 1);
      const bytes = (size[s?.dtype ?? 'float32'] ?? 4) * n;
      if (s?.dtype === 'float32' || s?.dtype === undefined) out.push(new Float32Array(data.slice(at, at + bytes)));
      at += bytes;
    }
    return out;
  }

  for (const fixture of ['masked_stack-keras', 'stateful-h5']) {
    it(`${fixture}: refused with an error naming fromTfjsArtifacts, or loaded with the file's bytes`, () => {
      const base = artifactsOf(fixture);
      const baseText = JSON.stringify({ modelTopology: base.modelTopology, weightSpecs: base.weightSpecs });
      let refused = 0;
      fc.assert(
        fc.property(fc.nat(), fc.constantFrom('delete', 'set', 'rename'), fc.nat(VALUES.length - 1), (at, kind, v) => {
          const doc = JSON.parse(baseText);
          const all = slots(doc);
          const [parent, key] = all[at % all.length];
          if (kind === 'delete') {
            if (Array.isArray(parent)) parent.splice(key as number, 1);
            else delete parent[key];
          } else if (kind === 'set') {
            parent[key] = structuredClone(VALUES[v]);
          } else if (!Array.isArray(parent)) {
            parent[`${String(key)}_renamed`] = parent[key];
            delete parent[key];
          }
          let loaded: Sequential | undefined;
          try {
            loaded = fromTfjsArtifacts({ ...base, modelTopology: doc.modelTopology, weightSpecs: doc.weightSpecs });
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
            expect((error as Error).message).toMatch(/^fromTfjsArtifacts: \S/);
            refused++;
            return;
          }
          const candidates = bytesBySpec(doc.weightSpecs, base.weightData);
          loaded.getWeights().forEach((w, i) => {
            expect(candidates.some((c) => c.length === w.data.length && c.every((x, j) => Object.is(x, w.data[j]))), `weight ${i} (${loaded!.weightNames[i]}) holds a spec's bytes`).toBe(true);
          });
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: 250, seed: 25 },
      );
      expect(refused).toBeGreaterThan(0);
    });
  }
});
