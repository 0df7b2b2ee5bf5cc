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
 * This file is the container format only: the topology's frame (Sequential, InputLayer, Masking),
 * the weights manifest and the weight bytes. Each layer's Keras config (class name, snake_case
 * fields, conversions) is its own, registered beside its class (src/layers/registry.ts: the
 * `keras` mapping of `registerLayer`, e.g. at the end of src/layers/dense.ts), so a new layer
 * class reads and writes here with no edit to this file.
 *
 * Files are untrusted: `planTfjsModel` checks the whole topology and every weight spec against
 * what the configs imply (names, shapes, the byte count) before a byte is read or a layer built;
 * the model is then built without drawing initial weights, and the weights are set (finite values
 * only). TF.js weight bytes carry no checksum (as in TF.js).
 *
 * The weights are a byte copy: Keras / TF.js use our layout (kernel [I, 4H], recurrent_kernel
 * [H, 4H], bias [4H], gate blocks i, f, c, o). Reading, weights are matched by NAME, never by
 * their order in the manifest (the Keras converter lists them alphabetically): `lstm_1/kernel`,
 * tf.keras 2.x's `lstm/lstm_cell/kernel` (the cell's name dropped, as TF.js and the converter
 * do), and Keras 3's variable paths, the model's name in front (`sequential/lstm/lstm_cell/kernel`,
 * `sequential/dense/kernel`). The converter's `.keras` route (`--input_format keras_keras`) names
 * them by where model.weights.h5 keeps them, `layers/lstm/cell/vars/0`, `layers/dense/vars/1`:
 * `layers/<the layer's Keras class in snake_case, _1, _2 ... by its place among the model's
 * layers>` (Keras never uses the layer's name there), then the weight's place in Keras' variable
 * order, which is the layer's getWeights() order (LSTM kernel, recurrent_kernel, bias; Dense
 * kernel, bias). An optimizer's variables (that route's `optimizer/vars/<i>`, with the int32
 * iteration counter; TF.js' includeOptimizer specs, `group: 'optimizer'`) are skipped, their
 * bytes counted by their dtype: the loaded model is not compiled, so there is no optimizer to
 * hand them to.
 *
 * Every config field is written explicitly (TF.js's LSTM defaults differ from Keras': it would
 * pick hardSigmoid, a glorot-normal kernel and no unit forget bias). Reading accepts the topology
 * in TF.js's form ({ class_name, config }) and in the Keras converter's ({ model_config:
 * { class_name, config }, training_config, ... }), an InputLayer first (tf.keras 2.x and Keras 3
 * write one; Keras 3's has `batch_shape` and `optional`), Keras 3's config object frames
 * (`module`, `registered_name`, `build_config`, `compile_config`, DTypePolicy objects), and
 * refuses, naming them, every field nobody read, layers of unregistered classes, classes from
 * outside Keras (a `registered_name` such as 'my_pkg>MyLSTM', a module not Keras'), and options
 * that would change what the model computes (dropout, return_state, regularizers, constraints,
 * frozen layers, non-float32 dtype policies, optional inputs, Keras 3's zero_output_for_mask,
 * quantized or LoRA Dense layers, ...); a file's hard_sigmoid is read by the Keras version that
 * wrote it. The compile settings (training_config, compile_config) are not read: compile the
 * loaded model yourself. test/keras3-converter.test.ts reads the converter's output of Keras 3.15
 * models (test/fixtures/keras3-converter.py).
 *
 * Masking: an LSTM with a maskValue is written as Keras writes that model, a `Masking` layer
 * (mask_value; no weights, so the weight names do not change) directly in front of the LSTM, and
 * read back the same way. As in Keras and TF.js, the mask goes on past an LSTM that returns
 * sequences (through Dense) to every later LSTM, so predictions agree (checked against TF.js 4.22).
 * Training differs in one place: lstm-ts, like Keras (Python), averages the loss of masked
 * sequence outputs over the unmasked steps only, where TF.js 4.22 ignores output masks in its loss
 * and averages over every step.
 */
import { KerasConfigReader, checkKerasOrigin, isPlainObject } from '../layers/keras-config.js';
import type { Layer, Shape } from '../layers/layer.js';
import { kerasLayerRegistration, kerasVariablePaths, layerRegistration, registeredKerasLayerClasses, type LayerRegistration } from '../layers/registry.js';
import { Sequential } from '../model/sequential.js';
import { planWeights, type PlannedWeight } from '../model/serialization.js';
import { fromLittleEndianBytes, toLittleEndianBytes } from '../tensor/bytes.js';
import { withoutDrawing } from '../tensor/initializers.js';
import { Tensor, describe, formatShape, sizeOf } from '../tensor/tensor.js';

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

/** One layer in Keras config form, every field explicit: the frame here, the rest by the layer's registered mapping. */
function layerToKeras(layer: Layer, batchInputShape: Shape | undefined, where: string): TfjsLayerJSON {
  const { className, config } = layer.getConfig();
  if (layer.name.includes('/')) {
    throw new TypeError(`${where}: layer name '${layer.name}' contains '/', which TF.js uses to separate layer and weight names; rename the layer`);
  }
  const keras = layerRegistration(className)?.keras;
  if (keras === undefined) {
    throw new TypeError(`${where}: layer ${layer.name} is a ${className}, which has no Keras mapping; the TF.js export handles ${registeredKerasLayerClasses().join(', ')} layers (a layer class registers its mapping with registerLayer)`);
  }
  const common: Record<string, unknown> = { name: layer.name, trainable: true, dtype: 'float32' };
  if (batchInputShape !== undefined) common.batch_input_shape = [...batchInputShape];
  return { class_name: keras.className ?? className, config: { ...common, ...keras.toKerasConfig(config) } };
}

/**
 * The model's layers in Keras config form. A layer whose mapping names a maskOption (LSTM's
 * maskValue) and has it set becomes what Keras writes for it: a Masking layer (which takes over
 * the model's input shape when it comes first) directly in front of the layer, written without it.
 */
function layersToKeras(layers: readonly Layer[], inputShape: Shape | undefined, where: string): TfjsLayerJSON[] {
  const taken = new Set(layers.map((layer) => layer.name));
  return layers.flatMap((layer, i) => {
    const shape = i === 0 ? inputShape : undefined;
    const { className, config } = layer.getConfig();
    const maskOption = layerRegistration(className)?.keras?.maskOption;
    const maskValue = maskOption === undefined ? null : config[maskOption] ?? null;
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

export interface ParsedTfjsModelJSON {
  modelJSON: Record<string, unknown>;
  manifest: { paths: string[]; weights: ReadWeightSpec[] }[];
}

/**
 * A weight spec as read: a model weight is float32; an optimizer's variable, which is skipped
 * (TF.js' `group: 'optimizer'`, or the .keras converter route's `optimizer/vars/<i>`), may be of
 * another dtype (the iteration counter is int32), and its bytes are counted by its dtype's size.
 */
export interface ReadWeightSpec {
  name: string;
  shape: number[];
  dtype: TfjsDtype;
  /** An optimizer's variable: its bytes are counted, its values not read. */
  skipped: boolean;
  /** TF.js' mark of what includeOptimizer saved, kept so the spec reads the same when checked again. */
  group?: 'optimizer';
}

/** The dtypes of TF.js weight manifests, by their bytes per value (strings have no fixed size and are refused). */
const DTYPE_BYTES = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1, bool: 1, complex64: 8 } as const;
type TfjsDtype = keyof typeof DTYPE_BYTES;

/** The bytes of one weight in the weight data. */
function specBytes(spec: { shape: number[]; dtype: TfjsDtype }): number {
  return DTYPE_BYTES[spec.dtype] * sizeOf(spec.shape);
}

/** Parse and check a model.json (text or object); returns it with its validated manifest. */
export function parseTfjsModelJSON(json: unknown, where = 'parseTfjsModelJSON'): ParsedTfjsModelJSON {
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

/** The bytes each manifest group's files must hold together (4 per float32 value; an optimizer's variables by their dtype). */
export function manifestGroupBytes(parsed: ParsedTfjsModelJSON): number[] {
  return parsed.manifest.map((group) => group.weights.reduce((n, w) => n + specBytes(w), 0));
}

/**
 * Artifacts from a parsed model.json and the bytes of its files (files[g][k] = the k-th path of
 * group g). Each group's files, concatenated, must hold exactly its weights.
 */
export function artifactsFromModelJSON(parsed: ParsedTfjsModelJSON, files: Uint8Array[][], where = 'artifactsFromModelJSON'): TfjsArtifactsInput {
  const { modelJSON, manifest } = parsed;
  if (files.length !== manifest.length) throw new RangeError(`${where}: expected the files of ${manifest.length} weight groups, got ${files.length}`);
  const expectedBytes = manifestGroupBytes(parsed);
  const chunks: Uint8Array[] = [];
  manifest.forEach((group, g) => {
    const got = files[g].reduce((n, f) => n + f.length, 0);
    const expected = expectedBytes[g];
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
// Reading artifacts: check everything (planTfjsModel), then build (buildTfjsModel)
// ---------------------------------------------------------------------------------------------

interface ParsedLayer {
  className: string;
  name: string;
  /** Where the layer sits in the topology, for error messages. */
  label: string;
  options: Record<string, unknown>;
  batchInputShape: Shape | undefined;
  /**
   * Where a .keras file keeps the layer's variables, which the converter's .keras route uses as
   * weight names: `layers/<its Keras class name in snake_case, _1, _2 ... by its place among the
   * model's layers>` (keras/src/saving/saving_lib.py: never the layer's name).
   */
  kerasPath: string;
}

/** A checked TF.js model, not yet built: its layers, input shape, and where each weight's bytes are. */
export interface TfjsModelPlan {
  name: string | undefined;
  layers: Layer[];
  inputShape: Shape;
  /** For each weight of the model, in getWeights() order: its spec's byte offset in the weight data, and its shape. */
  weights: { name: string; offset: number; shape: number[] }[];
  /** The bytes the weight data must hold: every spec's, in weightSpecs order. */
  totalBytes: number;
  /** Whether every spec is float32 (no optimizer variable of another dtype), for messages. */
  allFloat32: boolean;
}

/**
 * Check a topology and weight specs completely, without the weight bytes and without building:
 * every layer's config (through its class's registered Keras mapping and constructor), the input
 * shape, every weight the configs imply (by arithmetic) against the spec of its name (shape), and
 * no spec left over. Throws naming what is wrong; allocates nothing the specs' sizes imply.
 */
export function planTfjsModel(modelTopology: unknown, weightSpecs: unknown, where = 'fromTfjsArtifacts'): TfjsModelPlan {
  const { name, layers: parsed } = readTopology(modelTopology, where);
  const specs = checkWeightSpecs(weightSpecs, `${where}: weightSpecs`);
  const index = indexWeightSpecs(specs, name, where);

  const layers = parsed.map((p, i) => {
    const options = i === 0 && p.batchInputShape !== undefined ? { ...p.options, batchInputShape: p.batchInputShape } : p.options;
    try {
      return layerRegistration(p.className)!.fromConfig(options);
    } catch (error) {
      throw new TypeError(`${where}: ${p.label}: ${(error as Error).message}`, { cause: error });
    }
  });
  const names = new Set<string>();
  for (const layer of layers) {
    if (names.has(layer.name)) throw new TypeError(`${where}: two layers are named '${layer.name}'; layer names must be unique`);
    names.add(layer.name);
  }

  // The declared input shape; without one, the first layer's weights tell it.
  let inputShape = parsed[0].batchInputShape;
  if (inputShape === undefined) {
    const first = parsed[0];
    const mapping = layerRegistration(first.className)!.keras!;
    inputShape = mapping.inputShapeFromWeights?.((weightName) => index.find(first.name, weightName, where, first.kerasPath, layers[0].weightNames.indexOf(weightName)).shape);
    if (inputShape === undefined) throw new TypeError(`${where}: ${first.label}: the input shape is not declared (batch_input_shape) and ${first.className} cannot tell it from its weights`);
  }
  let planned: PlannedWeight[];
  try {
    planned = planWeights(layers, inputShape, where);
  } catch (error) {
    throw new TypeError((error as Error).message.startsWith(where) ? (error as Error).message : `${where}: ${(error as Error).message}`, { cause: error });
  }

  const used = new Set<number>();
  const byLayer = new Map(parsed.map((p, i) => [p.name, { parsed: p, layer: layers[i] }]));
  const weights = planned.map((p) => {
    // The layer it belongs to: its name is the prefix (a wrapper's weights are named layer/inner/weight).
    const ownerName = [...byLayer.keys()].filter((n) => p.name.startsWith(`${n}/`)).sort((a, b) => b.length - a.length)[0];
    const slash = ownerName === undefined ? p.name.lastIndexOf('/') : ownerName.length;
    const layerName = p.name.slice(0, slash);
    const weightName = p.name.slice(slash + 1);
    const owner = byLayer.get(layerName);
    // Its place among the layer's weights: Keras' variable order (LSTM kernel, recurrent_kernel, bias; Dense kernel, bias),
    // and where a .keras file keeps it (layers/lstm/cell/vars/0, layers/bidirectional/forward_layer/cell/vars/0, ...).
    const position = owner === undefined ? -1 : owner.layer.weightNames.indexOf(weightName);
    const relative = position < 0 ? undefined : kerasVariablePaths(owner!.layer)[position];
    const spec = index.find(layerName, weightName, where, owner?.parsed.kerasPath, position, relative);
    if (used.has(spec.index)) throw new RangeError(`${where}: weight '${spec.name}' would serve two weights of the model`);
    used.add(spec.index);
    if (formatShape(spec.shape) !== formatShape(p.shape)) {
      throw new RangeError(`${where}: weight '${spec.name}' has shape ${formatShape(spec.shape)}, but layer ${layerName} as configured needs ${p.name} of shape ${formatShape(p.shape)}`);
    }
    return { name: p.name, offset: spec.offset, shape: p.shape };
  });
  const unused = specs.filter((s, i) => !used.has(i) && !s.skipped).map((s) => s.name);
  if (unused.length > 0) {
    throw new RangeError(`${where}: weightSpecs: ${unused.length} weight(s) belong to no weight of the model: ${unused.map((n) => `'${n}'`).join(', ')} (the model expects ${planned.map((p) => `'${p.name}'`).join(', ')})`);
  }
  return { name, layers, inputShape, weights, totalBytes: index.totalBytes, allFloat32: specs.every((s) => s.dtype === 'float32') };
}

/** Build the planned model from its weight bytes: the byte count checked, the layers built without drawing, the weights set (finite values only). */
export function buildTfjsModel(plan: TfjsModelPlan, bytes: Uint8Array, weightSpecCount: number, where = 'fromTfjsArtifacts'): Sequential {
  if (bytes.length !== plan.totalBytes) {
    throw new RangeError(`${where}: weightData holds ${bytes.length} bytes, but weightSpecs describe ${weightSpecCount} ${plan.allFloat32 ? 'float32 ' : ''}weights of ${plan.totalBytes} bytes (${bytes.length < plan.totalBytes ? 'truncated' : 'too long'}, or the data of another model)`);
  }
  const values = plan.weights.map((w) => new Tensor(fromLittleEndianBytes(bytes.subarray(w.offset, w.offset + 4 * sizeOf(w.shape)), 'float32'), w.shape));
  try {
    const model = withoutDrawing(() => {
      const m = new Sequential(plan.layers, { name: plan.name, dtype: 'float32' });
      m.build(plan.inputShape);
      return m;
    });
    model.setWeights(values);
    return model;
  } catch (error) {
    throw new ((error as Error) instanceof RangeError ? RangeError : TypeError)(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Build a model from TF.js `ModelArtifacts` (as `tf.io.withSaveHandler` hands them over, or as
 * artifactsFromModelJSON assembles them from files). Everything is checked before the model is
 * built (planTfjsModel); the model is float32 and not compiled.
 */
export function fromTfjsArtifacts(artifacts: TfjsArtifactsInput): Sequential {
  const where = 'fromTfjsArtifacts';
  if (!isPlainObject(artifacts)) throw new TypeError(`${where}: expected TF.js ModelArtifacts { modelTopology, weightSpecs, weightData }, got ${describe(artifacts)}`);
  checkFormat(artifacts.format, where);
  const plan = planTfjsModel(artifacts.modelTopology, artifacts.weightSpecs, where);
  const bytes = readWeightData(artifacts.weightData, `${where}: weightData`);
  return buildTfjsModel(plan, bytes, (artifacts.weightSpecs as unknown[]).length, where);
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
  // The Keras converter wraps the model config: { keras_version, backend, model_config, training_config }
  // (its .keras route writes only keras_version and model_config). The compile settings
  // (training_config; compile_config in a Keras 3 model config) are not read.
  const kerasVersion = typeof value.keras_version === 'string' ? value.keras_version : undefined;
  const wrapped = value.model_config !== undefined;
  const modelConfig = wrapped ? value.model_config : value;
  const mat = wrapped ? `${at}.model_config` : at;
  if (wrapped) {
    const w = new KerasConfigReader(value, at);
    for (const key of ['keras_version', 'backend', 'model_config', 'training_config']) w.take(key);
    w.finish();
  }
  if (!isPlainObject(modelConfig)) throw new TypeError(`${mat}: expected { class_name, config }, got ${describe(modelConfig)}`);
  if (modelConfig.class_name !== 'Sequential') {
    throw new TypeError(`${mat}.class_name: lstm-ts reads Sequential models, got ${JSON.stringify(modelConfig.class_name)}${modelConfig.class_name === 'Functional' || modelConfig.class_name === 'Model' ? ' (a functional model: rebuild it as a Sequential stack)' : ''}`);
  }
  // Keras 3's config object frame: module, registered_name, build_config, compile_config.
  const m = new KerasConfigReader(modelConfig, mat);
  m.take('class_name');
  m.take('config');
  checkKerasOrigin(modelConfig, mat);
  m.take('module');
  m.take('registered_name');
  readBuildConfig(m);
  m.take('compile_config');
  if (!wrapped) for (const key of ['keras_version', 'backend']) m.take(key);
  m.finish();
  const config = modelConfig.config;
  // Keras 2.0-2.1 wrote a Sequential's config as the bare list of layers.
  const layerList = Array.isArray(config) ? config : isPlainObject(config) ? config.layers : undefined;
  const name = isPlainObject(config) && typeof config.name === 'string' ? config.name : undefined;
  if (!Array.isArray(layerList)) throw new TypeError(`${mat}.config.layers: expected an array of layer configs, got ${describe(layerList)}`);
  if (isPlainObject(config)) {
    // Keras 3 adds the model's own trainable, dtype (policy) and build_input_shape.
    const c = new KerasConfigReader(config, `${mat}.config`);
    c.take('name');
    c.take('layers');
    c.expect('trainable', (v) => v === true || v === undefined || v === null, 'true (frozen models are not supported)');
    c.dtype();
    const built = c.take('build_input_shape');
    if (built !== undefined && built !== null && !isShapeLike(built)) throw new TypeError(`${mat}.config.build_input_shape: expected [batch or null, ..., features], got ${JSON.stringify(built)}`);
    c.finish();
  }

  const maskTakers = registeredKerasLayerClasses().filter((c) => kerasLayerRegistration(c)!.keras!.maskOption !== undefined);
  const maskTaker = maskTakers.length === 1 ? `an ${maskTakers[0]}` : `a recurrent layer (${listed(maskTakers, 'or')})`;
  const layers: ParsedLayer[] = [];
  const kerasNames = new Map<string, number>(); // saving_lib's names of the layers' groups in a .keras file
  let inputShape: Shape | undefined;
  let masking: ParsedMasking | undefined; // a Masking layer waiting for the layer it masks
  const maskingNeedsTaker = (got: string) => new TypeError(`${masking!.label}: a Masking layer must be directly followed by ${maskTaker} (lstm-ts reads the pair as one ${maskTakers.length === 1 ? maskTakers[0] : 'recurrent layer'} with ${maskTakers.length === 1 ? kerasLayerRegistration(maskTakers[0])!.keras!.maskOption : 'its maskValue'} = mask_value), got ${got}`);
  layerList.forEach((entry: unknown, i) => {
    const lat = `${mat}.config.layers[${i}]`;
    if (!isPlainObject(entry) || typeof entry.class_name !== 'string' || !isPlainObject(entry.config)) {
      throw new TypeError(`${lat}: expected a layer config { class_name, config }, got ${describe(entry)}`);
    }
    const layerName = typeof entry.config.name === 'string' ? entry.config.name : undefined;
    const what = `${entry.class_name}${layerName === undefined ? '' : ` '${layerName}'`}`;
    const label = `${lat} (${what})`;
    // The entry's frame: Keras 3 writes { module, class_name, config, registered_name, build_config }.
    const e = new KerasConfigReader(entry, label);
    e.take('class_name');
    e.take('config');
    checkKerasOrigin(entry, label);
    e.take('module');
    e.take('registered_name');
    readBuildConfig(e);
    e.finish();
    let kerasPath = '';
    if (entry.class_name !== 'InputLayer') {
      const snake = kerasSnakeCase(entry.class_name);
      const seen = kerasNames.get(snake);
      kerasNames.set(snake, seen === undefined ? 0 : seen + 1);
      kerasPath = `layers/${seen === undefined ? snake : `${snake}_${seen + 1}`}`;
    }
    const registration = kerasLayerRegistration(entry.class_name);
    if (masking !== undefined && registration?.keras?.maskOption === undefined) throw maskingNeedsTaker(`layers[${i}], ${what}`);
    if (entry.class_name === 'InputLayer') {
      if (i !== 0) throw new TypeError(`${label}: an InputLayer must come first`);
      inputShape = readInputLayer(entry.config, label);
      return;
    }
    if (entry.class_name === 'Masking') {
      masking = readMasking(entry.config, label);
      return;
    }
    if (registration === undefined) {
      throw new TypeError(`${label}: unsupported layer class '${entry.class_name}'; lstm-ts reads ${listed(registeredKerasLayerClasses())} layers (and a leading InputLayer, and a Masking layer directly before ${maskTaker})`);
    }
    const layer = readLayer(registration, entry.config, label, kerasVersion, kerasPath);
    if (masking !== undefined) {
      layer.options[registration.keras!.maskOption!] = masking.maskValue;
      layer.batchInputShape ??= masking.batchInputShape;
      masking = undefined;
    }
    layers.push(layer);
  });
  if (masking !== undefined) throw maskingNeedsTaker('nothing: it is the last layer');
  if (layers.length === 0) throw new TypeError(`${mat}.config.layers: the model has no ${registeredKerasLayerClasses().join(' or ')} layer`);
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
  const r = new KerasConfigReader(config, where);
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
  const r = new KerasConfigReader(config, where);
  r.take('name');
  // An integer input (keras.Input(..., dtype='int32'), as Embedding models declare theirs) holds
  // numbers the first layer reads as they are: lstm-ts takes them as float32 (exact to 2^24).
  if (typeof config.dtype === 'string' && /^u?int(8|16|32|64)$/.test(config.dtype)) r.take('dtype');
  else r.dtype();
  r.expect('sparse', (v) => v === false || v === null || v === undefined, 'false (sparse inputs are not supported)');
  r.expect('ragged', (v) => v === false || v === null || v === undefined, 'false (ragged inputs are not supported)');
  r.expect('input_tensor', (v) => v === null || v === undefined, 'null');
  // Keras 3: an optional input may be None at call time, which a Sequential stack cannot take.
  r.expect('optional', (v) => v === false || v === null || v === undefined, 'false (optional inputs are not supported)');
  const shape = r.shape();
  r.finish();
  return shape;
}

/** A layer's frame (name, trainable, dtype, input shape) here; the rest by its class's Keras mapping. */
function readLayer(registration: LayerRegistration, config: Record<string, unknown>, where: string, kerasVersion: string | undefined, kerasPath: string): ParsedLayer {
  const r = new KerasConfigReader(config, where, kerasVersion);
  const name = r.take('name');
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${where}: name: expected the layer's name (weights are matched by it), got ${describe(name)}`);
  r.expect('trainable', (v) => v === true || v === undefined || v === null, 'true (frozen layers are not supported)');
  r.dtype();
  const batchInputShape = r.shape();
  const options: Record<string, unknown> = { name, ...registration.keras!.fromKerasConfig(r) };
  r.finish();
  return { className: registration.className, name, label: where, options, batchInputShape, kerasPath };
}

/** Keras 3's build_config ({ input_shape }) of a model or layer entry: the shape it was built for; the weights' shapes are checked against the configs instead. */
function readBuildConfig(r: KerasConfigReader): void {
  const build = r.take('build_config');
  if (build === undefined || build === null) return;
  const at = `${r.where}: build_config`;
  if (!isPlainObject(build)) throw new TypeError(`${at}: expected { input_shape }, got ${describe(build)}`);
  const b = new KerasConfigReader(build, at);
  const shape = b.take('input_shape');
  if (shape !== undefined && shape !== null && !isShapeLike(shape)) throw new TypeError(`${at}.input_shape: expected [batch or null, ..., features], got ${JSON.stringify(shape)}`);
  b.finish();
}

function isShapeLike(value: unknown): boolean {
  return Array.isArray(value) && value.every((d) => d === null || (Number.isSafeInteger(d) && d >= 0));
}

/** keras/src/utils/naming.py to_snake_case: 'LSTM' → 'lstm', 'Dense' → 'dense', 'SimpleRNN' → 'simple_rnn'. */
function kerasSnakeCase(name: string): string {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The converter's .keras route names the optimizer's variables by their place in the file: optimizer/vars/<i>. */
const KERAS_OPTIMIZER_VARIABLE = /^optimizer\/vars\/\d+$/;

function checkWeightSpecs(value: unknown, where: string): ReadWeightSpec[] {
  if (!Array.isArray(value)) throw new TypeError(`${where}: expected an array of { name, shape, dtype }, got ${describe(value)}`);
  return value.map((spec: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(spec)) throw new TypeError(`${at}: expected { name, shape, dtype }, got ${describe(spec)}`);
    const { name, shape, dtype, quantization, group } = spec;
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${at}.name: expected a weight name such as 'lstm_1/kernel', got ${JSON.stringify(name)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`${at}.shape (${name}): expected an array of sizes, got ${JSON.stringify(shape)}`);
    }
    // TF.js marks what it saves with includeOptimizer as group 'optimizer'; the .keras converter route names it optimizer/vars/<i>.
    if (group !== undefined && group !== null && group !== 'model' && group !== 'optimizer') {
      throw new TypeError(`${at}.group (${name}): expected 'model' or 'optimizer', got ${JSON.stringify(group)}`);
    }
    const skipped = group === 'optimizer' || KERAS_OPTIMIZER_VARIABLE.test(name);
    if (quantization !== undefined && quantization !== null) {
      throw new TypeError(`${at} (${name}): quantized weights (${JSON.stringify(quantization)}) are not supported; convert without --quantize_* options`);
    }
    if (!skipped) {
      if (dtype !== undefined && dtype !== 'float32') throw new TypeError(`${at}.dtype (${name}): expected 'float32', got ${JSON.stringify(dtype)}`);
      return { name, shape: [...shape], dtype: 'float32', skipped };
    }
    if (dtype !== undefined && !(typeof dtype === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype))) {
      throw new TypeError(`${at}.dtype (${name}, an optimizer variable): expected one of ${Object.keys(DTYPE_BYTES).map((d) => `'${d}'`).join(', ')} (a string weight has no fixed byte size), got ${JSON.stringify(dtype)}`);
    }
    return { name, shape: [...shape], dtype: (dtype ?? 'float32') as TfjsDtype, skipped, ...(group === 'optimizer' ? { group } : {}) };
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

interface IndexedSpec {
  index: number;
  name: string;
  shape: number[];
  /** Where its bytes start in the weight data. */
  offset: number;
}

/**
 * The specs by name, and their byte offsets (every spec's bytes by its dtype, skipped ones too). A
 * model weight `layer/weight` is found under, in this order:
 *   1. `layer/weight` (lstm-ts, TF.js);
 *   2. `layer/<cell>/weight` (tf.keras 2.x: lstm/lstm_cell/kernel; the cell's name dropped, as TF.js does);
 *   3. either of those behind the model's name (Keras 3's variable paths: sequential/lstm/lstm_cell/kernel,
 *      sequential/dense/kernel);
 *   4. by position, as the converter's .keras route names them: `<kerasPath>/vars/<i>` or
 *      `<kerasPath>/cell/vars/<i>` (layers/dense/vars/1, layers/lstm/cell/vars/0), i the weight's
 *      place in the layer's weights, which is Keras' variable order.
 * The optimizer's variables (skipped) are never a model weight.
 */
function indexWeightSpecs(specs: ReadWeightSpec[], modelName: string | undefined, where: string) {
  const exact = new Map<string, IndexedSpec>();
  const shortened = new Map<string, IndexedSpec[]>();
  const prefixed = new Map<string, IndexedSpec>();
  const prefixedShort = new Map<string, IndexedSpec[]>();
  const seen = new Set<string>();
  const prefix = modelName === undefined || modelName.length === 0 ? undefined : `${modelName}/`;
  /** layer/cell/weight → layer/weight (tf.keras 2.x: lstm/lstm_cell/kernel) */
  const shorten = (name: string): string | undefined => {
    const tokens = name.split('/');
    return tokens.length >= 3 ? [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/') : undefined;
  };
  const add = (map: Map<string, IndexedSpec[]>, key: string | undefined, entry: IndexedSpec) => {
    if (key !== undefined) map.set(key, [...(map.get(key) ?? []), entry]);
  };
  let offset = 0;
  specs.forEach((spec, index) => {
    const name = spec.name.replace(/:0$/, '');
    if (seen.has(name)) throw new RangeError(`${where}: weightSpecs name the weight '${name}' twice`);
    seen.add(name);
    const entry = { index, name: spec.name, shape: spec.shape, offset };
    offset += specBytes(spec);
    if (spec.skipped) return;
    exact.set(name, entry);
    add(shortened, shorten(name), entry);
    if (prefix !== undefined && name.startsWith(prefix)) {
      const rest = name.slice(prefix.length);
      prefixed.set(rest, entry);
      add(prefixedShort, shorten(rest), entry);
    }
  });
  const one = (candidates: IndexedSpec[] | undefined, key: string, at: string): IndexedSpec | undefined => {
    if (candidates !== undefined && candidates.length > 1) throw new RangeError(`${at}: the weights ${candidates.map((c) => `'${c.name}'`).join(', ')} all match ${key}`);
    return candidates?.[0];
  };
  return {
    totalBytes: offset,
    /** The spec for layerName/weightName: by name, else (kerasPath given) by its position among the layer's weights. */
    find(layerName: string, weightName: string, at: string, kerasPath?: string, position = -1, relative?: string): IndexedSpec {
      const key = `${layerName}/${weightName}`;
      let found = exact.get(key) ?? one(shortened.get(key), key, at) ?? prefixed.get(key) ?? one(prefixedShort.get(key), `${prefix}${key}`, at);
      // A .keras file's path, as the layer's mapping says (kerasVariablePaths), then the older guess below.
      if (found === undefined && kerasPath !== undefined && kerasPath.length > 0 && relative !== undefined) found = exact.get(`${kerasPath}/${relative}`);
      if (found === undefined && kerasPath !== undefined && kerasPath.length > 0 && position >= 0) {
        const own = exact.get(`${kerasPath}/vars/${position}`);
        const cell = exact.get(`${kerasPath}/cell/vars/${position}`);
        if (own !== undefined && cell !== undefined) throw new RangeError(`${at}: the weights '${own.name}' and '${cell.name}' both match ${key}`);
        found = own ?? cell;
      }
      if (found === undefined) {
        const forms = [`'${layerName}/<cell>/${weightName}'`, ...(prefix === undefined ? [] : [`'${prefix}${key}'`]), ...(kerasPath && position >= 0 ? [`'${kerasPath}/[cell/]vars/${position}'`] : [])];
        throw new RangeError(`${at}: no weight named '${key}' (or ${forms.join(', or ')}); the artifacts hold ${specs.map((s) => `'${s.name}'`).join(', ') || 'no weights'}`);
      }
      return found;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

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

/** 'A', 'A and B', 'A, B and C' (or with 'or'), for messages. */
function listed(names: readonly string[], conjunction = 'and'): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} ${conjunction} ${names[names.length - 1]}`;
}
