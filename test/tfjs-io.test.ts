/**
 * The TF.js Layers format (src/io/tfjs.ts, and the file helpers in src/node.ts):
 *   1. a model saved here loads in TF.js (tf.loadLayersModel + tf.io.fromMemory) and predicts the
 *      same, within 1e-6: LSTM + Dense, stacked LSTMs, returnSequences, stateful;
 *   2. a model saved by TF.js's own model.save (to an in-memory handler) loads here and predicts
 *      the same, within 1e-6, for the same four kinds (with TF.js's own defaults, which differ
 *      from ours: hardSigmoid, glorotNormal, no unit forget bias);
 *   3. the Keras converter's form (model_config wrapper, InputLayer, tf.keras 2.x weight names
 *      lstm/lstm_cell/kernel, weights listed alphabetically), checked against TF.js reading the
 *      same artifacts;
 *   4. malformed or unsupported input is refused with an error naming what is wrong;
 *   5. model.json + .bin shards on disk: round trips through a temp dir, a model large enough for
 *      two 4 MiB shards, TF.js's own http loader reading our files, and broken files refused;
 *   6. masking: maskValue written as a Keras Masking layer in front of the LSTM and read back,
 *      bit for bit; TF.js predicts the same on masked input both ways, also where the mask goes
 *      on to a second LSTM and for a mask value float32 cannot hold; a Masking layer not directly
 *      before an LSTM is refused.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, LSTM, Sequential, Tensor } from '../src/index.js';
import { LSTM_TS_VERSION, TFJS_SHARD_BYTES, fromTfjsArtifacts, toTfjsArtifacts, type TfjsArtifactsInput } from '../src/io/tfjs.js';
import { loadTfjs, saveTfjs } from '../src/node.js';
import { expectNear, initTf, rng, tf, uniform } from './tfjs-helpers.js';

beforeAll(initTf);

const PREDICT_TOL = 1e-6;

/** Random weights (biases included) for every layer of our model. */
function randomize(model: Sequential, seed: number, scale = 0.5): Sequential {
  const next = rng(seed);
  model.build();
  model.setWeights(model.getWeights().map((w) => uniform([...w.shape], next, -scale, scale)));
  return model;
}

/** TF.js's own save, captured in memory (what tf.io.withSaveHandler hands over). */
async function saveFromTfjs(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return captured!;
}

function tfjsPredict(model: tf.LayersModel, x: Tensor): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x.data, [...x.shape], 'float32')) as tf.Tensor).dataSync() as Float32Array);
}

/** Our model, four kinds, each also exercising an option or two. */
const OURS: Record<string, () => { model: Sequential; batch: number; timeSteps: number; features: number }> = {
  'LSTM + Dense': () => ({
    model: new Sequential([
      new LSTM({ units: 6, inputShape: [5, 3] }),
      new Dense({ units: 3, activation: 'softmax' }),
    ]),
    batch: 4, timeSteps: 5, features: 3,
  }),
  'stacked LSTMs': () => ({
    model: new Sequential([
      new LSTM({ units: 5, inputShape: [4, 2], returnSequences: true, recurrentActivation: 'hardSigmoid' }),
      new LSTM({ units: 4, useBias: false, activation: 'relu' }),
      new Dense({ units: 1, activation: 'sigmoid', useBias: false }),
    ]),
    batch: 3, timeSteps: 4, features: 2,
  }),
  returnSequences: () => ({
    model: new Sequential([
      new LSTM({ units: 7, inputShape: [6, 4], returnSequences: true, kernelInitializer: 'glorotNormal', unitForgetBias: false }),
      new Dense({ units: 2, activation: 'tanh' }),
    ]),
    batch: 2, timeSteps: 6, features: 4,
  }),
  stateful: () => ({
    model: new Sequential([
      new LSTM({ units: 4, batchInputShape: [2, 3, 3], stateful: true, returnSequences: true }),
      new LSTM({ units: 3, stateful: true }),
      new Dense({ units: 2, activation: 'linear' }),
    ]),
    batch: 2, timeSteps: 3, features: 3,
  }),
};

describe('ours → TF.js: toTfjsArtifacts loads in tf.loadLayersModel and predicts the same', () => {
  it.each(Object.keys(OURS))('%s', async (kind) => {
    const { model, batch, timeSteps, features } = OURS[kind]();
    randomize(model, 1);
    const artifacts = toTfjsArtifacts(model);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    try {
      const next = rng(2);
      // Two consecutive batches: for the stateful model both engines carry the state into the second.
      for (let b = 0; b < 2; b++) {
        const x = uniform([batch, timeSteps, features], next);
        expectNear(model.predict(x).data, tfjsPredict(theirs, x), PREDICT_TOL, `${kind}, batch ${b + 1}`);
      }
      // TF.js read every option as written, not its own defaults.
      model.layers.forEach((layer, i) => {
        const config = theirs.layers[i].getConfig();
        const ours = layer.getConfig().config;
        expect(config.name).toBe(layer.name);
        if (layer instanceof LSTM) {
          expect(config.recurrentActivation).toBe(ours.recurrentActivation);
          expect(config.unitForgetBias).toBe(ours.unitForgetBias);
          expect(config.returnSequences).toBe(ours.returnSequences);
          expect(config.stateful).toBe(ours.stateful);
          expect(config.useBias).toBe(ours.useBias);
        }
      });
    } finally {
      theirs.dispose();
    }
  });

  it('writes the ModelArtifacts fields TF.js expects, weights byte for byte in getWeights() order', () => {
    const { model } = OURS['LSTM + Dense']();
    randomize(model, 3);
    const artifacts = toTfjsArtifacts(model);
    expect(artifacts.format).toBe('layers-model');
    expect(artifacts.generatedBy).toBe(`lstm-ts ${LSTM_TS_VERSION}`);
    expect(artifacts.convertedBy).toBeNull();
    expect(artifacts.modelTopology.class_name).toBe('Sequential');
    const [lstm, dense] = artifacts.modelTopology.config.layers;
    expect(lstm.class_name).toBe('LSTM');
    expect(lstm.config).toMatchObject({
      batch_input_shape: [null, 5, 3], units: 6, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform' }, recurrent_initializer: { class_name: 'Orthogonal' },
      bias_initializer: { class_name: 'Zeros' }, unit_forget_bias: true, return_sequences: false, stateful: false,
      dropout: 0, recurrent_dropout: 0, go_backwards: false, return_state: false,
    });
    expect(dense.config).toMatchObject({ units: 3, activation: 'softmax', use_bias: true });
    expect(artifacts.weightSpecs).toEqual([
      { name: `${model.layers[0].name}/kernel`, shape: [3, 24], dtype: 'float32' },
      { name: `${model.layers[0].name}/recurrent_kernel`, shape: [6, 24], dtype: 'float32' },
      { name: `${model.layers[0].name}/bias`, shape: [24], dtype: 'float32' },
      { name: `${model.layers[1].name}/kernel`, shape: [6, 3], dtype: 'float32' },
      { name: `${model.layers[1].name}/bias`, shape: [3], dtype: 'float32' },
    ]);
    const view = new DataView(artifacts.weightData);
    const flat = model.getWeights().flatMap((w) => Array.from(w.data));
    expect(artifacts.weightData.byteLength).toBe(flat.length * 4);
    flat.forEach((v, i) => expect(view.getFloat32(i * 4, true)).toBe(v));
  });

  it('the package version in generatedBy is package.json\'s', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(LSTM_TS_VERSION).toBe(pkg.version);
  });

  it('a float64 model is written as float32', async () => {
    const model = randomize(new Sequential([new LSTM({ units: 3, inputShape: [2, 2] }), new Dense({ units: 1 })], { dtype: 'float64' }), 4);
    const artifacts = toTfjsArtifacts(model);
    expect(artifacts.weightData.byteLength).toBe(model.countParams() * 4);
    const back = fromTfjsArtifacts(artifacts);
    back.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(Float32Array.from(model.getWeights()[i].data))));
  });

  it('refuses an unbuilt model, and a layer name TF.js cannot carry, naming the problem', () => {
    expect(() => toTfjsArtifacts(new Sequential([new LSTM({ units: 2 })]))).toThrow(/toTfjsArtifacts: .*input shape is unknown/);
    const slashed = new Sequential([new LSTM({ units: 2, inputShape: [2, 2], name: 'a/b' })]);
    expect(() => toTfjsArtifacts(slashed)).toThrow(/layer name 'a\/b' contains '\/'/);
    expect(() => toTfjsArtifacts({} as Sequential)).toThrow(/expected a Sequential model/);
  });
});

// ---------------------------------------------------------------------------------------------

/** TF.js models as a TF.js user writes them (TF.js defaults wherever an option is not given). */
const THEIRS: Record<string, () => { model: tf.Sequential; batch: number; timeSteps: number; features: number }> = {
  'LSTM + Dense': () => {
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 6, inputShape: [5, 3] })); // TF.js defaults: hardSigmoid, glorotNormal, no unit forget bias
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    return { model, batch: 4, timeSteps: 5, features: 3 };
  },
  'stacked LSTMs': () => {
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 5, inputShape: [4, 2], returnSequences: true, recurrentActivation: 'sigmoid', unitForgetBias: true }));
    model.add(tf.layers.lstm({ units: 4, useBias: false, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    return { model, batch: 3, timeSteps: 4, features: 2 };
  },
  returnSequences: () => {
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 7, inputShape: [6, 4], returnSequences: true }));
    model.add(tf.layers.dense({ units: 2, activation: 'tanh', useBias: false }));
    return { model, batch: 2, timeSteps: 6, features: 4 };
  },
  stateful: () => {
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 4, batchInputShape: [2, 3, 3], stateful: true, returnSequences: true }));
    model.add(tf.layers.lstm({ units: 3, stateful: true, recurrentActivation: 'sigmoid' }));
    model.add(tf.layers.dense({ units: 2 }));
    return { model, batch: 2, timeSteps: 3, features: 3 };
  },
};

describe('TF.js → ours: artifacts from TF.js\'s own model.save load here and predict the same', () => {
  it.each(Object.keys(THEIRS))('%s', async (kind) => {
    const { model: theirs, batch, timeSteps, features } = THEIRS[kind]();
    try {
      // Random weights everywhere (TF.js starts its biases at zero).
      const next = rng(5);
      theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(uniform([...w.shape], next, -0.5, 0.5).data, w.shape)));
      const artifacts = await saveFromTfjs(theirs);
      const ours = fromTfjsArtifacts(artifacts);
      expect(ours.weightNames).toEqual(theirs.layers.flatMap((l) => l.weights.map((w) => w.originalName)));
      for (let b = 0; b < 2; b++) {
        const x = uniform([batch, timeSteps, features], next);
        expectNear(ours.predict(x).data, tfjsPredict(theirs, x), PREDICT_TOL, `${kind}, batch ${b + 1}`);
      }
      // TF.js's defaults arrived as TF.js meant them.
      const first = ours.layers[0] as LSTM;
      const tfFirst = theirs.layers[0].getConfig();
      expect(first.recurrentActivation).toBe(tfFirst.recurrentActivation === 'hardSigmoid' ? 'hardSigmoid' : 'sigmoid');
      expect(first.unitForgetBias).toBe(tfFirst.unitForgetBias === true);
      expect(first.stateful).toBe(kind === 'stateful');
    } finally {
      theirs.dispose();
    }
  });

  it('TF.js defaults: hardSigmoid gates, glorotNormal kernel, no unit forget bias', async () => {
    const { model: theirs } = THEIRS['LSTM + Dense']();
    try {
      const ours = fromTfjsArtifacts(await saveFromTfjs(theirs));
      const lstm = ours.layers[0] as LSTM;
      expect([lstm.recurrentActivation, lstm.kernelInitializer, lstm.recurrentInitializer, lstm.unitForgetBias]).toEqual(['hardSigmoid', 'glorotNormal', 'orthogonal', false]);
    } finally {
      theirs.dispose();
    }
  });

  it('goBackwards both ways: a TF.js LSTM reading backwards loads here and predicts the same, and ours loads in TF.js', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 5, inputShape: [4, 3], goBackwards: true, returnSequences: true, recurrentActivation: 'sigmoid' }),
        tf.layers.lstm({ units: 4, goBackwards: true, recurrentActivation: 'sigmoid' }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    const next = rng(31);
    theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(uniform([...w.shape], next, -0.5, 0.5).data, [...w.shape])));
    try {
      const ours = fromTfjsArtifacts(await saveFromTfjs(theirs));
      expect(ours.layers.slice(0, 2).map((l) => (l as LSTM).goBackwards)).toEqual([true, true]);
      const x = new Tensor(Float32Array.from({ length: 2 * 4 * 3 }, () => next() * 2 - 1), [2, 4, 3]);
      expectNear(ours.predict(x).data, tfjsPredict(theirs, x), 1e-6, 'ours vs TF.js');
      const back = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(ours)));
      try {
        expectNear(tfjsPredict(back, x), tfjsPredict(theirs, x), 0, 'TF.js from ours vs TF.js');
      } finally {
        back.dispose();
      }
    } finally {
      theirs.dispose();
    }
  });

  it('ours → TF.js → TF.js save → ours keeps every weight bit for bit and every option', async () => {
    const { model } = OURS.stateful();
    randomize(model, 6);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(model)));
    try {
      const back = fromTfjsArtifacts(await saveFromTfjs(theirs));
      expect(back.weightNames).toEqual(model.weightNames);
      back.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(model.getWeights()[i].data)));
      expect(back.layers.map((l) => ({ ...l.getConfig().config, name: undefined }))).toEqual(model.layers.map((l) => ({ ...l.getConfig().config, name: undefined })));
      expect(back.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    } finally {
      theirs.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * A model.json as the TF.js converter writes one for a tf.keras 2.15 model (hand-written here in
 * that layout: `tensorflowjs_converter --input_format keras model.h5 out/` of
 *   Sequential([LSTM(3, return_sequences=True, input_shape=(4, 2)), LSTM(2), Dense(2, activation='softmax')])
 * ): the model_config wrapper, an InputLayer, initializers with module / registered_name, the
 * cell name inside the LSTM weight names, and the weights listed alphabetically.
 */
function kerasConverterArtifacts(next: () => number): { artifacts: TfjsArtifactsInput; values: Record<string, Float32Array> } {
  const init = (cls: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name: cls, config, registered_name: null });
  const lstm = (name: string, units: number, returnSequences: boolean, extra: Record<string, unknown> = {}) => ({
    class_name: 'LSTM',
    config: {
      name, trainable: true, dtype: 'float32', ...extra, return_sequences: returnSequences, return_state: false, go_backwards: false,
      stateful: false, unroll: false, time_major: false, units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
      kernel_initializer: init('GlorotUniform', { seed: null }), recurrent_initializer: init('Orthogonal', { gain: 1.0, seed: null }),
      bias_initializer: init('Zeros'), unit_forget_bias: true, kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null,
      activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, dropout: 0.0,
      recurrent_dropout: 0.0, implementation: 2,
    },
  });
  const modelTopology = {
    keras_version: '2.15.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 4, 2], dtype: 'float32', sparse: false, ragged: false, name: 'lstm_input' } },
          lstm('lstm', 3, true, { batch_input_shape: [null, 4, 2] }),
          lstm('lstm_1', 2, false),
          {
            class_name: 'Dense',
            config: {
              name: 'dense', trainable: true, dtype: 'float32', units: 2, activation: 'softmax', use_bias: true,
              kernel_initializer: init('GlorotUniform', { seed: null }), bias_initializer: init('Zeros'), kernel_regularizer: null,
              bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
            },
          },
        ],
      },
    },
    training_config: { loss: 'categorical_crossentropy', metrics: ['accuracy'], optimizer_config: { class_name: 'Custom>Adam', config: { name: 'Adam', learning_rate: 0.001 } } },
  };
  const weightSpecs = [
    { name: 'dense/bias', shape: [2], dtype: 'float32' },
    { name: 'dense/kernel', shape: [2, 2], dtype: 'float32' },
    { name: 'lstm/lstm_cell/bias', shape: [12], dtype: 'float32' },
    { name: 'lstm/lstm_cell/kernel', shape: [2, 12], dtype: 'float32' },
    { name: 'lstm/lstm_cell/recurrent_kernel', shape: [3, 12], dtype: 'float32' },
    { name: 'lstm_1/lstm_cell/bias', shape: [8], dtype: 'float32' },
    { name: 'lstm_1/lstm_cell/kernel', shape: [3, 8], dtype: 'float32' },
    { name: 'lstm_1/lstm_cell/recurrent_kernel', shape: [2, 8], dtype: 'float32' },
  ];
  const values: Record<string, Float32Array> = {};
  for (const spec of weightSpecs) values[spec.name] = uniform(spec.shape, next, -0.5, 0.5).data as Float32Array;
  const weightData = new Float32Array(weightSpecs.flatMap((s) => Array.from(values[s.name])));
  return {
    artifacts: { format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.17.0', modelTopology, weightSpecs, weightData: weightData.buffer },
    values,
  };
}

describe('the Keras converter form', () => {
  it('loads: model_config, InputLayer, lstm/lstm_cell/kernel names in alphabetical order; predicts as TF.js does', async () => {
    const next = rng(7);
    const { artifacts, values } = kerasConverterArtifacts(next);
    const ours = fromTfjsArtifacts(artifacts);
    expect(ours.name).toBe('sequential');
    expect(ours.layers.map((l) => l.name)).toEqual(['lstm', 'lstm_1', 'dense']);
    expect(ours.inputShape).toEqual([null, 4, 2]);
    const byName: Record<string, string> = {
      'lstm/kernel': 'lstm/lstm_cell/kernel', 'lstm/recurrent_kernel': 'lstm/lstm_cell/recurrent_kernel', 'lstm/bias': 'lstm/lstm_cell/bias',
      'lstm_1/kernel': 'lstm_1/lstm_cell/kernel', 'lstm_1/recurrent_kernel': 'lstm_1/lstm_cell/recurrent_kernel', 'lstm_1/bias': 'lstm_1/lstm_cell/bias',
      'dense/kernel': 'dense/kernel', 'dense/bias': 'dense/bias',
    };
    const weights = ours.getWeights();
    ours.weightNames.forEach((n, i) => expect(Array.from(weights[i].data), n).toEqual(Array.from(values[byName[n]])));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    try {
      const x = uniform([3, 4, 2], next);
      expectNear(ours.predict(x).data, tfjsPredict(theirs, x), PREDICT_TOL, 'keras converter form');
    } finally {
      theirs.dispose();
    }
  });

  it('accepts Keras 2.0\'s bare layer list and a weight name with a :0 suffix', () => {
    const { artifacts } = kerasConverterArtifacts(rng(8));
    const topology = structuredClone(artifacts.modelTopology) as { model_config: { config: { layers: unknown[] } | unknown[] } };
    topology.model_config.config = (topology.model_config.config as { layers: unknown[] }).layers;
    const specs = (artifacts.weightSpecs as { name: string }[]).map((s) => ({ ...s, name: s.name === 'dense/bias' ? 'dense/bias:0' : s.name }));
    const model = fromTfjsArtifacts({ ...artifacts, modelTopology: topology, weightSpecs: specs });
    expect(model.weightNames).toContain('dense/bias');
  });
});

// ---------------------------------------------------------------------------------------------

/** The converter's artifacts, with their layer list exposed for editing. */
function baseConverterArtifacts(): { artifacts: TfjsArtifactsInput; layers: { class_name: string; config: Record<string, unknown> }[] } {
  const { artifacts } = kerasConverterArtifacts(rng(9));
  const copy = { ...artifacts, modelTopology: structuredClone(artifacts.modelTopology) };
  const layers = (copy.modelTopology as { model_config: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } }).model_config.config.layers;
  return { artifacts: copy, layers };
}

describe('refusals, each naming what is wrong', () => {
  const base = baseConverterArtifacts;

  it.each([
    ['recurrent_dropout', 0.1, /recurrent_dropout is 0.1/],
    ['return_state', true, /return_state is true/],
    ['kernel_regularizer', { class_name: 'L2', config: { l2: 0.01 } }, /kernel_regularizer is .*L2.*regularizers and constraints are not supported/],
    ['trainable', false, /trainable is false; .*frozen layers/],
    ['dtype', 'float16', /dtype is "float16"; .*float32 only/],
    ['time_major', true, /time_major is true/],
    ['mystery_option', 1, /unsupported config field\(s\) 'mystery_option'/],
    ['kernel_initializer', { class_name: 'HeNormal', config: {} }, /kernel_initializer: initializer 'HeNormal' is not one lstm-ts implements/],
    ['recurrent_initializer', { class_name: 'Orthogonal', config: { gain: 2 } }, /Orthogonal with gain 2/],
    ['activation', 'selu', /layers\[1\] \(LSTM 'lstm'\): .*activation.*"selu"/],
    ['recurrent_activation', undefined, /recurrent_activation is missing/],
  ])('an LSTM option %s = %j', (key, value, message) => {
    const { artifacts, layers } = base();
    if (value === undefined) delete layers[1].config[key];
    else layers[1].config[key] = value;
    expect(() => fromTfjsArtifacts(artifacts)).toThrow(message);
  });

  it('unsupported layers, by class and name', () => {
    const { artifacts, layers } = base();
    // (Dropout was the example here until lstm-ts read it: a Lambda holds custom code, which lstm-ts never reads.)
    layers.splice(2, 0, { class_name: 'Lambda', config: { name: 'lambda' } });
    expect(() => fromTfjsArtifacts(artifacts)).toThrow(/layers\[2\] \(Lambda 'lambda'\): unsupported layer class 'Lambda'; lstm-ts reads LSTM, GRU, SimpleRNN, Bidirectional, .*Dense.* layers/);
    // Bidirectional is read (test/bidirectional-tfjs-agreement.test.ts); an LSTM's config under its name is refused by what is missing.
    const bidirectional = base();
    bidirectional.layers[2].class_name = 'Bidirectional';
    expect(() => fromTfjsArtifacts(bidirectional.artifacts)).toThrow(/layers\[2\] \(Bidirectional '[^']+'\)\.layer: expected a layer config \{ class_name, config \}, got undefined/);
  });

  it('hard_sigmoid is read by the Keras version that wrote the file: Keras 3\'s relu6(x + 3) / 6 is hardSigmoidKeras3, Keras 2\'s is hardSigmoid', () => {
    const keras2 = base();
    keras2.layers[1].config.recurrent_activation = 'hard_sigmoid';
    expect((fromTfjsArtifacts(keras2.artifacts).layers[0] as LSTM).recurrentActivation).toBe('hardSigmoid');
    const keras3 = base();
    (keras3.artifacts.modelTopology as { keras_version: string }).keras_version = '3.3.3';
    keras3.layers[1].config.recurrent_activation = 'hard_sigmoid';
    keras3.layers[keras3.layers.length - 1].config.activation = 'hard_sigmoid'; // the Dense
    const model = fromTfjsArtifacts(keras3.artifacts);
    expect((model.layers[0] as LSTM).recurrentActivation).toBe('hardSigmoidKeras3');
    expect((model.layers[model.layers.length - 1] as Dense).activation).toBe('hardSigmoidKeras3');
  });

  it('models that are not Sequential Layers models', () => {
    const { artifacts } = base();
    expect(() => fromTfjsArtifacts({ ...artifacts, format: 'graph-model' })).toThrow(/graph model .*--input_format keras/);
    const functional = base();
    (functional.artifacts.modelTopology as { model_config: { class_name: string } }).model_config.class_name = 'Functional';
    expect(() => fromTfjsArtifacts(functional.artifacts)).toThrow(/reads Sequential models, got "Functional" \(a functional model/);
    expect(() => fromTfjsArtifacts({ ...artifacts, modelTopology: new ArrayBuffer(8) })).toThrow(/binary data/);
    expect(() => fromTfjsArtifacts({ ...artifacts, modelTopology: undefined })).toThrow(/modelTopology: expected a Keras model config/);
    expect(() => fromTfjsArtifacts(null as unknown as TfjsArtifactsInput)).toThrow(/expected TF.js ModelArtifacts/);
  });

  it('weights: missing, extra, misshapen, duplicated, wrong byte count, quantized, not float32', () => {
    const { artifacts } = base();
    const specs = artifacts.weightSpecs as { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
    const data = artifacts.weightData as ArrayBuffer;
    const dropLast = { ...artifacts, weightSpecs: specs.slice(0, -1), weightData: data.slice(0, data.byteLength - 2 * 8 * 4) };
    expect(() => fromTfjsArtifacts(dropLast)).toThrow(/no weight named 'lstm_1\/recurrent_kernel'.*the artifacts hold 'dense\/bias'/);
    const extra = { ...artifacts, weightSpecs: [...specs, { name: 'dense_9/kernel', shape: [1], dtype: 'float32' }], weightData: concat(data, new ArrayBuffer(4)) };
    expect(() => fromTfjsArtifacts(extra)).toThrow(/1 weight\(s\) belong to no weight of the model: 'dense_9\/kernel'/);
    const swapped = { ...artifacts, weightSpecs: specs.map((s) => (s.name === 'dense/kernel' ? { ...s, shape: [4, 1] } : s)) };
    expect(() => fromTfjsArtifacts(swapped)).toThrow(/weight 'dense\/kernel' has shape \[4, 1\], but layer dense as configured needs dense\/kernel of shape \[2, 2\]/);
    const twice = { ...artifacts, weightSpecs: specs.map((s) => (s.name === 'dense/bias' ? { ...s, name: 'dense/kernel', shape: [2] } : s)) };
    expect(() => fromTfjsArtifacts(twice)).toThrow(/name the weight 'dense\/kernel' twice/);
    expect(() => fromTfjsArtifacts({ ...artifacts, weightData: data.slice(0, data.byteLength - 4) })).toThrow(/weightData holds \d+ bytes, but weightSpecs describe 8 float32 weights of \d+ bytes \(truncated/);
    expect(() => fromTfjsArtifacts({ ...artifacts, weightData: concat(data, new ArrayBuffer(4)) })).toThrow(/too long/);
    const quantized = { ...artifacts, weightSpecs: specs.map((s, i) => (i === 0 ? { ...s, quantization: { dtype: 'uint8', scale: 1, min: 0 } } : s)) };
    expect(() => fromTfjsArtifacts(quantized)).toThrow(/quantized weights .* not supported/);
    const ints = { ...artifacts, weightSpecs: specs.map((s, i) => (i === 0 ? { ...s, dtype: 'int32' } : s)) };
    expect(() => fromTfjsArtifacts(ints)).toThrow(/weightSpecs\[0\]\.dtype \(dense\/bias\): expected 'float32', got "int32"/);
    expect(() => fromTfjsArtifacts({ ...artifacts, weightData: 'abc' })).toThrow(/weightData: expected an ArrayBuffer/);
  });

  it('weightData as TF.js may hand it over: a list of ArrayBuffers, or a typed array', () => {
    const { artifacts } = base();
    const data = artifacts.weightData as ArrayBuffer;
    const split = [data.slice(0, 12), data.slice(12)];
    const a = fromTfjsArtifacts({ ...artifacts, weightData: split }).getWeights();
    const b = fromTfjsArtifacts({ ...artifacts, weightData: new Uint8Array(data) }).getWeights();
    a.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(b[i].data)));
  });
});

function concat(a: ArrayBuffer, b: ArrayBuffer): ArrayBuffer {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(new Uint8Array(a), 0);
  out.set(new Uint8Array(b), a.byteLength);
  return out.buffer;
}

// ---------------------------------------------------------------------------------------------

/**
 * [B, T, I] values in [-1, 1), then the listed [sample, step] pairs overwritten with maskValue
 * (every feature of the step: a masked step).
 */
function withMaskedSteps(shape: [number, number, number], steps: [number, number][], maskValue: number, next: () => number): Tensor {
  const [, T, I] = shape;
  const x = uniform(shape, next);
  for (const [b, t] of steps) x.data.fill(maskValue, (b * T + t) * I, (b * T + t + 1) * I);
  return x;
}

/** Pre-padding: sample b's first pads[b] steps masked. */
function prePadded(shape: [number, number, number], pads: number[], maskValue: number, next: () => number, extra: [number, number][] = []): Tensor {
  const steps = pads.flatMap((pad, b) => Array.from({ length: pad }, (_, t): [number, number] => [b, t]));
  return withMaskedSteps(shape, [...steps, ...extra], maskValue, next);
}

/** The same artifacts with every Masking layer left out (its input shape moved to the next layer). */
function withoutMasking(artifacts: TfjsArtifactsInput): TfjsArtifactsInput {
  const topology = structuredClone(artifacts.modelTopology) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const layers = topology.config.layers;
  topology.config.layers = layers.filter((l, i) => {
    if (l.class_name !== 'Masking') return true;
    if (l.config.batch_input_shape !== undefined) layers[i + 1].config.batch_input_shape = l.config.batch_input_shape;
    return false;
  });
  return { ...artifacts, modelTopology: topology };
}

/**
 * Our masked models. In 'second' models the first LSTM has no bias, so a step of zeros from the
 * zero state gives h = 0 exactly, and the second LSTM's maskValue 0 masks the pre-padded steps.
 */
const MASKED: Record<string, () => { model: Sequential; x: (next: () => number) => Tensor; maskValues: (number | null)[] }> = {
  'masked LSTM first, returnSequences false': () => ({
    model: new Sequential([new LSTM({ units: 6, inputShape: [5, 3], maskValue: -1 }), new Dense({ units: 3, activation: 'softmax' })]),
    x: (next) => prePadded([4, 5, 3], [0, 2, 4, 1], -1, next, [[3, 3]]),
    maskValues: [-1, null],
  }),
  'masked LSTM first, returnSequences true': () => ({
    model: new Sequential([new LSTM({ units: 6, inputShape: [5, 3], maskValue: 0, returnSequences: true }), new Dense({ units: 2, activation: 'tanh' })]),
    x: (next) => prePadded([3, 5, 3], [3, 0, 1], 0, next, [[1, 2]]),
    maskValues: [0, null],
  }),
  'two LSTMs, the second masked, returnSequences false': () => ({
    model: new Sequential([
      new LSTM({ units: 5, inputShape: [6, 2], useBias: false, returnSequences: true }),
      new LSTM({ units: 4, maskValue: 0 }),
    ]),
    x: (next) => prePadded([3, 6, 2], [4, 1, 0], 0, next),
    maskValues: [null, 0],
  }),
  'two LSTMs, the second masked, returnSequences true': () => ({
    model: new Sequential([
      new LSTM({ units: 5, inputShape: [6, 2], useBias: false, returnSequences: true }),
      new LSTM({ units: 4, maskValue: 0, returnSequences: true }),
      new Dense({ units: 1 }),
    ]),
    x: (next) => prePadded([3, 6, 2], [4, 1, 0], 0, next),
    maskValues: [null, 0, null],
  }),
  'two LSTMs, both masked (a Masking layer in front of each)': () => ({
    model: new Sequential([
      new LSTM({ units: 5, inputShape: [6, 2], maskValue: 0.5, returnSequences: true }),
      new LSTM({ units: 3, maskValue: 0 }),
    ]),
    x: (next) => prePadded([2, 6, 2], [3, 0], 0.5, next, [[1, 4]]),
    maskValues: [0.5, 0],
  }),
  'a mask passed on through Dense to a second LSTM without a maskValue': () => ({
    model: new Sequential([
      new LSTM({ units: 5, inputShape: [6, 2], maskValue: 0, returnSequences: true }),
      new Dense({ units: 3, activation: 'tanh' }),
      new LSTM({ units: 4, returnSequences: true }),
    ]),
    x: (next) => prePadded([3, 6, 2], [2, 0, 4], 0, next, [[1, 3]]), // [1, 3]: masked mid-sequence, the second LSTM carries its state over it
    maskValues: [0, null, null],
  }),
  'maskValue 0.1, which float32 cannot hold (both compare the float32 inputs with 0.1f)': () => ({
    model: new Sequential([new LSTM({ units: 4, inputShape: [5, 2], maskValue: 0.1 }), new Dense({ units: 2 })]),
    x: (next) => prePadded([3, 5, 2], [1, 3, 0], 0.1, next),
    maskValues: [0.1, null],
  }),
  'stateful, masked': () => ({
    model: new Sequential([
      new LSTM({ units: 4, batchInputShape: [2, 5, 3], stateful: true, maskValue: -1, returnSequences: true }),
      new Dense({ units: 2 }),
    ]),
    x: (next) => prePadded([2, 5, 3], [2, 0], -1, next, [[1, 3]]),
    maskValues: [-1, null],
  }),
};

describe('masking: maskValue ↔ a Keras Masking layer in front of the LSTM', () => {
  it.each(Object.keys(MASKED))('round trip ours → artifacts → ours keeps maskValue, weights and predictions bit for bit: %s', (kind) => {
    const { model, x, maskValues } = MASKED[kind]();
    randomize(model, 21);
    const artifacts = toTfjsArtifacts(model);
    const back = fromTfjsArtifacts(artifacts);
    expect(back.layers.map((l) => (l instanceof LSTM ? l.maskValue : null))).toEqual(maskValues);
    expect(back.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(back.inputShape).toEqual(model.inputShape);
    back.getWeights().forEach((w, i) => expect(Array.from(w.data), back.weightNames[i]).toEqual(Array.from(model.getWeights()[i].data)));
    const input = x(rng(22));
    const expected = model.predict(input).data;
    expect(Array.from(back.predict(input).data)).toEqual(Array.from(expected));
    // The mask matters here: the same model without it predicts something else.
    const unmasked = fromTfjsArtifacts(withoutMasking(artifacts));
    expect(Array.from(unmasked.predict(input).data)).not.toEqual(Array.from(expected));
  });

  it.each(Object.keys(MASKED))('ours → TF.js predicts the same on masked input, and the JSON holds a Masking layer with mask_value: %s', async (kind) => {
    const { model, x, maskValues } = MASKED[kind]();
    randomize(model, 23);
    const artifacts = toTfjsArtifacts(model);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    try {
      const next = rng(24);
      for (let b = 0; b < 2; b++) {
        const input = x(next); // two batches: a stateful model carries its state into the second
        expectNear(model.predict(input).data, tfjsPredict(theirs, input), PREDICT_TOL, `${kind}, batch ${b + 1}`);
      }
      // Our JSON: a Masking layer right before each masked LSTM, holding the input shape when first.
      const expectedClasses = model.layers.flatMap((l, i) => (maskValues[i] === null ? [] : ['Masking']).concat(l instanceof LSTM ? 'LSTM' : 'Dense'));
      const written = artifacts.modelTopology.config.layers;
      expect(written.map((l) => l.class_name)).toEqual(expectedClasses);
      expect(theirs.layers.map((l) => l.getClassName())).toEqual(expectedClasses);
      model.layers.forEach((layer, i) => {
        if (maskValues[i] === null) return;
        const k = written.findIndex((l) => l.config.name === layer.name);
        expect(written[k - 1]).toEqual({
          class_name: 'Masking',
          config: { name: `${layer.name}_masking`, trainable: true, dtype: 'float32', ...(i === 0 ? { batch_input_shape: model.inputShape } : {}), mask_value: maskValues[i] },
        });
        expect(written[k].config.batch_input_shape).toBeUndefined();
      });
      expect(artifacts.weightSpecs.map((w) => w.name)).toEqual(model.weightNames); // Masking has no weights
      // TF.js's own save writes the Masking layers with their mask_value.
      const saved = (await saveFromTfjs(theirs)).modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      const maskings = saved.config.layers.filter((l) => l.class_name === 'Masking');
      expect(maskings.map((l) => l.config.mask_value)).toEqual(maskValues.filter((v) => v !== null));
    } finally {
      theirs.dispose();
    }
  });

  /** TF.js models with Masking, as a TF.js user writes them. */
  const THEIRS_MASKED: Record<string, () => { model: tf.Sequential; x: (next: () => number) => Tensor; maskValues: (number | null)[] }> = {
    'masking + lstm + dense': () => {
      const model = tf.sequential();
      model.add(tf.layers.masking({ maskValue: -1, inputShape: [5, 3] }));
      model.add(tf.layers.lstm({ units: 4 }));
      model.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
      return { model, x: (next) => prePadded([3, 5, 3], [2, 0, 4], -1, next, [[1, 2]]), maskValues: [-1, null] };
    },
    'masking + lstm (returnSequences) + dense': () => {
      const model = tf.sequential();
      model.add(tf.layers.masking({ maskValue: 0, inputShape: [5, 3] }));
      model.add(tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }));
      model.add(tf.layers.dense({ units: 2 }));
      return { model, x: (next) => prePadded([3, 5, 3], [2, 0, 4], 0, next, [[1, 2]]), maskValues: [0, null] };
    },
    'masking + lstm (returnSequences) + masking + lstm, mask_value 0.1 (not a float32)': () => {
      const model = tf.sequential();
      model.add(tf.layers.masking({ maskValue: 0.1, inputShape: [6, 2] }));
      model.add(tf.layers.lstm({ units: 4, returnSequences: true }));
      model.add(tf.layers.masking({ maskValue: 0 }));
      model.add(tf.layers.lstm({ units: 3 }));
      return { model, x: (next) => prePadded([2, 6, 2], [3, 0], 0.1, next, [[1, 4]]), maskValues: [0.1, 0] };
    },
    'masking + lstm (returnSequences) + dense + lstm: the mask reaches the second LSTM': () => {
      const model = tf.sequential();
      model.add(tf.layers.masking({ maskValue: -1, inputShape: [6, 3] }));
      model.add(tf.layers.lstm({ units: 4, returnSequences: true }));
      model.add(tf.layers.dense({ units: 3, activation: 'tanh' }));
      model.add(tf.layers.lstm({ units: 3, returnSequences: true }));
      return { model, x: (next) => prePadded([3, 6, 3], [2, 0, 5], -1, next, [[1, 2]]), maskValues: [-1, null, null] };
    },
  };

  it.each(Object.keys(THEIRS_MASKED))('TF.js → ours: %s loads as LSTMs with maskValue and predicts the same', async (kind) => {
    const { model: theirs, x, maskValues } = THEIRS_MASKED[kind]();
    try {
      const next = rng(25);
      theirs.setWeights(theirs.getWeights().map((w) => tf.tensor(uniform([...w.shape], next, -0.5, 0.5).data, w.shape)));
      const ours = fromTfjsArtifacts(await saveFromTfjs(theirs));
      const input = x(next);
      expectNear(ours.predict(input).data, tfjsPredict(theirs, input), PREDICT_TOL, kind);
      expect(ours.layers.map((l) => (l instanceof LSTM ? l.maskValue : null))).toEqual(maskValues);
      expect(ours.inputShape).toEqual(theirs.layers[0].batchInputShape);
      expect(ours.weightNames).toEqual(theirs.layers.flatMap((l) => l.weights.map((w) => w.originalName)));
    } finally {
      theirs.dispose();
    }
  });

  it('refuses a Masking layer not directly followed by an LSTM, naming it, what followed, and what is supported', () => {
    const masking = { class_name: 'Masking', config: { name: 'masking', trainable: true, dtype: 'float32', mask_value: 0 } };
    const beforeDense = baseConverterArtifacts();
    beforeDense.layers.splice(3, 0, structuredClone(masking));
    expect(() => fromTfjsArtifacts(beforeDense.artifacts)).toThrow(/layers\[3\] \(Masking 'masking'\): a Masking layer must be directly followed by a recurrent layer \(LSTM, GRU, SimpleRNN or Bidirectional\) \(lstm-ts reads the pair as one recurrent layer with its maskValue = mask_value\), got layers\[4\], Dense 'dense'/);
    const last = baseConverterArtifacts();
    last.layers.push(structuredClone(masking));
    expect(() => fromTfjsArtifacts(last.artifacts)).toThrow(/layers\[4\] \(Masking 'masking'\): a Masking layer must be directly followed by a recurrent layer .*got nothing: it is the last layer/);
    const twice = baseConverterArtifacts();
    twice.layers.splice(1, 0, structuredClone(masking), { ...structuredClone(masking), config: { ...masking.config, name: 'masking_1' } });
    expect(() => fromTfjsArtifacts(twice.artifacts)).toThrow(/\(Masking 'masking'\): .*got layers\[2\], Masking 'masking_1'/);
    const badValue = baseConverterArtifacts();
    badValue.layers.splice(1, 0, { ...masking, config: { ...masking.config, mask_value: 'pad' } });
    expect(() => fromTfjsArtifacts(badValue.artifacts)).toThrow(/layers\[1\] \(Masking 'masking'\): mask_value: expected a finite number .*got "pad"/);
    const unknown = baseConverterArtifacts();
    unknown.layers.splice(1, 0, { ...masking, config: { ...masking.config, mystery: 1 } });
    expect(() => fromTfjsArtifacts(unknown.artifacts)).toThrow(/\(Masking 'masking'\): unsupported config field\(s\) 'mystery'/);
  });

  it('picks a free name for the Masking layer', () => {
    const taken = new Sequential([
      new LSTM({ name: 'a', units: 2, inputShape: [3, 2], maskValue: Math.fround(0.1), returnSequences: true }),
      new Dense({ name: 'a_masking', units: 2 }),
    ]);
    const names = toTfjsArtifacts(taken).modelTopology.config.layers.map((l) => l.config.name);
    expect(names).toEqual(['a_masking_2', 'a', 'a_masking']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('files: saveTfjs / loadTfjs (model.json + .bin shards)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lstm-ts-tfjs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** TF.js's own http loader, reading our files from disk through a fetch stand-in. */
  async function loadWithTfjs(modelJsonPath: string): Promise<tf.LayersModel> {
    const fetchFunc = async (url: string | URL | Request): Promise<Response> => {
      const path = decodeURIComponent(new URL(String(url)).pathname);
      return new Response(await readFile(path), { status: 200 });
    };
    return tf.loadLayersModel(tf.io.http(`file://${modelJsonPath}`, { fetchFunc }));
  }

  it('round trips through a directory, and TF.js reads the same files', async () => {
    const { model, batch, timeSteps, features } = OURS['stacked LSTMs']();
    randomize(model, 10);
    const out = join(dir, 'small');
    await saveTfjs(model, out);
    expect((await readdir(out)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toEqual([{ paths: ['group1-shard1of1.bin'], weights: toTfjsArtifacts(model).weightSpecs }]);

    const back = await loadTfjs(join(out, 'model.json'));
    back.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(model.getWeights()[i].data)));
    const x = uniform([batch, timeSteps, features], rng(11));
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));

    const theirs = await loadWithTfjs(join(out, 'model.json'));
    try {
      expectNear(model.predict(x).data, tfjsPredict(theirs, x), PREDICT_TOL, 'TF.js reading our files');
    } finally {
      theirs.dispose();
    }
  });

  it('a model over 4 MiB is cut into 4 MiB shards (a weight split across two) and reads back exactly', async () => {
    // LSTM(320) on 500 features: kernel 500×1280 + recurrent 320×1280 + bias 1280 floats, 4.2 MB.
    const model = new Sequential([new LSTM({ units: 320, inputShape: [2, 500] }), new Dense({ units: 2 })]);
    model.build();
    expect(model.countParams() * 4).toBeGreaterThan(TFJS_SHARD_BYTES);
    expect(model.countParams() * 4).toBeLessThan(2 * TFJS_SHARD_BYTES);
    // The shard boundary falls inside the recurrent kernel (bytes [2 560 000, 4 198 400)): a weight split across two files.
    const [kernel, recurrent] = model.getWeights();
    expect(kernel.size * 4).toBeLessThan(TFJS_SHARD_BYTES);
    expect((kernel.size + recurrent.size) * 4).toBeGreaterThan(TFJS_SHARD_BYTES);
    const out = join(dir, 'large');
    await saveTfjs(model, out);
    expect((await readdir(out)).sort()).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin', 'model.json']);
    expect((await stat(join(out, 'group1-shard1of2.bin'))).size).toBe(TFJS_SHARD_BYTES);
    expect((await stat(join(out, 'group1-shard2of2.bin'))).size).toBe(model.countParams() * 4 - TFJS_SHARD_BYTES);
    const back = await loadTfjs(join(out, 'model.json'));
    const a = model.getWeights();
    back.getWeights().forEach((w, i) => {
      expect(w.shape).toEqual(a[i].shape);
      expect(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).equals(Buffer.from(a[i].data.buffer, a[i].data.byteOffset, a[i].data.byteLength))).toBe(true);
    });
  });

  it('small shards (shardBytes) split weights anywhere; TF.js reads them too', async () => {
    const { model, batch, timeSteps, features } = OURS.returnSequences();
    randomize(model, 12);
    const out = join(dir, 'tiny-shards');
    await saveTfjs(model, out, { shardBytes: 100 });
    const files = (await readdir(out)).filter((f) => f.endsWith('.bin'));
    expect(files.length).toBe(Math.ceil((model.countParams() * 4) / 100));
    const back = await loadTfjs(join(out, 'model.json'));
    const x = uniform([batch, timeSteps, features], rng(13));
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    const theirs = await loadWithTfjs(join(out, 'model.json'));
    try {
      expectNear(back.predict(x).data, tfjsPredict(theirs, x), PREDICT_TOL, 'TF.js reading 100-byte shards');
    } finally {
      theirs.dispose();
    }
  });

  it('reads files written from TF.js artifacts as tfjs-node does (one weights.bin)', async () => {
    const { model: theirs, batch, timeSteps, features } = THEIRS.returnSequences();
    try {
      const artifacts = await saveFromTfjs(theirs);
      const out = join(dir, 'from-tfjs');
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      await writeFile(join(out, 'model.json'), JSON.stringify({
        modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
      }));
      const ours = await loadTfjs(join(out, 'model.json'));
      const x = uniform([batch, timeSteps, features], rng(14));
      expectNear(ours.predict(x).data, tfjsPredict(theirs, x), PREDICT_TOL, 'tfjs-node-style files');
    } finally {
      theirs.dispose();
    }
  });

  it('refuses a malformed model.json, a weights file of the wrong length, and a missing shard, naming the file', async () => {
    const { model } = OURS['LSTM + Dense']();
    randomize(model, 15);
    const out = join(dir, 'broken');
    await saveTfjs(model, out, { shardBytes: 256 });
    const modelJson = join(out, 'model.json');
    const text = await readFile(modelJson, 'utf8');

    await writeFile(modelJson, text.slice(0, text.length - 10));
    await expect(loadTfjs(modelJson)).rejects.toThrow(new RegExp(`loadTfjs: ${escape(modelJson)}: .*not valid JSON`));
    await writeFile(modelJson, JSON.stringify({ ...JSON.parse(text), weightsManifest: undefined }));
    await expect(loadTfjs(modelJson)).rejects.toThrow(/weightsManifest: expected an array of \{ paths, weights \} groups/);
    await writeFile(modelJson, JSON.stringify({ ...JSON.parse(text), format: 'graph-model' }));
    await expect(loadTfjs(modelJson)).rejects.toThrow(/graph model/);
    await writeFile(modelJson, text);

    const count = Math.ceil((model.countParams() * 4) / 256);
    const names = Array.from({ length: count }, (_, k) => `group1-shard${k + 1}of${count}.bin`);
    expect((await readdir(out)).filter((f) => f.endsWith('.bin')).sort()).toEqual([...names].sort());
    const shard2 = join(out, names[1]);
    const bytes = await readFile(shard2);
    await writeFile(shard2, bytes.subarray(0, bytes.length - 4));
    await expect(loadTfjs(modelJson)).rejects.toThrow(new RegExp(`weight files ${escape(names.join(', '))} hold ${model.countParams() * 4 - 4} bytes, but their manifest lists 5 float32 weights of ${model.countParams() * 4} bytes \\(truncated`));
    await writeFile(shard2, Buffer.concat([bytes, Buffer.alloc(8)]));
    await expect(loadTfjs(modelJson)).rejects.toThrow(/too long/);
    await rm(shard2);
    await expect(loadTfjs(modelJson)).rejects.toThrow(new RegExp(`cannot read weight file ${escape(shard2)}`));
    await expect(loadTfjs(join(out, 'nope.json'))).rejects.toThrow(/loadTfjs: .*nope\.json/);
  });

  it('saveTfjs checks its arguments', async () => {
    await expect(saveTfjs({} as Sequential, dir)).rejects.toThrow(/saveTfjs: model: expected a Sequential/);
    const { model } = OURS['LSTM + Dense']();
    await expect(saveTfjs(model, '')).rejects.toThrow(/saveTfjs: dir: expected a directory path/);
    await expect(saveTfjs(model, dir, { shardBytes: 0 })).rejects.toThrow(/shardBytes: expected an integer >= 4/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
