/**
 * The TensorFlow.js Layers format: a model trained here loads in TF.js (and, through the
 * `tensorflowjs_converter`, in Keras / TensorFlow), and a TF.js or Keras model loads here.
 * Browser-safe: no Node module is imported (the file helpers live in src/node.ts).
 *
 * TF.js's in-memory currency is `ModelArtifacts`, which `tf.io.fromMemory(artifacts)` takes and
 * `tf.io.withSaveHandler` hands over:
 *
 *   {
 *     format: 'layers-model',
 *     generatedBy: 'lstm-ts 0.1.0', convertedBy: null,
 *     modelTopology: {                              Keras config form, snake_case fields
 *       class_name: 'Sequential', keras_version, backend,
 *       config: { name, layers: [{ class_name: 'LSTM', config: { units, return_sequences, ... } }, ...] },
 *     },
 *     weightSpecs: [{ name: 'lstm_1/kernel', shape: [I, 4H], dtype: 'float32' }, ...],
 *     weightData: ArrayBuffer,                      the weights, little-endian float32, row-major,
 *   }                                               concatenated in weightSpecs order, no header
 *
 * On disk (src/node.ts), model.json holds the same fields with `weightsManifest:
 * [{ paths: ['group1-shard1of2.bin', ...], weights: weightSpecs }]` in place of weightSpecs /
 * weightData: a group's weight bytes are its files concatenated (shards of at most 4 MiB; a
 * weight may be split across two).
 *
 * The weights are a byte copy: Keras / TF.js use our layout (kernel [I, 4H], recurrent_kernel
 * [H, 4H], bias [4H], gate blocks i, f, c, o). Reading, weights are matched by NAME, never by
 * position (the Keras converter lists them alphabetically): `lstm_1/kernel`, and tf.keras 2.x's
 * `lstm/lstm_cell/kernel` (the cell's name dropped, as TF.js and the converter do).
 *
 * Every config field is written explicitly (TF.js's LSTM defaults differ from Keras': it would
 * pick hardSigmoid, a glorot-normal kernel and no unit forget bias). Reading accepts the topology
 * in TF.js's form ({ class_name, config }) and in the Keras converter's ({ model_config:
 * { class_name, config }, training_config, ... }), an InputLayer first (tf.keras 2.x writes one),
 * and refuses, naming them, layers other than LSTM and Dense and options that would change what the
 * model computes (dropout, go_backwards, return_state, regularizers, constraints, frozen layers,
 * non-float32 dtypes, ...); a file's hard_sigmoid is read by the Keras version that wrote it. The compile settings
 * (training_config) are not read: compile the loaded model yourself.
 *
 * Masking: an LSTM with a maskValue is written as Keras writes that model, a `Masking` layer
 * (mask_value; no weights, so the weight names do not change) directly in front of the LSTM, and
 * read back the same way. As in Keras and TF.js, the mask goes on past an LSTM that returns
 * sequences (through Dense) to every later LSTM, so predictions agree (checked against TF.js 4.22).
 * Training differs in one place: lstm-ts, like Keras (Python), averages the loss of masked
 * sequence outputs over the unmasked steps only, where TF.js 4.22 ignores output masks in its loss
 * and averages over every step.
 */
import { Dense, type DenseOptions } from '../layers/dense.js';
import type { Layer, Shape } from '../layers/layer.js';
import { LSTM, type LSTMOptions } from '../layers/lstm.js';
import { hardSigmoidNameFor } from '../layers/activations.js';
import { Sequential } from '../model/sequential.js';
import { resolveInitializer, type InitializerName } from '../tensor/initializers.js';
import { Tensor, describe, formatShape, sizeOf } from '../tensor/tensor.js';
import { fromLittleEndianBytes, toLittleEndianBytes } from './bytes.js';

/** The library version written into generatedBy (test/tfjs-io.test.ts keeps it equal to package.json's). */
export const LSTM_TS_VERSION = '0.1.0';
const GENERATED_BY = `lstm-ts ${LSTM_TS_VERSION}`;

/** The TF.js converter's shard size: 4 MiB. */
export const TFJS_SHARD_BYTES = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The TF.js types, structurally (the library does not depend on TF.js)
// ---------------------------------------------------------------------------------------------

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** One layer in Keras config form. */
export interface TfjsLayerJSON {
  class_name: string;
  config: Record<string, unknown>;
}

export interface TfjsModelTopology {
  class_name: 'Sequential';
  config: { name: string; layers: TfjsLayerJSON[] };
  keras_version: string;
  backend: string;
}

/** What toTfjsArtifacts returns: a TF.js `ModelArtifacts`. */
export interface TfjsModelArtifacts {
  modelTopology: TfjsModelTopology;
  weightSpecs: TfjsWeightSpec[];
  /** Little-endian float32, row-major, concatenated in weightSpecs order. */
  weightData: ArrayBuffer;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
}

/**
 * What fromTfjsArtifacts accepts: a TF.js `ModelArtifacts` as `tf.io.withSaveHandler` hands it
 * over (weightData an ArrayBuffer, a typed array, or a list of ArrayBuffers), checked field by field.
 */
export interface TfjsArtifactsInput {
  modelTopology?: unknown;
  weightSpecs?: unknown;
  weightData?: unknown;
  format?: unknown;
  generatedBy?: unknown;
  convertedBy?: unknown;
  trainingConfig?: unknown;
}

export interface TfjsWeightsManifestGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** The model.json file of the TF.js Layers format. */
export interface TfjsModelJSON {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: TfjsModelTopology;
  weightsManifest: TfjsWeightsManifestGroup[];
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const KERAS_INITIALIZERS: Record<InitializerName, { class_name: string; config: Record<string, unknown> }> = {
  glorotUniform: { class_name: 'GlorotUniform', config: { seed: null } },
  glorotNormal: { class_name: 'GlorotNormal', config: { seed: null } },
  orthogonal: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
  zeros: { class_name: 'Zeros', config: {} },
  ones: { class_name: 'Ones', config: {} },
};

function kerasInitializer(name: unknown): { class_name: string; config: Record<string, unknown> } {
  const spec = KERAS_INITIALIZERS[name as InitializerName];
  return { class_name: spec.class_name, config: { ...spec.config } };
}

function kerasActivation(name: unknown): string {
  return name === 'hardSigmoid' ? 'hard_sigmoid' : String(name);
}

/** One layer in Keras config form, every field explicit. */
function layerToKeras(layer: Layer, batchInputShape: Shape | undefined, where: string): TfjsLayerJSON {
  const { className, config: c } = layer.getConfig();
  if (layer.name.includes('/')) {
    throw new TypeError(`${where}: layer name '${layer.name}' contains '/', which TF.js uses to separate layer and weight names; rename the layer`);
  }
  const common: Record<string, unknown> = { name: layer.name, trainable: true, dtype: 'float32' };
  if (batchInputShape !== undefined) common.batch_input_shape = [...batchInputShape];
  if (layer instanceof LSTM) {
    return {
      class_name: 'LSTM',
      config: {
        ...common,
        units: c.units,
        activation: kerasActivation(c.activation),
        recurrent_activation: kerasActivation(c.recurrentActivation),
        use_bias: c.useBias,
        kernel_initializer: kerasInitializer(c.kernelInitializer),
        recurrent_initializer: kerasInitializer(c.recurrentInitializer),
        bias_initializer: kerasInitializer(c.biasInitializer),
        unit_forget_bias: c.unitForgetBias,
        kernel_regularizer: null,
        recurrent_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        kernel_constraint: null,
        recurrent_constraint: null,
        bias_constraint: null,
        dropout: 0,
        recurrent_dropout: 0,
        implementation: 2,
        return_sequences: c.returnSequences,
        return_state: false,
        go_backwards: false,
        stateful: c.stateful,
        unroll: false,
      },
    };
  }
  if (layer instanceof Dense) {
    return {
      class_name: 'Dense',
      config: {
        ...common,
        units: c.units,
        activation: kerasActivation(c.activation),
        use_bias: c.useBias,
        kernel_initializer: kerasInitializer(c.kernelInitializer),
        bias_initializer: kerasInitializer(c.biasInitializer),
        kernel_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      },
    };
  }
  throw new TypeError(`${where}: layer ${layer.name} is a ${className}; the TF.js export handles LSTM and Dense layers`);
}

/**
 * The model's layers in Keras config form. An LSTM with a maskValue becomes what Keras writes for
 * it: a Masking layer (which takes over the model's input shape when it comes first) directly in
 * front of the LSTM, written without a mask.
 */
function layersToKeras(layers: readonly Layer[], inputShape: Shape | undefined, where: string): TfjsLayerJSON[] {
  const taken = new Set(layers.map((layer) => layer.name));
  return layers.flatMap((layer, i) => {
    const shape = i === 0 ? inputShape : undefined;
    const maskValue = layer instanceof LSTM ? layer.maskValue : null;
    if (maskValue === null) return [layerToKeras(layer, shape, where)];
    let name = `${layer.name}_masking`;
    for (let k = 2; taken.has(name); k++) name = `${layer.name}_masking_${k}`;
    taken.add(name);
    const masking: TfjsLayerJSON = {
      class_name: 'Masking',
      config: { name, trainable: true, dtype: 'float32', ...(shape === undefined ? {} : { batch_input_shape: [...shape] }), mask_value: maskValue },
    };
    return [masking, layerToKeras(layer, undefined, where)];
  });
}

/**
 * The model as a TF.js `ModelArtifacts`, ready for `tf.loadLayersModel(tf.io.fromMemory(artifacts))`.
 * The model must be built (an input shape on its first layer, or one fit / predict call).
 * A float64 model is written as float32, the only dtype TF.js layers hold.
 */
export function toTfjsArtifacts(model: Sequential): TfjsModelArtifacts {
  const where = 'toTfjsArtifacts';
  if (!(model instanceof Sequential)) throw new TypeError(`${where}: expected a Sequential model, got ${describe(model)}`);
  try {
    model.build();
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
  const layers = model.layers;
  const topology: TfjsModelTopology = {
    class_name: 'Sequential',
    config: { name: model.name, layers: layersToKeras(layers, model.inputShape, where) },
    keras_version: GENERATED_BY,
    backend: 'lstm-ts',
  };
  const weightSpecs: TfjsWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const layer of layers) {
    const names = layer.weightNames;
    layer.trainableWeights.forEach((w, k) => {
      weightSpecs.push({ name: `${layer.name}/${names[k]}`, shape: [...w.shape], dtype: 'float32' });
      chunks.push(toLittleEndianBytes(w.data instanceof Float32Array ? w.data : Float32Array.from(w.data)));
    });
  }
  return {
    modelTopology: topology,
    weightSpecs,
    weightData: concatBytes(chunks).buffer as ArrayBuffer,
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
  };
}

/**
 * model.json and its weight files for a model: one weights group, cut into shards of at most
 * `shardBytes` (default 4 MiB, the TF.js converter's), named as the converter names them.
 */
export function toTfjsModelFiles(model: Sequential, shardBytes: number = TFJS_SHARD_BYTES): { modelJSON: TfjsModelJSON; shards: { path: string; data: Uint8Array }[] } {
  if (typeof shardBytes !== 'number' || !Number.isInteger(shardBytes) || shardBytes < 4) {
    throw new RangeError(`toTfjsModelFiles: shardBytes: expected an integer >= 4, got ${describe(shardBytes)}`);
  }
  const artifacts = toTfjsArtifacts(model);
  const bytes = new Uint8Array(artifacts.weightData);
  const count = Math.max(1, Math.ceil(bytes.length / shardBytes));
  const shards = Array.from({ length: count }, (_, k) => ({
    path: `group1-shard${k + 1}of${count}.bin`,
    data: bytes.subarray(k * shardBytes, Math.min((k + 1) * shardBytes, bytes.length)),
  }));
  return {
    modelJSON: {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: shards.map((s) => s.path), weights: artifacts.weightSpecs }],
    },
    shards,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading model.json (for the file helpers: which files to read, then the artifacts)
// ---------------------------------------------------------------------------------------------

/** Parse and check a model.json (text or object); returns it with its validated manifest. */
export function parseTfjsModelJSON(json: unknown, where = 'parseTfjsModelJSON'): { modelJSON: Record<string, unknown>; manifest: { paths: string[]; weights: TfjsWeightSpec[] }[] } {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (error) {
      throw new SyntaxError(`${where}: the text is not valid JSON (truncated or corrupted?): ${(error as Error).message}`);
    }
  }
  if (!isPlainObject(doc)) throw new TypeError(`${where}: expected a model.json object { format, modelTopology, weightsManifest }, got ${describe(doc)}`);
  checkFormat(doc.format, where);
  if (doc.modelTopology === undefined || doc.modelTopology === null) throw new TypeError(`${where}: modelTopology is missing; a TF.js Layers model.json has modelTopology and weightsManifest`);
  const manifest = doc.weightsManifest;
  if (!Array.isArray(manifest)) throw new TypeError(`${where}: weightsManifest: expected an array of { paths, weights } groups, got ${describe(manifest)}`);
  const groups = manifest.map((group: unknown, g) => {
    const at = `${where}: weightsManifest[${g}]`;
    if (!isPlainObject(group)) throw new TypeError(`${at}: expected { paths, weights }, got ${describe(group)}`);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw new TypeError(`${at}.paths: expected an array of file names, got ${JSON.stringify(paths)}`);
    }
    return { paths: paths as string[], weights: checkWeightSpecs(weights, `${at}.weights`) };
  });
  return { modelJSON: doc, manifest: groups };
}

/**
 * Artifacts from a parsed model.json and the bytes of its files (files[g][k] = the k-th path of
 * group g). Each group's files, concatenated, must hold exactly its weights.
 */
export function artifactsFromModelJSON(parsed: ReturnType<typeof parseTfjsModelJSON>, files: Uint8Array[][], where = 'artifactsFromModelJSON'): TfjsArtifactsInput {
  const { modelJSON, manifest } = parsed;
  if (files.length !== manifest.length) throw new RangeError(`${where}: expected the files of ${manifest.length} weight groups, got ${files.length}`);
  const chunks: Uint8Array[] = [];
  manifest.forEach((group, g) => {
    const got = files[g].reduce((n, f) => n + f.length, 0);
    const expected = group.weights.reduce((n, w) => n + 4 * sizeOf(w.shape), 0);
    if (got !== expected) {
      throw new RangeError(`${where}: weight files ${group.paths.join(', ')} hold ${got} bytes, but their manifest lists ${group.weights.length} float32 weights of ${expected} bytes (${got < expected ? 'truncated' : 'too long'}, or not the files of this model.json)`);
    }
    chunks.push(...files[g]);
  });
  return {
    modelTopology: modelJSON.modelTopology,
    format: modelJSON.format,
    generatedBy: modelJSON.generatedBy,
    convertedBy: modelJSON.convertedBy,
    weightSpecs: manifest.flatMap((group) => group.weights),
    weightData: concatBytes(chunks).buffer,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading artifacts
// ---------------------------------------------------------------------------------------------

interface ParsedLayer {
  className: 'LSTM' | 'Dense';
  name: string;
  /** Where the layer sits in the topology, for error messages. */
  label: string;
  options: Record<string, unknown>;
  batchInputShape: Shape | undefined;
}

/**
 * Build a model from TF.js `ModelArtifacts` (as `tf.io.withSaveHandler` hands them over, or as
 * artifactsFromModelJSON assembles them from files). The model is float32 and not compiled.
 */
export function fromTfjsArtifacts(artifacts: TfjsArtifactsInput): Sequential {
  const where = 'fromTfjsArtifacts';
  if (!isPlainObject(artifacts)) throw new TypeError(`${where}: expected TF.js ModelArtifacts { modelTopology, weightSpecs, weightData }, got ${describe(artifacts)}`);
  checkFormat(artifacts.format, where);
  const { name, layers: parsed } = readTopology(artifacts.modelTopology, where);
  const specs = checkWeightSpecs(artifacts.weightSpecs, `${where}: weightSpecs`);
  const bytes = readWeightData(artifacts.weightData, `${where}: weightData`);
  const weights = decodeWeights(specs, bytes, where);

  const layers = parsed.map((p, i) => {
    const options = i === 0 && p.batchInputShape !== undefined ? { ...p.options, batchInputShape: p.batchInputShape } : p.options;
    try {
      return p.className === 'LSTM' ? new LSTM(options as unknown as LSTMOptions) : new Dense(options as unknown as DenseOptions);
    } catch (error) {
      throw new TypeError(`${where}: ${p.label}: ${(error as Error).message}`, { cause: error });
    }
  });
  let model: Sequential;
  try {
    model = new Sequential(layers, { name, dtype: 'float32' });
  } catch (error) {
    throw new TypeError(`${where}: ${(error as Error).message}`, { cause: error });
  }

  // Build for the declared input shape; without one, the first layer's kernel tells the feature count.
  let inputShape = parsed[0].batchInputShape;
  if (inputShape === undefined) {
    const kernel = weights.peek(parsed[0].name, 'kernel', where);
    const features = kernel.shape[0];
    inputShape = parsed[0].className === 'LSTM' ? [null, null, features] : [null, features];
  }
  try {
    model.build(inputShape);
  } catch (error) {
    throw new TypeError(`${where}: ${(error as Error).message}`, { cause: error });
  }

  const values = model.layers.flatMap((layer) => {
    const live = layer.trainableWeights;
    return layer.weightNames.map((weightName, k) => {
      const w = weights.lookup(layer.name, weightName, where);
      if (formatShape(w.shape) !== formatShape(live[k].shape)) {
        throw new RangeError(`${where}: weight '${w.name}' has shape ${formatShape(w.shape)}, but layer ${layer.name} as configured needs ${layer.name}/${weightName} of shape ${formatShape(live[k].shape)}`);
      }
      return w.tensor;
    });
  });
  const unused = weights.unused();
  if (unused.length > 0) {
    throw new RangeError(`${where}: weightSpecs: ${unused.length} weight(s) belong to no weight of the model: ${unused.map((n) => `'${n}'`).join(', ')} (the model expects ${model.weightNames.map((n) => `'${n}'`).join(', ')})`);
  }
  model.setWeights(values);
  return model;
}

function checkFormat(format: unknown, where: string): void {
  if (format === undefined || format === null || format === 'layers-model') return;
  if (format === 'graph-model') {
    throw new TypeError(`${where}: format 'graph-model': this is a TF.js graph model (converted from a SavedModel or frozen graph), which keeps no layer configs; convert the Keras model with tensorflowjs_converter --input_format keras (or keras_saved_model) --output_format tfjs_layers_model`);
  }
  throw new TypeError(`${where}: format: expected 'layers-model', got ${JSON.stringify(format)}`);
}

function readTopology(value: unknown, where: string): { name: string | undefined; layers: ParsedLayer[] } {
  const at = `${where}: modelTopology`;
  if (isArrayBuffer(value) || ArrayBuffer.isView(value)) {
    throw new TypeError(`${at}: got binary data (a graph model's GraphDef); expected a Keras model config { class_name: 'Sequential', config }`);
  }
  if (!isPlainObject(value)) throw new TypeError(`${at}: expected a Keras model config { class_name, config } or { model_config }, got ${describe(value)}`);
  // The Keras converter wraps the model config: { keras_version, backend, model_config, training_config }.
  const kerasVersion = typeof value.keras_version === 'string' ? value.keras_version : undefined;
  const modelConfig = value.model_config !== undefined ? value.model_config : value;
  const mat = value.model_config !== undefined ? `${at}.model_config` : at;
  if (!isPlainObject(modelConfig)) throw new TypeError(`${mat}: expected { class_name, config }, got ${describe(modelConfig)}`);
  if (modelConfig.class_name !== 'Sequential') {
    throw new TypeError(`${mat}.class_name: lstm-ts reads Sequential models, got ${JSON.stringify(modelConfig.class_name)}${modelConfig.class_name === 'Functional' || modelConfig.class_name === 'Model' ? ' (a functional model: rebuild it as a Sequential stack)' : ''}`);
  }
  const config = modelConfig.config;
  // Keras 2.0-2.1 wrote a Sequential's config as the bare list of layers.
  const layerList = Array.isArray(config) ? config : isPlainObject(config) ? config.layers : undefined;
  const name = isPlainObject(config) && typeof config.name === 'string' ? config.name : undefined;
  if (!Array.isArray(layerList)) throw new TypeError(`${mat}.config.layers: expected an array of layer configs, got ${describe(layerList)}`);

  const layers: ParsedLayer[] = [];
  let inputShape: Shape | undefined;
  let masking: ParsedMasking | undefined; // a Masking layer waiting for its LSTM
  const maskingNeedsLSTM = (got: string) => new TypeError(`${masking!.label}: a Masking layer must be directly followed by an LSTM (lstm-ts reads the pair as one LSTM with maskValue = mask_value), got ${got}`);
  layerList.forEach((entry: unknown, i) => {
    const lat = `${mat}.config.layers[${i}]`;
    if (!isPlainObject(entry) || typeof entry.class_name !== 'string' || !isPlainObject(entry.config)) {
      throw new TypeError(`${lat}: expected a layer config { class_name, config }, got ${describe(entry)}`);
    }
    const layerName = typeof entry.config.name === 'string' ? entry.config.name : undefined;
    const what = `${entry.class_name}${layerName === undefined ? '' : ` '${layerName}'`}`;
    const label = `${lat} (${what})`;
    if (masking !== undefined && entry.class_name !== 'LSTM') throw maskingNeedsLSTM(`layers[${i}], ${what}`);
    if (entry.class_name === 'InputLayer') {
      if (i !== 0) throw new TypeError(`${label}: an InputLayer must come first`);
      inputShape = readInputLayer(entry.config, label);
      return;
    }
    if (entry.class_name === 'Masking') {
      masking = readMasking(entry.config, label);
      return;
    }
    if (entry.class_name !== 'LSTM' && entry.class_name !== 'Dense') {
      throw new TypeError(`${label}: unsupported layer class '${entry.class_name}'; lstm-ts reads LSTM and Dense layers (and a leading InputLayer, and a Masking layer directly before an LSTM)`);
    }
    const layer = readLayer(entry.class_name, entry.config, label, kerasVersion);
    if (masking !== undefined) {
      layer.options.maskValue = masking.maskValue;
      layer.batchInputShape ??= masking.batchInputShape;
      masking = undefined;
    }
    layers.push(layer);
  });
  if (masking !== undefined) throw maskingNeedsLSTM('nothing: it is the last layer');
  if (layers.length === 0) throw new TypeError(`${mat}.config.layers: the model has no LSTM or Dense layer`);
  if (inputShape !== undefined) layers[0].batchInputShape ??= inputShape;

  return { name, layers };
}

interface ParsedMasking {
  label: string;
  maskValue: number;
  batchInputShape: Shape | undefined;
}

/** A Keras Masking layer: no weights, only mask_value (and the input shape when it comes first). */
function readMasking(config: Record<string, unknown>, where: string): ParsedMasking {
  const r = new ConfigReader(config, where);
  r.take('name');
  r.take('trainable'); // no weights: frozen or not, it computes the same
  r.dtype();
  const batchInputShape = r.shape();
  const value = r.take('mask_value') ?? 0; // Keras' and TF.js's default, in every version
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${where}: mask_value: expected a finite number (the value that marks a padded step), got ${JSON.stringify(value)}`);
  }
  r.finish();
  return {
    label: where,
    // TF.js and Keras compare float32 inputs with the mask value as float32 (0.1 matches 0.1f),
    // as a float32 lstm-ts LSTM does with its maskValue: kept as written.
    maskValue: value,
    batchInputShape,
  };
}

function readInputLayer(config: Record<string, unknown>, where: string): Shape | undefined {
  const r = new ConfigReader(config, where);
  r.take('name');
  r.dtype();
  r.expect('sparse', (v) => v === false || v === null || v === undefined, 'false (sparse inputs are not supported)');
  r.expect('ragged', (v) => v === false || v === null || v === undefined, 'false (ragged inputs are not supported)');
  r.expect('input_tensor', (v) => v === null || v === undefined, 'null');
  const shape = r.shape();
  r.finish();
  return shape;
}

function readLayer(className: 'LSTM' | 'Dense', config: Record<string, unknown>, where: string, kerasVersion: string | undefined): ParsedLayer {
  const r = new ConfigReader(config, where);
  const name = r.take('name');
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${where}: name: expected the layer's name (weights are matched by it), got ${describe(name)}`);
  r.expect('trainable', (v) => v === true || v === undefined || v === null, 'true (frozen layers are not supported)');
  r.dtype();
  const batchInputShape = r.shape();
  const options: Record<string, unknown> = { name, units: r.take('units') };
  const activation = (key: string): unknown => {
    const value = r.take(key);
    if (value === 'hard_sigmoid') return hardSigmoidNameFor(kerasVersion); // Keras 3's relu6(x + 3) / 6, or Keras 2's / TF.js' clip(0.2·x + 0.5, 0, 1)
    return value === undefined || value === null ? 'linear' : value;
  };
  options.activation = activation('activation');
  options.useBias = r.take('use_bias');
  options.kernelInitializer = r.initializer('kernel_initializer');
  options.biasInitializer = r.initializer('bias_initializer');
  for (const key of ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint']) {
    r.expect(key, (v) => v === null || v === undefined, 'null (regularizers and constraints are not supported)');
  }
  if (className === 'Dense') {
    r.expect('lora_rank', (v) => v === null || v === undefined, 'null');
  } else {
    // Required: its default differs between Keras 2.0-2.2 / TF.js (hard_sigmoid) and later Keras (sigmoid).
    if (config.recurrent_activation === undefined) throw new TypeError(`${where}: recurrent_activation is missing; its default differs between Keras versions and TF.js, so it must be written out`);
    options.recurrentActivation = activation('recurrent_activation');
    options.recurrentInitializer = r.initializer('recurrent_initializer');
    const unitForgetBias = r.take('unit_forget_bias');
    options.unitForgetBias = unitForgetBias ?? false; // TF.js leaves it unset (null): its default, false
    options.returnSequences = r.take('return_sequences') ?? false;
    options.stateful = r.take('stateful') ?? false;
    for (const key of ['recurrent_regularizer', 'recurrent_constraint']) {
      r.expect(key, (v) => v === null || v === undefined, 'null (regularizers and constraints are not supported)');
    }
    for (const key of ['dropout', 'recurrent_dropout']) r.expect(key, (v) => v === 0 || v === null || v === undefined, '0 (dropout is not supported)');
    r.expect('return_state', (v) => v === false || v === null || v === undefined, 'false');
    r.expect('go_backwards', (v) => v === false || v === null || v === undefined, 'false (reversed sequences are not supported)');
    r.expect('time_major', (v) => v === false || v === null || v === undefined, 'false');
    // How the loop is computed, not what: any value gives the same outputs.
    r.take('unroll');
    r.take('implementation');
    r.take('use_cudnn');
    r.take('seed'); // Keras 3: the dropout seed
  }
  r.finish();
  return { className, name, label: where, options, batchInputShape };
}

/** Reads a layer config key by key; every key must be read (unknown keys are an error naming them). */
class ConfigReader {
  private readonly seen = new Set<string>();

  constructor(private readonly config: Record<string, unknown>, private readonly where: string) {}

  take(key: string): unknown {
    this.seen.add(key);
    return this.config[key];
  }

  expect(key: string, ok: (value: unknown) => boolean, expected: string): void {
    const value = this.take(key);
    if (!ok(value)) throw new TypeError(`${this.where}: ${key} is ${JSON.stringify(value)}; lstm-ts supports only ${expected}`);
  }

  dtype(): void {
    const value = this.take('dtype');
    // Keras 3 writes a dtype policy object: { class_name: 'DTypePolicy', config: { name: 'float32' } }.
    const name = isPlainObject(value) && isPlainObject(value.config) ? value.config.name : value;
    if (name !== undefined && name !== null && name !== 'float32') {
      throw new TypeError(`${this.where}: dtype is ${JSON.stringify(value)}; TF.js / Keras models load here as float32 only`);
    }
  }

  /** batch_input_shape (Keras 2, TF.js) or batch_shape (Keras 3). */
  shape(): Shape | undefined {
    const value = this.take('batch_input_shape') ?? this.take('batch_shape');
    this.seen.add('batch_shape');
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.length < 2 || !value.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
      throw new TypeError(`${this.where}: batch_input_shape: expected [batch or null, ..., features], got ${JSON.stringify(value)}`);
    }
    return value as Shape;
  }

  initializer(key: string): InitializerName {
    const value = this.take(key);
    const at = `${this.where}: ${key}`;
    if (value === undefined || value === null) throw new TypeError(`${at} is missing; every initializer must be written out`);
    if (typeof value === 'string') return resolveInitializer(value, at);
    if (!isPlainObject(value) || typeof value.class_name !== 'string') throw new TypeError(`${at}: expected { class_name, config }, got ${describe(value)}`);
    const c = isPlainObject(value.config) ? value.config : {};
    switch (value.class_name) {
      case 'GlorotUniform':
        return 'glorotUniform';
      case 'GlorotNormal':
        return 'glorotNormal';
      case 'Zeros':
        return 'zeros';
      case 'Ones':
        return 'ones';
      case 'Orthogonal':
        if (c.gain !== undefined && c.gain !== null && c.gain !== 1) throw new TypeError(`${at}: Orthogonal with gain ${JSON.stringify(c.gain)}; lstm-ts implements gain 1`);
        return 'orthogonal';
      case 'VarianceScaling':
        // TF.js writes its glorot initializers in this form.
        if ((c.scale ?? 1) === 1 && c.mode === 'fan_avg') {
          if (c.distribution === 'uniform') return 'glorotUniform';
          if (c.distribution === 'normal' || c.distribution === 'truncated_normal') return 'glorotNormal';
        }
        throw new TypeError(`${at}: VarianceScaling ${JSON.stringify(c)} is not a glorot initializer; lstm-ts implements GlorotUniform, GlorotNormal, Orthogonal, Zeros and Ones`);
      default:
        throw new TypeError(`${at}: initializer '${value.class_name}' is not one lstm-ts implements (GlorotUniform, GlorotNormal, Orthogonal, Zeros, Ones). It only draws fresh weights, so writing one of those in its place leaves the loaded model unchanged`);
    }
  }

  finish(): void {
    const unknown = Object.keys(this.config).filter((key) => !this.seen.has(key));
    if (unknown.length > 0) {
      throw new TypeError(`${this.where}: unsupported config field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; lstm-ts does not know what they would change, so it refuses the model`);
    }
  }
}

function checkWeightSpecs(value: unknown, where: string): TfjsWeightSpec[] {
  if (!Array.isArray(value)) throw new TypeError(`${where}: expected an array of { name, shape, dtype }, got ${describe(value)}`);
  return value.map((spec: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(spec)) throw new TypeError(`${at}: expected { name, shape, dtype }, got ${describe(spec)}`);
    const { name, shape, dtype, quantization } = spec;
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${at}.name: expected a weight name such as 'lstm_1/kernel', got ${JSON.stringify(name)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(`${at}.shape (${name}): expected an array of sizes, got ${JSON.stringify(shape)}`);
    }
    if (dtype !== undefined && dtype !== 'float32') throw new TypeError(`${at}.dtype (${name}): expected 'float32', got ${JSON.stringify(dtype)}`);
    if (quantization !== undefined && quantization !== null) {
      throw new TypeError(`${at} (${name}): quantized weights (${JSON.stringify(quantization)}) are not supported; convert without --quantize_* options`);
    }
    return { name, shape: [...shape], dtype: 'float32' };
  });
}

function readWeightData(value: unknown, where: string): Uint8Array {
  if (isArrayBuffer(value)) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value) && value.every((b) => isArrayBuffer(b) || ArrayBuffer.isView(b))) {
    return concatBytes(value.map((b) => (isArrayBuffer(b) ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength))));
  }
  throw new TypeError(`${where}: expected an ArrayBuffer (or a list of them) of little-endian float32 values, got ${describe(value)}`);
}

interface DecodedWeight {
  name: string;
  shape: number[];
  tensor: Tensor;
}

/** Cut the bytes into the weights; look them up by name, with tf.keras 2.x's cell-name spelling. */
function decodeWeights(specs: TfjsWeightSpec[], bytes: Uint8Array, where: string) {
  const expected = specs.reduce((n, s) => n + 4 * sizeOf(s.shape), 0);
  if (bytes.length !== expected) {
    throw new RangeError(`${where}: weightData holds ${bytes.length} bytes, but weightSpecs describe ${specs.length} float32 weights of ${expected} bytes (${bytes.length < expected ? 'truncated' : 'too long'}, or the data of another model)`);
  }
  const exact = new Map<string, DecodedWeight>();
  const shortened = new Map<string, DecodedWeight[]>();
  let offset = 0;
  for (const spec of specs) {
    const length = 4 * sizeOf(spec.shape);
    const data = fromLittleEndianBytes(bytes.slice(offset, offset + length), 'float32');
    offset += length;
    const name = spec.name.replace(/:0$/, '');
    if (exact.has(name)) throw new RangeError(`${where}: weightSpecs name the weight '${name}' twice`);
    const weight = { name: spec.name, shape: spec.shape, tensor: new Tensor(data, spec.shape) };
    exact.set(name, weight);
    // layer/cell/weight → layer/weight (tf.keras 2.x: lstm/lstm_cell/kernel)
    const tokens = name.split('/');
    if (tokens.length >= 3) {
      const short = [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/');
      shortened.set(short, [...(shortened.get(short) ?? []), weight]);
    }
  }
  const used = new Set<DecodedWeight>();
  const find = (layerName: string, weightName: string, at: string): DecodedWeight => {
    const key = `${layerName}/${weightName}`;
    let found = exact.get(key);
    if (found === undefined) {
      const candidates = shortened.get(key) ?? [];
      if (candidates.length > 1) throw new RangeError(`${at}: the weights ${candidates.map((c) => `'${c.name}'`).join(', ')} all match ${key}`);
      found = candidates[0];
    }
    if (found === undefined) {
      throw new RangeError(`${at}: no weight named '${key}' (or '${layerName}/<cell>/${weightName}'); the artifacts hold ${specs.map((s) => `'${s.name}'`).join(', ') || 'no weights'}`);
    }
    return found;
  };
  return {
    /** The weight for layerName/weightName, without claiming it. */
    peek: find,
    /** The weight for layerName/weightName; each may serve only one weight of the model. */
    lookup(layerName: string, weightName: string, at: string): DecodedWeight {
      const found = find(layerName, weightName, at);
      if (used.has(found)) throw new RangeError(`${at}: weight '${found.name}' would serve two weights of the model`);
      used.add(found);
      return found;
    },
    unused(): string[] {
      return [...exact.values()].filter((w) => !used.has(w)).map((w) => w.name);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value) && !isArrayBuffer(value);
}

/** instanceof fails across realms (a worker's, a vm context's buffers); the tag does not. */
function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
