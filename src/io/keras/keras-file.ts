/**
 * Keras files as a neutral description: the parsed model config, the compile config, and every
 * weight (shape, dtype, values) by its HDF5 path, before any lstm-ts layer is involved. The layer
 * mappings (Keras config <-> lstm-ts config, beside each layer) build on this; this file knows only
 * the two containers:
 *
 * - Keras 3 `.keras`: a zip of `metadata.json` ({ keras_version, date_saved }), `config.json` (the
 *   serialized model, with `compile_config` at its top level when the model was compiled) and
 *   `model.weights.h5` (variables at `layers/<name>/[cell/]vars/<i>`, `optimizer/vars/<i>`; Keras
 *   3.10+ omits empty groups, older 3.x writes them).
 * - legacy `.h5` (tf.keras 2.x, and Keras 3's `model.save('x.h5')`): root attributes
 *   `model_config` and `training_config` (JSON), `keras_version`, `backend`, and a `model_weights`
 *   group whose `layer_names` attribute lists the layers in order and each layer group's
 *   `weight_names` its weights in order (long lists split as `layer_names0`, `layer_names1`, ...).
 */
import { readHdf5, type H5AttributeValue, type H5Data, type H5DType, type H5Group } from './hdf5-read.js';
import { h5DTypeOf, writeHdf5 } from './hdf5-write.js';
import { toKerasJson } from './json.js';
import { listZip, readZipEntry, writeZip } from './zip.js';

export type KerasWeightDType = H5DType;

export interface KerasWeight {
  shape: number[];
  dtype: KerasWeightDType;
  /** Row-major values; 64-bit integers (an optimizer's iteration count) as BigInt64Array. */
  data: H5Data;
}

export interface KerasLegacyLayer {
  /** The layer's name, as in `model_weights`' `layer_names`. */
  name: string;
  /** Its weights in Keras' order, each the HDF5 path of a key in `weights`. */
  weightPaths: string[];
}

export interface KerasFileDescription {
  format: 'keras' | 'h5';
  /** The version of Keras that wrote the file (`metadata.json` or the `keras_version` attribute). */
  kerasVersion: string | undefined;
  /** `.keras`: `metadata.json` as parsed. */
  metadata?: Record<string, unknown>;
  /** `config.json`, or the `.h5` file's `model_config`, as parsed (its `compile_config` included). */
  config: Record<string, unknown>;
  /** `config.json`'s `compile_config`, or the `.h5` file's `training_config`, when present. */
  compileConfig?: Record<string, unknown>;
  /** Every dataset of the weights file by its HDF5 path ('layers/lstm/cell/vars/0'). */
  weights: Map<string, KerasWeight>;
  /** `.h5` only: the layers and their weights in the order Keras lists them. */
  legacyLayers?: KerasLegacyLayer[];
  /** `.h5` only: the `backend` attribute. */
  backend?: string;
}

/** What `writeKerasFile` needs: a config, optionally a compile config, and the variables. */
export interface KerasFileContents {
  kerasVersion?: string;
  config: Record<string, unknown>;
  compileConfig?: Record<string, unknown>;
  weights: Map<string, { shape: readonly number[]; data: H5Data }> | Iterable<[string, { shape: readonly number[]; data: H5Data }]>;
}

/** The Keras version written into metadata.json when the contents give none. */
export const KERAS_WRITE_VERSION = '3.15.1';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, fileName: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fileName}: ${what} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(value)) throw new Error(`${fileName}: ${what} must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  return value;
}

function collectWeights(group: H5Group, prefix: string, out: Map<string, KerasWeight>): void {
  for (const [name, child] of group.children) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (child.kind === 'group') collectWeights(child, path, out);
    else out.set(path, { shape: child.shape, dtype: child.dtype, data: child.data });
  }
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46];

/** Reads a `.keras` zip or a legacy `.h5` file, told apart by their first bytes. */
export function readKerasBytes(bytes: Uint8Array, fileName = 'Keras file'): KerasFileDescription {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fileName}: expected the file's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const starts = (sig: number[]): boolean => sig.every((v, i) => bytes[i] === v);
  if (starts(ZIP_SIGNATURE)) return readKerasZip(bytes, fileName);
  if (starts(HDF5_SIGNATURE)) return readKerasH5(bytes, fileName);
  throw new Error(`${fileName}: neither a .keras file (a zip, starting 'PK') nor a legacy Keras .h5 file (HDF5), judging by its first bytes`);
}

/** Reads a Keras 3 `.keras` file (zip: metadata.json, config.json, model.weights.h5). */
export function readKerasZip(bytes: Uint8Array, fileName = 'model.keras'): KerasFileDescription {
  const entries = listZip(bytes, fileName);
  const entry = (name: string): Uint8Array => {
    const e = entries.get(name);
    if (!e) throw new Error(`${fileName}: the archive has no '${name}' (entries: ${[...entries.keys()].map((k) => `'${k}'`).join(', ') || 'none'}); is it a .keras file?`);
    return readZipEntry(bytes, e, fileName);
  };
  const text = (name: string): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(entry(name));
    } catch (e) {
      if (e instanceof TypeError) throw new Error(`${fileName}: '${name}' is not UTF-8 text`);
      throw e;
    }
  };
  const metadata = parseJson(text('metadata.json'), fileName, "'metadata.json'");
  const config = parseJson(text('config.json'), fileName, "'config.json'");
  const kerasVersion = metadata.keras_version;
  if (kerasVersion !== undefined && typeof kerasVersion !== 'string') throw new Error(`${fileName}: 'metadata.json' keras_version must be a string, got ${typeof kerasVersion}`);
  const compileConfig = config.compile_config;
  if (compileConfig !== undefined && compileConfig !== null && !isObject(compileConfig)) throw new Error(`${fileName}: 'config.json' compile_config must be an object or null`);
  if (!entries.has('model.weights.h5') && entries.has('model.weights.npz')) {
    throw new Error(`${fileName}: its weights are in 'model.weights.npz' (saved with weights_format='npz'), which lstm-ts does not read; save with Keras' default, 'h5'`);
  }
  const weights = new Map<string, KerasWeight>();
  collectWeights(readHdf5(entry('model.weights.h5'), `${fileName}: model.weights.h5`), '', weights);
  return {
    format: 'keras',
    kerasVersion,
    metadata,
    config,
    ...(isObject(compileConfig) ? { compileConfig } : {}),
    weights,
  };
}

function attributeText(group: H5Group, name: string, fileName: string, where: string): string | undefined {
  const v = group.attributes.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`${fileName}: ${where} attribute '${name}' must be a string, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

/** A list attribute, joined from its chunks (`name0`, `name1`, ...) when Keras split it. */
function attributeList(group: H5Group, name: string, fileName: string, where: string): string[] | undefined {
  const parts: H5AttributeValue[] = [];
  if (group.attributes.has(name)) parts.push(group.attributes.get(name)!);
  else for (let i = 0; group.attributes.has(`${name}${i}`); i++) parts.push(group.attributes.get(`${name}${i}`)!);
  if (parts.length === 0) return undefined;
  const out: string[] = [];
  for (const p of parts) {
    const items = Array.isArray(p) ? p : [p];
    for (const s of items) {
      if (typeof s !== 'string') throw new Error(`${fileName}: ${where} attribute '${name}' must list strings, got a ${typeof s}`);
      out.push(s);
    }
  }
  return out;
}

/** Reads a legacy Keras `.h5` model file (`model_config` + `model_weights`). */
export function readKerasH5(bytes: Uint8Array, fileName = 'model.h5'): KerasFileDescription {
  const root = readHdf5(bytes, fileName);
  const modelConfig = attributeText(root, 'model_config', fileName, 'the root');
  if (modelConfig === undefined) {
    const hint = root.children.has('layers') || root.children.has('vars') ? " (it looks like a Keras 3 'model.weights.h5'; read the .keras file holding it)" : '';
    throw new Error(`${fileName}: no 'model_config' attribute, so not a whole Keras model saved as .h5${hint}`);
  }
  const config = parseJson(modelConfig, fileName, "the 'model_config' attribute");
  const training = attributeText(root, 'training_config', fileName, 'the root');
  const compileConfig = training === undefined ? undefined : parseJson(training, fileName, "the 'training_config' attribute");
  const group = root.children.get('model_weights');
  if (!group || group.kind !== 'group') throw new Error(`${fileName}: no 'model_weights' group`);
  const layerNames = attributeList(group, 'layer_names', fileName, "'model_weights'");
  if (!layerNames) throw new Error(`${fileName}: 'model_weights' has no 'layer_names' attribute`);
  const weights = new Map<string, KerasWeight>();
  collectWeights(root, '', weights);
  const legacyLayers = layerNames.map((name): KerasLegacyLayer => {
    const layer = group.children.get(name);
    if (!layer || layer.kind !== 'group') throw new Error(`${fileName}: 'model_weights' lists layer '${name}' but has no group of that name`);
    const names = attributeList(layer, 'weight_names', fileName, `'model_weights/${name}'`) ?? [];
    const weightPaths = names.map((w) => {
      const path = `model_weights/${name}/${w}`;
      if (!weights.has(path)) throw new Error(`${fileName}: layer '${name}' lists weight '${w}' but '${path}' is not a dataset`);
      return path;
    });
    return { name, weightPaths };
  });
  const kerasVersion = attributeText(root, 'keras_version', fileName, 'the root') ?? attributeText(group, 'keras_version', fileName, "'model_weights'");
  const backend = attributeText(root, 'backend', fileName, 'the root') ?? attributeText(group, 'backend', fileName, "'model_weights'");
  return {
    format: 'h5',
    kerasVersion,
    config,
    ...(compileConfig ? { compileConfig } : {}),
    weights,
    legacyLayers,
    ...(backend !== undefined ? { backend } : {}),
  };
}

/**
 * A Keras 3 `.keras` file: metadata.json ({ keras_version }), config.json (the config, with
 * `compile_config` set from `compileConfig` when given), model.weights.h5 (each weight at its
 * path). Numbers Keras must read as floats are marked with `kerasFloat(x)` (see json.ts). The
 * writer checks the contents it is given; what they mean is the mapping's business.
 */
export function writeKerasFile(contents: KerasFileContents): Uint8Array {
  if (!isObject(contents)) throw new TypeError(`writeKerasFile: expected { config, weights, compileConfig?, kerasVersion? }, got ${contents === null ? 'null' : typeof contents}`);
  const { config, compileConfig, kerasVersion = KERAS_WRITE_VERSION } = contents;
  if (!isObject(config)) throw new TypeError(`writeKerasFile: config must be an object (the model's Keras config), got ${config === null ? 'null' : typeof config}`);
  if (compileConfig !== undefined && !isObject(compileConfig)) throw new TypeError(`writeKerasFile: compileConfig must be an object when given, got ${compileConfig === null ? 'null' : typeof compileConfig}`);
  if (typeof kerasVersion !== 'string') throw new TypeError(`writeKerasFile: kerasVersion must be a string, got ${typeof kerasVersion}`);
  const weights = contents.weights instanceof Map ? [...contents.weights] : [...(contents.weights ?? [])];
  for (const [path, w] of weights) {
    const dtype = h5DTypeOf(w?.data);
    if (!dtype) throw new TypeError(`writeKerasFile: weight '${path}' must hold a typed array, got ${w?.data === undefined ? 'nothing' : typeof w.data}`);
  }
  const fullConfig = compileConfig === undefined ? config : { ...config, compile_config: compileConfig };
  const encode = (value: unknown): Uint8Array => new TextEncoder().encode(toKerasJson(value));
  return writeZip([
    ['metadata.json', encode({ keras_version: kerasVersion })],
    ['config.json', encode(fullConfig)],
    ['model.weights.h5', writeHdf5(weights)],
  ]);
}
