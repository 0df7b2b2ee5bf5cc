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
import type { Sequential } from '../../model/sequential.js';
import { toLittleEndianBytes } from '../../tensor/bytes.js';
import { buildTfjsModel, planTfjsModel, type TfjsWeightSpec } from '../tfjs.js';
import { readKerasBytes, type KerasFileDescription, type KerasWeight } from './keras-file.js';

/** A Sequential from the bytes of a `.keras` or `.h5` file (told apart by their first bytes); float32, uncompiled. */
export function fromKerasBytes(bytes: Uint8Array, fileName = 'Keras file'): Sequential {
  const where = `fromKerasBytes (${fileName})`;
  const file = readKerasBytes(bytes, fileName);
  const { specs, data } = modelWeights(file, where);
  // The topology as the Keras converter wraps it: the reader knows Keras 3's config objects and reads hard_sigmoid by keras_version.
  // (tf.keras 2's model_config is model.to_json() itself, which carries keras_version and backend.)
  const topology = 'keras_version' in file.config ? file.config : { keras_version: file.kerasVersion, backend: file.backend, model_config: file.config };
  const plan = planTfjsModel(topology, specs, where);
  return buildTfjsModel(plan, data, specs.length, where);
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
