/**
 * A Sequential model as plain JSON: the architecture (every layer config field written out, never
 * left to defaults), the compile settings, the weights, and the optimizer's state, so training
 * resumes exactly where it stopped. This file knows no Sequential: `Sequential.toJSON()` hands it
 * a ModelDescription and `Sequential.fromJSON()` builds the model from what `decodeModelJSON`
 * returns.
 *
 * Weights are exact: each tensor's values are stored as little-endian bytes in base64 with a
 * CRC-32, so a loaded model predicts bit for bit what the saved one did. The document as a whole
 * has a CRC-32 too (`checksum`: over its canonical JSON, each tensor's data standing in by its
 * own CRC-32), so a changed config, compile setting or optimizer state is refused as well as a
 * damaged weight.
 *
 * Files are untrusted. `decodeModelJSON` checks the whole document before anything is built:
 * every field's presence, type and range (unknown fields are refused), each layer's config as its
 * class reads it back, every weight's and optimizer slot's shape against what the configs imply
 * (arithmetic on the validated configs, through the layer registry's weightShapes: nothing is
 * allocated for a size the data does not hold), the bytes, the checksums, finite values. The
 * model is then built without drawing initial weights (tensor/initializers.ts, withoutDrawing),
 * so loading neither consumes random numbers nor spends time drawing weights it replaces.
 * Carried LSTM states are not saved (as Keras).
 */
import type { Layer, LayerConfig, Shape } from '../layers/layer.js';
import { layerFromConfig, layerRegistration } from '../layers/registry.js';
import { getLoss, type Loss } from '../losses/index.js';
import { resolveMetrics } from './metrics.js';
import { optimizerRegistration, registeredOptimizerClasses, type Optimizer } from '../optim/index.js';
import { checkDType, type DType } from '../tensor/alloc.js';
import { crc32, crc32OfText, decodeBase64, encodeBase64, fromLittleEndianBytes, toLittleEndianBytes } from '../tensor/bytes.js';
import { withoutDrawing } from '../tensor/initializers.js';
import { Tensor, describe, formatShape } from '../tensor/tensor.js';

export const FORMAT = 'lstm-ts-sequential';
/** 2: the document checksum (version 1 had per-weight checksums only). */
export const FORMAT_VERSION = 2;

/**
 * The most values a loader allocates for buffers that a declared batch input shape sizes (a
 * stateful LSTM's carried state, the forward cache made at build): batch × time steps × the
 * widest layer. A file declaring more is refused; 2^28 float32 values are 1 GiB.
 */
export const MAX_DECLARED_BUFFER = 2 ** 28;

export interface SerializedTensor {
  shape: number[];
  dtype: DType;
  /** Little-endian values, base64. */
  data: string;
  /** CRC-32 of the bytes, 8 hex digits. */
  crc32: string;
}

export interface SequentialJSON {
  format: typeof FORMAT;
  formatVersion: number;
  modelConfig: { name: string; dtype: DType; inputShape: Shape; layers: LayerConfig[] };
  compileConfig: { loss: string; metrics: string[]; optimizer: { className: string; config: Record<string, unknown> } } | null;
  /** One entry per weight, in getWeights() order. */
  weights: (SerializedTensor & { name: string })[];
  optimizerState: { iterations: number; slots: SerializedTensor[][] } | null;
  /** CRC-32 of the document's canonical JSON without this field, each tensor's data left out (its crc32 stands for it). */
  checksum: string;
}

/** What modelToJSON needs of a model (Sequential.toJSON hands it over). */
export interface ModelDescription {
  name: string;
  dtype: DType;
  inputShape: Shape;
  layers: readonly Layer[];
  weightNames: readonly string[];
  weights: readonly Tensor[];
  compile: { loss: string; metrics: string[]; optimizer: Optimizer } | undefined;
}

/** A checked document, ready to become a model (Sequential.fromJSON builds it). */
export interface DecodedModel {
  name: string;
  dtype: DType;
  inputShape: Shape;
  /** New, unbuilt layers, in order. */
  layers: Layer[];
  /** One per weight, in getWeights() order, each checked against the configs. */
  weights: Tensor[];
  /** The compile settings; the optimizer carries its saved state already. */
  compile: { loss: Loss; metrics: string[]; optimizer: Optimizer } | undefined;
}

export function serializeTensor(t: Tensor): SerializedTensor {
  const bytes = toLittleEndianBytes(t.data);
  return { shape: [...t.shape], dtype: t.dtype, data: encodeBase64(bytes), crc32: crc32(bytes) };
}

export function modelToJSON(model: ModelDescription): SequentialJSON {
  const optimizer = model.compile?.optimizer;
  const state = optimizer?.getState();
  const doc: Omit<SequentialJSON, 'checksum'> = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    modelConfig: {
      name: model.name,
      dtype: model.dtype,
      inputShape: [...model.inputShape],
      layers: model.layers.map((l) => l.getConfig()),
    },
    compileConfig: model.compile === undefined ? null : {
      loss: model.compile.loss,
      metrics: [...model.compile.metrics],
      optimizer: { className: optimizer!.className, config: optimizer!.getConfig() },
    },
    weights: model.weights.map((w, i) => ({ name: model.weightNames[i], ...serializeTensor(w) })),
    optimizerState: state === undefined ? null : { iterations: state.iterations, slots: state.slots.map((s) => s.map(serializeTensor)) },
  };
  // Through JSON once, so the checksum is of exactly what a reader sees (undefined fields dropped, -0 as 0).
  const plain = JSON.parse(JSON.stringify(doc)) as Omit<SequentialJSON, 'checksum'>;
  return { ...plain, checksum: documentChecksum(plain) };
}

/** Run `body`, prefixing the errors of the parts it calls (a layer constructor, setWeights, getLoss) with `where`. */
export function withContext<T>(where: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith(where)) throw error;
    const Kind = error instanceof SyntaxError ? SyntaxError : error instanceof TypeError ? TypeError : error instanceof RangeError ? RangeError : Error;
    throw Object.assign(new Kind(`${where}: ${message}`), { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// The weights a configuration implies, by arithmetic
// ---------------------------------------------------------------------------------------------

export interface PlannedWeight {
  /** 'lstm_1/kernel' */
  name: string;
  shape: number[];
}

/**
 * The weights (name and shape, in getWeights() order) of these unbuilt layers built for
 * `inputShape`, computed from their configs through the layer registry's weightShapes, with no
 * allocation (a layer class registered without weightShapes is built on a copy without drawing).
 * Also refuses a declared batch input shape whose buffers would exceed MAX_DECLARED_BUFFER values.
 */
export function planWeights(layers: readonly Layer[], inputShape: Shape, where: string): PlannedWeight[] {
  const planned: PlannedWeight[] = [];
  let shape: Shape = [...inputShape];
  let widest = typeof inputShape[inputShape.length - 1] === 'number' ? (inputShape[inputShape.length - 1] as number) : 1;
  layers.forEach((layer, i) => {
    const { className, config } = layer.getConfig();
    const registration = layerRegistration(className);
    let shapes: number[][];
    try {
      if (registration?.weightShapes !== undefined) {
        shapes = registration.weightShapes(config, shape);
      } else {
        const copy = registration !== undefined ? registration.fromConfig(config) : layer;
        if (copy.built) throw new Error(`layer ${layer.name} is already built`);
        shapes = withoutDrawing(() => {
          copy.build(shape);
          return copy.trainableWeights.map((w) => [...w.shape]);
        });
      }
    } catch (error) {
      const from = i === 0 ? 'the model input' : `layer ${layers[i - 1].name}`;
      throw new RangeError(`${where}: layer ${layer.name} cannot take ${from} of shape ${formatShape(shape)}: ${(error as Error).message}`, { cause: error });
    }
    const names = layer.weightNames;
    if (names.length !== shapes.length) throw new Error(`${where}: layer ${layer.name} names ${names.length} weights but has ${shapes.length}`);
    shapes.forEach((s, k) => {
      planned.push({ name: `${layer.name}/${names[k]}`, shape: s });
      if (s.length > 0) widest = Math.max(widest, s[s.length - 1]);
    });
    shape = layer.computeOutputShape(shape);
  });
  // With the batch size declared, layers may allocate for it at build (LSTM: carried state, the forward cache).
  const declared = inputShape[0] === null ? 0 : inputShape.slice(0, -1).reduce<number>((n, d) => n * (d ?? 1), 1);
  if (declared * widest > MAX_DECLARED_BUFFER) {
    throw new RangeError(`${where}: the input shape ${formatShape(inputShape)} declares batches of ${declared} rows for layers up to ${widest} wide, ${declared * widest} values per buffer; lstm-ts allocates at most ${MAX_DECLARED_BUFFER} for a loaded model's declared batch shape`);
  }
  return planned;
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

const TOP_KEYS = ['format', 'formatVersion', 'modelConfig', 'compileConfig', 'weights', 'optimizerState', 'checksum'];
const TENSOR_KEYS = ['shape', 'dtype', 'data', 'crc32'];

/** Parse and check a saved document (an object, or its JSON text) completely; nothing is built. */
export function decodeModelJSON(json: unknown, where = 'Sequential.fromJSON'): DecodedModel {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (error) {
      throw new SyntaxError(`${where}: the text is not valid JSON (truncated or corrupted?): ${(error as Error).message}`);
    }
  }
  if (!isPlainObject(doc)) throw new TypeError(`${where}: expected a saved model object, got ${describe(doc)}`);
  const d = doc;
  if (d.format !== FORMAT) throw new TypeError(`${where}: format: expected ${JSON.stringify(FORMAT)}, got ${JSON.stringify(d.format)}`);
  if (d.formatVersion !== FORMAT_VERSION) {
    throw new TypeError(`${where}: formatVersion: this version of lstm-ts reads version ${FORMAT_VERSION}, got ${JSON.stringify(d.formatVersion)}${d.formatVersion === 1 ? ' (written by an earlier lstm-ts 0.x without a document checksum: load it there and save it again, or rebuild the model and setWeights)' : ''}`);
  }

  // The architecture.
  const mc = d.modelConfig;
  if (!isPlainObject(mc) || !Array.isArray(mc.layers) || !Array.isArray(mc.inputShape)) {
    throw new TypeError(`${where}: modelConfig: expected { name, dtype, inputShape, layers }, got ${describe(mc)}`);
  }
  onlyKeys(mc, ['name', 'dtype', 'inputShape', 'layers'], `${where}: modelConfig`);
  if (typeof mc.name !== 'string' || mc.name.length === 0) throw new TypeError(`${where}: modelConfig.name: expected a non-empty string, got ${describe(mc.name)}`);
  const dtype = checkDType(mc.dtype, `${where}: modelConfig.dtype`);
  const inputShape = checkInputShape(mc.inputShape, `${where}: modelConfig.inputShape`);
  if (mc.layers.length === 0) throw new RangeError(`${where}: modelConfig.layers: expected at least one layer, got none`);
  const layers = mc.layers.map((entry: unknown, i) => readLayer(entry, dtype, `${where}: modelConfig.layers[${i}]`));
  const names = new Set<string>();
  layers.forEach((layer, i) => {
    if (names.has(layer.name)) throw new TypeError(`${where}: modelConfig.layers[${i}]: a second layer named '${layer.name}'; layer names must be unique`);
    names.add(layer.name);
  });
  const planned = planWeights(layers, inputShape, where);

  // The weights, each against its place in the architecture.
  if (!Array.isArray(d.weights) || d.weights.length !== planned.length) {
    throw new RangeError(`${where}: weights: expected ${planned.length} weights (${planned.map((p) => p.name).join(', ')}), got ${Array.isArray(d.weights) ? d.weights.length : typeof d.weights}`);
  }
  const weights = d.weights.map((w: unknown, i) => {
    const { name, shape } = planned[i];
    const entry = w as Record<string, unknown> | null;
    if (!isPlainObject(entry) || entry.name !== name) throw new RangeError(`${where}: weights[${i}]: expected the weight named ${name}, got ${JSON.stringify(isPlainObject(entry) ? entry.name : entry)}`);
    onlyKeys(entry, ['name', ...TENSOR_KEYS], `${where}: weights[${i}] (${name})`);
    const declared = checkShape(entry.shape, `${where}: weights[${i}] (${name})`);
    if (formatShape(declared) !== formatShape(shape)) {
      throw new RangeError(`${where}: weight ${i} (${name}) has shape ${formatShape(declared)}, expected ${formatShape(shape)} for the layer as configured`);
    }
    return readTensor(entry, shape, dtype, `${where}: weights[${i}] (${name})`);
  });

  // The compile settings and the optimizer's state.
  if (!('compileConfig' in d)) throw new TypeError(`${where}: compileConfig is missing; expected null (a model saved uncompiled) or { loss, metrics, optimizer }`);
  if (!('optimizerState' in d)) throw new TypeError(`${where}: optimizerState is missing; expected null or { iterations, slots }`);
  let compile: DecodedModel['compile'];
  const cc = d.compileConfig;
  if (cc !== null) {
    if (!isPlainObject(cc)) throw new TypeError(`${where}: compileConfig: expected null or { loss, metrics, optimizer }, got ${describe(cc)}`);
    const loss = getLoss(cc.loss as string);
    if (!Array.isArray(cc.metrics) || !cc.metrics.every((m) => typeof m === 'string')) {
      throw new TypeError(`${where}: compileConfig.metrics: expected an array of metric names, got ${describe(cc.metrics)}`);
    }
    // As compile will read them: each known, named once, and fitting the loss's targets and the output.
    resolveMetrics(cc.metrics, loss.name, (layers[layers.length - 1].getConfig().config.units as number | undefined) ?? 0, `${where}: compileConfig.metrics`);
    onlyKeys(cc, ['loss', 'metrics', 'optimizer'], `${where}: compileConfig`);
    const optimizer = readOptimizer(cc.optimizer, `${where}: compileConfig.optimizer`);
    if (d.optimizerState !== null) readOptimizerState(d.optimizerState, optimizer, planned, dtype, `${where}: optimizerState`);
    compile = { loss, metrics: [...cc.metrics as string[]], optimizer };
  } else if (d.optimizerState !== null) {
    throw new TypeError(`${where}: optimizerState: expected null for a model saved uncompiled (compileConfig null), got ${describe(d.optimizerState)}`);
  }

  onlyKeys(d, TOP_KEYS, where);
  const sum = documentChecksum(d);
  if (d.checksum !== sum) {
    throw new RangeError(`${where}: checksum mismatch: the document's CRC-32 is ${sum}, the file says ${JSON.stringify(d.checksum)} (the file was changed after it was saved, or corrupted)`);
  }
  return { name: mc.name, dtype, inputShape, layers, weights, compile };
}

function readLayer(entry: unknown, dtype: DType, where: string): Layer {
  if (!isPlainObject(entry) || !isPlainObject(entry.config)) throw new TypeError(`${where}: expected a layer config { className, config }, got ${describe(entry)}`);
  const layer = layerFromConfig(entry as unknown as LayerConfig, where);
  onlyKeys(entry, ['className', 'config'], where);
  // The layer must read back exactly what the file says: every field present, in its canonical spelling.
  const { config } = layer.getConfig();
  for (const key of Object.keys(config)) {
    if (!Object.prototype.hasOwnProperty.call(entry.config, key)) throw new TypeError(`${where}: config.${key} is missing; every config field is written out (its default may differ between versions)`);
    if (canonicalJSON(config[key]) !== canonicalJSON(entry.config[key])) {
      throw new TypeError(`${where}: config.${key} is ${JSON.stringify(entry.config[key])}, which ${layer.name} reads as ${JSON.stringify(config[key])}; a saved config holds the canonical values`);
    }
  }
  onlyKeys(entry.config, Object.keys(config), `${where}.config`);
  if (layer.dtype !== dtype) throw new TypeError(`${where}: config.dtype is '${layer.dtype}', but modelConfig.dtype is '${dtype}'`);
  return layer;
}

function readOptimizer(spec: unknown, where: string): Optimizer {
  if (!isPlainObject(spec) || !isPlainObject(spec.config)) throw new TypeError(`${where}: expected { className, config }, got ${describe(spec)}`);
  const registration = optimizerRegistration(spec.className);
  if (registration === undefined) {
    throw new TypeError(`${where}: unknown optimizer class ${JSON.stringify(spec.className)}; expected one of ${registeredOptimizerClasses().map((c) => `'${c}'`).join(', ')}`);
  }
  onlyKeys(spec, ['className', 'config'], where);
  const optimizer = registration.fromConfig(spec.config);
  const config = optimizer.getConfig();
  for (const key of Object.keys(config)) {
    if (!Object.prototype.hasOwnProperty.call(spec.config, key)) throw new TypeError(`${where}: config.${key} is missing; every option is written out`);
    if (canonicalJSON(config[key]) !== canonicalJSON(spec.config[key])) throw new TypeError(`${where}: config.${key} is ${JSON.stringify(spec.config[key])}, read as ${JSON.stringify(config[key])}`);
  }
  onlyKeys(spec.config, Object.keys(config), `${where}.config`);
  return optimizer;
}

function readOptimizerState(state: unknown, optimizer: Optimizer, planned: PlannedWeight[], dtype: DType, where: string): void {
  if (!isPlainObject(state)) throw new TypeError(`${where}: expected null or { iterations, slots }, got ${describe(state)}`);
  const { iterations, slots } = state;
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < 0) {
    throw new RangeError(`${where}: iterations: expected a non-negative integer (at most 2^53 - 1), got ${describe(iterations)}`);
  }
  if (!Array.isArray(slots)) throw new TypeError(`${where}.slots: expected an array, got ${describe(slots)}`);
  onlyKeys(state, ['iterations', 'slots'], where);
  if (slots.length !== 0 && slots.length !== planned.length) {
    throw new RangeError(`${where}.slots: expected one entry per weight (${planned.length}), got ${slots.length}`);
  }
  const slotNames = optimizer.slotNames;
  const nonNegative = optimizerRegistration(optimizer.className)?.nonNegativeSlots ?? [];
  const tensors = slots.map((entry: unknown, i) => {
    if (!Array.isArray(entry) || entry.length !== slotNames.length) {
      throw new RangeError(`${where}.slots[${i}]: expected ${slotNames.length} slot tensors [${slotNames.join(', ')}] for this ${optimizer.className} configuration, got ${Array.isArray(entry) ? entry.length : describe(entry)}`);
    }
    return entry.map((s: unknown, k) => {
      const at = `${where}.slots[${i}][${k}]`;
      if (!isPlainObject(s)) throw new TypeError(`${at}: expected { shape, dtype, data, crc32 }, got ${describe(s)}`);
      onlyKeys(s, TENSOR_KEYS, at);
      const declared = checkShape(s.shape, at);
      if (formatShape(declared) !== formatShape(planned[i].shape)) {
        throw new RangeError(`${at}: shape ${formatShape(declared)} does not match weight ${planned[i].name} ${formatShape(planned[i].shape)}`);
      }
      const t = readTensor(s, planned[i].shape, dtype, at);
      if (nonNegative.includes(slotNames[k])) {
        const j = t.data.findIndex((v) => v < 0);
        if (j >= 0) throw new RangeError(`${at} (${optimizer.className} ${slotNames[k]}): holds ${t.data[j]} at flat index ${j}; this slot is never negative`);
      }
      return t;
    });
  });
  optimizer.setState({ iterations, slots: tensors });
}

/** A serialized tensor whose shape is already checked: dtype, byte length (before decoding), CRC-32, finite values. */
function readTensor(s: Record<string, unknown>, shape: readonly number[], dtype: DType, where: string): Tensor {
  const got = checkDType(s.dtype, `${where}: dtype`);
  if (got !== dtype) throw new TypeError(`${where}: dtype: expected '${dtype}' (the model's), got '${got}'`);
  if (typeof s.data !== 'string') throw new TypeError(`${where}: data: expected a base64 string, got ${typeof s.data}`);
  const width = dtype === 'float64' ? 8 : 4;
  const expectedBytes = shape.reduce((n, d) => n * d, 1) * width;
  const padding = s.data.endsWith('==') ? 2 : s.data.endsWith('=') ? 1 : 0;
  const length = (s.data.length / 4) * 3 - padding;
  if (s.data.length % 4 === 0 && length !== expectedBytes) {
    throw new RangeError(`${where}: data holds ${length} bytes, expected ${expectedBytes} for a ${dtype} tensor of shape ${formatShape(shape)} (truncated or corrupted)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(s.data);
  } catch (error) {
    throw new RangeError(`${where}: data: ${(error as Error).message}`);
  }
  if (bytes.length !== expectedBytes) {
    throw new RangeError(`${where}: data holds ${bytes.length} bytes, expected ${expectedBytes} for a ${dtype} tensor of shape ${formatShape(shape)} (truncated or corrupted)`);
  }
  const sum = crc32(bytes);
  if (sum !== s.crc32) throw new RangeError(`${where}: checksum mismatch: the data's CRC-32 is ${sum}, the file says ${JSON.stringify(s.crc32)} (corrupted)`);
  const values = fromLittleEndianBytes(bytes, dtype);
  for (let j = 0; j < values.length; j++) {
    if (!Number.isFinite(values[j])) throw new RangeError(`${where}: holds ${values[j]} at flat index ${j}; expected finite numbers`);
  }
  return new Tensor(values, shape);
}

function checkShape(value: unknown, where: string): number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${where}: shape: expected an array of sizes, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

function checkInputShape(value: unknown[], where: string): Shape {
  if (value.length < 2 || !value.every((d) => d === null || (Number.isSafeInteger(d) && (d as number) > 0))) {
    throw new RangeError(`${where}: expected [batch or null, ..., features] with positive integer sizes, got ${JSON.stringify(value)}`);
  }
  if (value[value.length - 1] === null) throw new RangeError(`${where}: the feature count (last axis) must be known, got ${JSON.stringify(value)}`);
  return value as Shape;
}

/** Refuse fields other than `allowed` (each allowed field is checked by its own reader, so a missing one is refused there). */
function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new TypeError(`${where}: unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected only ${allowed.join(', ')}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// The document checksum
// ---------------------------------------------------------------------------------------------

/** The CRC-32 of the document's canonical JSON, without `checksum` and without each tensor's data (its crc32 covers it). */
export function documentChecksum(doc: Record<string, unknown>): string {
  const { checksum: _checksum, ...rest } = doc;
  const strip = (t: unknown): unknown => {
    if (!isPlainObject(t)) return t;
    const { data: _data, ...kept } = t;
    return kept;
  };
  const weights = Array.isArray(rest.weights) ? rest.weights.map(strip) : rest.weights;
  const state = rest.optimizerState;
  const optimizerState = isPlainObject(state) && Array.isArray(state.slots)
    ? { ...state, slots: state.slots.map((s: unknown) => (Array.isArray(s) ? s.map(strip) : s)) }
    : state;
  return crc32OfText(canonicalJSON({ ...rest, weights, optimizerState }));
}

/** JSON with every object's keys sorted, so the text (and its checksum) does not depend on key order. */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJSON(obj[k])}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}
