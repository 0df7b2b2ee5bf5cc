/**
 * Keras files as models: a Keras 3 `.keras` file or a legacy `.h5` (tf.keras 2.x and Keras 3
 * write it) read into a Sequential. The container (keras-file.ts) hands over the model config,
 * the Keras version and every weight by its HDF5 path; the model is then planned and built by
 * the same checks as the TF.js Layers format (io/tfjs.ts: every layer through its registered
 * Keras mapping, every weight matched to the layer that needs it, by name or by Keras' variable
 * position, shapes checked before anything is allocated or drawn).
 *
 * Weights: a `.keras` file keeps a layer's variables at layers/<snake_case class name, _1, _2 …>/
 * [cell/]vars/<i>, in Keras' variable order; a legacy `.h5` under model_weights/<layer>/, named
 * as the variables were (tf.keras 2: lstm/lstm_cell/kernel:0; Keras 3: <model>/lstm/lstm_cell/kernel).
 * The optimizer's variables are not read: the model is loaded uncompiled, as fromTfjsArtifacts
 * loads one.
 */
import { checkBoolean, checkOptions } from '../../base/options.js';
import { getLoss } from '../../losses/index.js';
import { kerasMetricName } from '../../model/metrics.js';
import type { CompileOptions, Sequential } from '../../model/sequential.js';
import { kerasVariablePaths } from '../../layers/registry.js';
import { optimizerFromKerasConfig, optimizerToKerasConfig } from '../../optim/registry.js';
import { fromLittleEndianBytes, toLittleEndianBytes } from '../../tensor/bytes.js';
import { buildTfjsModel, planTfjsModel, toTfjsArtifacts, type TfjsWeightSpec } from '../tfjs.js';
import { kerasFloat } from './json.js';
import { readKerasBytes, writeKerasFile, type KerasFileDescription, type KerasWeight } from './keras-file.js';

export interface FromKerasOptions {
  /** A name for the file in messages. Default 'Keras file'. */
  fileName?: string;
  /**
   * Default false: the model is loaded uncompiled (as the other loaders load it). true: compiled
   * with the file's compile settings (optimizer, loss, metrics), each refused by name where
   * lstm-ts lacks it; the optimizer starts afresh (its moments are not read).
   */
  compile?: boolean;
}

/** A Sequential from the bytes of a `.keras` or `.h5` file (told apart by their first bytes); float32. */
export function fromKerasBytes(bytes: Uint8Array, options: FromKerasOptions = {}): Sequential {
  const opts = checkOptions(options, ['fileName', 'compile'], 'fromKerasBytes');
  const fileName = opts.fileName === undefined ? 'Keras file' : String(opts.fileName);
  const compile = opts.compile === undefined ? false : checkBoolean(opts.compile, 'fromKerasBytes: compile');
  const where = `fromKerasBytes (${fileName})`;
  const file = readKerasBytes(bytes, fileName);
  const settings = compile ? compileSettings(file, where) : undefined; // checked before anything is built
  const { specs, data } = modelWeights(file, where);
  // The topology as the Keras converter wraps it: the reader knows Keras 3's config objects and reads hard_sigmoid by keras_version.
  // (tf.keras 2's model_config is model.to_json() itself, which carries keras_version and backend.)
  const topology = 'keras_version' in file.config ? file.config : { keras_version: file.kerasVersion, backend: file.backend, model_config: file.config };
  const plan = planTfjsModel(topology, specs, where);
  const model = buildTfjsModel(plan, data, specs.length, where);
  if (settings !== undefined) {
    try {
      model.compile(settings); // the metrics are checked here, against the built model's output
    } catch (error) {
      throw new TypeError(`${where}: compile_config: ${(error as Error).message} (load with compile: false to compile it yourself)`, { cause: error });
    }
  }
  return model;
}

/** A Keras compile_config (training_config in a legacy .h5) as lstm-ts' compile options; what lstm-ts lacks refused by name. */
function compileSettings(file: KerasFileDescription, where: string): CompileOptions {
  const config = file.compileConfig as Record<string, unknown> | undefined;
  if (config === undefined || config === null) throw new TypeError(`${where}: compile: the file holds no compile settings (it was saved uncompiled); load it with compile: false and compile it yourself`);
  const optimizerSpec = (config.optimizer ?? config.optimizer_config) as { class_name?: unknown; config?: unknown } | undefined;
  const optimizer = optimizerFromKerasConfig(optimizerSpec, `${where}: compile_config.optimizer`);
  const loss = config.loss;
  if (typeof loss !== 'string') throw new TypeError(`${where}: compile_config.loss is ${JSON.stringify(loss)}; lstm-ts reads a loss given by name ('categorical_crossentropy', 'mse', ...)`);
  for (const key of ['loss_weights', 'weighted_metrics']) {
    if (config[key] !== undefined && config[key] !== null) throw new TypeError(`${where}: compile_config.${key} is ${JSON.stringify(config[key])}; lstm-ts supports only null`);
  }
  const metrics = config.metrics === undefined || config.metrics === null ? [] : config.metrics;
  if (!Array.isArray(metrics) || metrics.some((m) => typeof m !== 'string')) throw new TypeError(`${where}: compile_config.metrics is ${JSON.stringify(metrics)}; lstm-ts reads metrics given by name`);
  try {
    getLoss(loss);
  } catch (error) {
    throw new TypeError(`${where}: compile_config.loss: ${(error as Error).message}`, { cause: error });
  }
  return { optimizer, loss, metrics: metrics as string[] };
}

/** The model's weights of a Keras file as TF.js weight specs (their names as the file gives them) and their float32 bytes. */
function modelWeights(file: KerasFileDescription, where: string): { specs: TfjsWeightSpec[]; data: Uint8Array } {
  const specs: TfjsWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  const add = (name: string, weight: KerasWeight, path: string): void => {
    if (weight.dtype !== 'float32') throw new TypeError(`${where}: weight '${path}' is ${weight.dtype}; lstm-ts loads float32 models`);
    specs.push({ name, shape: [...weight.shape], dtype: 'float32' });
    chunks.push(toLittleEndianBytes(weight.data as Float32Array));
  };
  if (file.format === 'keras') {
    // layers/…: the model's variables; optimizer/vars/… and the root vars group are not the model's.
    for (const [path, weight] of file.weights) if (path.startsWith('layers/')) add(path, weight, path);
  } else {
    for (const layer of file.legacyLayers ?? []) {
      for (const path of layer.weightPaths) {
        const relative = path.replace(/^\/?model_weights\//, '');
        const name = (relative.startsWith(`${layer.name}/`) ? relative.slice(layer.name.length + 1) : relative).replace(/:0$/, '');
        add(name, file.weights.get(path)!, path);
      }
    }
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return { specs, data };
}


/** Keras 3's float32 dtype policy, as its configs write a layer's dtype. */
const FLOAT32_POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

/**
 * The bytes of a Keras 3 `.keras` file of the model (config.json, metadata.json,
 * model.weights.h5), which `keras.saving.load_model` loads and which predicts what the model
 * predicts; a compiled model carries its compile settings (optimizer, loss, metrics), so
 * `model.fit` goes on in Keras (the optimizer's moments are not written: Keras starts them afresh).
 * The layers are written through their registered Keras mappings, as the TF.js format writes them.
 */
export function toKerasBytes(model: Sequential): Uint8Array {
  const { modelTopology, weightSpecs, weightData } = toTfjsArtifacts(model); // checks and writes every layer through its mapping
  const topology = modelTopology as { config: { name: string; layers: { class_name: string; config: Record<string, unknown> }[] } };
  const first = topology.config.layers[0].config;
  const batchShape = first.batch_input_shape as (number | null)[];
  const layers: Record<string, unknown>[] = [{
    module: 'keras.layers', class_name: 'InputLayer', registered_name: null,
    config: { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false },
  }];
  // Keras 3 names a layer's weights by its class, snake_case, numbered in model order: layers/lstm, layers/lstm_1, …
  const seen = new Map<string, number>();
  const paths = new Map<string, string>(); // lstm-ts weight spec name (layer/weight) → the .keras path
  let shape = batchShape;
  topology.config.layers.forEach((layer) => {
    const { batch_input_shape: _declared, ...config } = layer.config;
    const snake = layer.class_name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    const n = seen.get(snake) ?? 0;
    seen.set(snake, n + 1);
    const group = `layers/${n === 0 ? snake : `${snake}_${n}`}`;
    const lstmTs = model.layers.find((l) => l.name === config.name);
    // Each weight where Keras keeps it (its layer's mapping: vars/<i>, cell/vars/<i>, forward_layer/cell/vars/<i>, ...)
    if (lstmTs !== undefined) {
      const relative = kerasVariablePaths(lstmTs);
      lstmTs.weightNames.forEach((w, k) => paths.set(`${lstmTs.name}/${w}`, `${group}/${relative[k]}`));
    }
    layers.push({ module: 'keras.layers', class_name: layer.class_name, config: { ...config, dtype: FLOAT32_POLICY }, registered_name: null, ...(layer.class_name === 'Masking' ? {} : { build_config: { input_shape: shape } }) });
    void _declared;
    if (lstmTs !== undefined) shape = lstmTs.computeOutputShape(shape);
  });
  const config: Record<string, unknown> = {
    module: 'keras', class_name: 'Sequential', registered_name: null,
    config: { name: topology.config.name, trainable: true, dtype: FLOAT32_POLICY, layers },
    build_config: { input_shape: batchShape },
  };
  if (model.optimizer !== undefined && model.loss !== undefined) config.compile_config = compileConfig(model);
  const bytes = new Uint8Array(weightData);
  let offset = 0;
  const weights = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const spec of weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const path = paths.get(spec.name);
    if (path === undefined) throw new Error(`toKerasBytes: weight '${spec.name}' belongs to no layer of the written config`);
    weights.set(path, { shape: spec.shape, data: fromLittleEndianBytes(bytes.subarray(offset, offset + 4 * size), 'float32') as Float32Array });
    offset += 4 * size;
  }
  return writeKerasFile({ config, weights });
}

/** A compiled model's settings as Keras 3's compile_config: every optimizer number written as a float, as Keras' configs hold them. */
function compileConfig(model: Sequential): Record<string, unknown> {
  const optimizer = optimizerToKerasConfig(model.optimizer!);
  const optimizerConfig: Record<string, unknown> = { name: optimizer.class_name === 'SGD' ? 'SGD' : optimizer.class_name.toLowerCase() };
  for (const [key, value] of Object.entries(optimizer.config)) optimizerConfig[key] = typeof value === 'number' ? kerasFloat(value) : value;
  return {
    optimizer: { module: 'keras.optimizers', class_name: optimizer.class_name, config: optimizerConfig, registered_name: null },
    loss: model.loss!.kerasName,
    loss_weights: null,
    metrics: model.metricNames.length > 0 ? model.metricNames.map(kerasMetricName) : null,
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}
