/**
 * PyTorch nn.LSTM weights → ours (the Keras layout). Browser-safe.
 *
 *   | what              | Keras / TF.js / lstm-ts              | PyTorch nn.LSTM (layer k)                        |
 *   |-------------------|--------------------------------------|--------------------------------------------------|
 *   | gate order        | i, f, c, o                           | i, f, g, o          (g is Keras' c: the same gate) |
 *   | input weights     | kernel [I, 4H], gates in COLUMNS     | weight_ih_lk [4H, I], gates in ROWS              |
 *   | recurrent weights | recurrent_kernel [H, 4H]             | weight_hh_lk [4H, H]                             |
 *   | bias              | bias [4H], one                       | bias_ih_lk [4H] + bias_hh_lk [4H], two           |
 *   | activations       | configurable (sigmoid, tanh default) | fixed: sigmoid gates, tanh cell                  |
 *
 * Both compute z = x·W + h·U + b with the same gate blocks in the same order, so the import is
 *
 *   kernel = weight_ihᵀ     recurrent_kernel = weight_hhᵀ     bias = bias_ih + bias_hh
 *
 * and nothing else (no reordering of gate blocks). Give the state_dict tensors as nested arrays
 * (from Python: `json.dump({k: v.tolist() for k, v in lstm.state_dict().items()}, f)`), Tensors
 * or ndarrays; a flat list would lose the shape.
 */
import { checkOptions } from '../base/options.js';
import { checkDType, type DType } from '../tensor/alloc.js';
import { LSTM, type LSTMOptions } from '../layers/lstm.js';
import { Tensor, describe, formatShape, toTensor, type TensorLike } from '../tensor/tensor.js';

/** A PyTorch nn.LSTM state_dict (or a model's, holding one LSTM's keys under a prefix such as 'lstm.'). */
export type TorchStateDict = Record<string, TensorLike>;

export interface FromTorchLSTMOptions {
  /** Which layer of a multi-layer nn.LSTM (num_layers > 1): the k of weight_ih_lk. Default 0. */
  layer?: number;
  /**
   * The key prefix, e.g. 'encoder.lstm.' for a whole model's state_dict. Default: found from the
   * keys when exactly one LSTM's `weight_ih_l<layer>` is present.
   */
  prefix?: string;
  /** The dtype of the returned weights. Default 'float32'. */
  dtype?: DType;
}

/**
 * Convert one layer of a PyTorch nn.LSTM's state_dict into our LSTM weights, in getWeights()
 * order: [kernel [I, 4H], recurrentKernel [H, 4H], bias [4H]] ([kernel, recurrentKernel] when the
 * PyTorch LSTM has bias=False). Pass them to `lstm.setWeights(...)` of an LSTM with
 * `units: H`, `activation: 'tanh'`, `recurrentActivation: 'sigmoid'` (PyTorch's fixed choices),
 * or use torchLSTMLayer, which builds that layer.
 */
export function fromTorchLSTM(stateDict: TorchStateDict, options: FromTorchLSTMOptions = {}): Tensor[] {
  const where = 'fromTorchLSTM';
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) {
    throw new TypeError(`${where}: stateDict: expected an object of named arrays { weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 }, got ${describe(stateDict)}`);
  }
  const opts = checkOptions(options, ['layer', 'prefix', 'dtype'], where) as FromTorchLSTMOptions;
  const layer = opts.layer ?? 0;
  if (!Number.isInteger(layer) || layer < 0) throw new RangeError(`${where}: layer: expected a layer index >= 0, got ${describe(layer)}`);
  const dtype = opts.dtype === undefined ? 'float32' : checkDType(opts.dtype, `${where}: dtype`);
  if (opts.prefix !== undefined && typeof opts.prefix !== 'string') throw new TypeError(`${where}: prefix: expected a string such as 'lstm.', got ${describe(opts.prefix)}`);
  const prefix = opts.prefix ?? findPrefix(stateDict, layer, where);
  const key = (name: string): string => `${prefix}${name}_l${layer}`;

  const present = Object.keys(stateDict).filter((k) => k.startsWith(prefix));
  if (present.some((k) => k.endsWith(`_l${layer}_reverse`))) {
    throw new TypeError(`${where}: ${key('weight_ih')}_reverse is present: a bidirectional LSTM, which lstm-ts does not implement (import the forward direction by removing the _reverse keys)`);
  }
  if (present.includes(key('weight_hr'))) {
    throw new TypeError(`${where}: ${key('weight_hr')} is present: an LSTM with proj_size > 0, which lstm-ts does not implement`);
  }

  const read = (name: string, rank: number): Tensor => {
    const k = key(name);
    if (!(k in stateDict)) {
      const available = Object.keys(stateDict);
      throw new RangeError(`${where}: stateDict has no '${k}'; it holds ${available.length > 0 ? available.map((a) => `'${a}'`).join(', ') : 'no keys'}`);
    }
    const t = toTensor(stateDict[k], `${where}: ${k}`, 'float64');
    if (t.rank !== rank) throw new RangeError(`${where}: ${k} has shape ${formatShape(t.shape)}; expected rank ${rank}${rank === 2 ? ' ([4·hidden_size, in]); give nested arrays, not a flat list' : ''}`);
    return t;
  };

  const wIh = read('weight_ih', 2); // [4H, I]
  const wHh = read('weight_hh', 2); // [4H, H]
  const G = wIh.shape[0];
  if (G % 4 !== 0 || G === 0) throw new RangeError(`${where}: ${key('weight_ih')} has shape ${formatShape(wIh.shape)}; expected [4·hidden_size, input_size], a first axis divisible by 4`);
  const H = G / 4;
  if (wHh.shape[0] !== G || wHh.shape[1] !== H) {
    throw new RangeError(`${where}: ${key('weight_hh')} has shape ${formatShape(wHh.shape)}; expected [${G}, ${H}] ([4·hidden_size, hidden_size]) for hidden_size ${H} from ${key('weight_ih')} ${formatShape(wIh.shape)}`);
  }
  const hasBias = key('bias_ih') in stateDict || key('bias_hh') in stateDict;
  const weights = [transpose(wIh, dtype), transpose(wHh, dtype)]; // kernel [I, 4H], recurrent kernel [H, 4H]
  if (hasBias) {
    const bIh = read('bias_ih', 1);
    const bHh = read('bias_hh', 1);
    for (const [name, b] of [['bias_ih', bIh], ['bias_hh', bHh]] as const) {
      if (b.shape[0] !== G) throw new RangeError(`${where}: ${key(name)} has shape ${formatShape(b.shape)}; expected [${G}] (4·hidden_size)`);
    }
    const bias = new Tensor(dtype === 'float64' ? new Float64Array(G) : new Float32Array(G), [G]);
    for (let j = 0; j < G; j++) bias.data[j] = bIh.data[j] + bHh.data[j]; // b = b_ih + b_hh
    weights.push(bias);
  }
  for (const w of weights) {
    for (let j = 0; j < w.data.length; j++) {
      if (!Number.isFinite(w.data[j])) throw new RangeError(`${where}: the weights of layer ${layer} hold ${w.data[j]}; expected finite numbers`);
    }
  }
  return weights;
}

/**
 * A built LSTM layer holding one layer of a PyTorch nn.LSTM: units = hidden_size,
 * activation 'tanh', recurrentActivation 'sigmoid', useBias as the state_dict has it. Other LSTM
 * options (name, returnSequences, stateful, inputShape / batchInputShape, dtype) pass through.
 */
export function torchLSTMLayer(stateDict: TorchStateDict, options: FromTorchLSTMOptions & Omit<LSTMOptions, 'units' | 'activation' | 'recurrentActivation' | 'useBias'> = {}): LSTM {
  const { layer, prefix, ...lstmOptions } = options;
  const weights = fromTorchLSTM(stateDict, { layer, prefix, dtype: options.dtype });
  const [I, G] = weights[0].shape as [number, number];
  const lstm = new LSTM({ ...lstmOptions, units: G / 4, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: weights.length === 3 });
  const declared = lstm.batchInputShape;
  if (declared !== undefined && declared[2] !== null && declared[2] !== I) {
    throw new RangeError(`torchLSTMLayer: the input shape ${formatShape(declared)} has ${declared[2]} features, but the PyTorch weights take input_size ${I}`);
  }
  lstm.build([declared?.[0] ?? null, declared?.[1] ?? null, I]);
  lstm.setWeights(weights);
  return lstm;
}

/** The prefix before `weight_ih_l<layer>`, when exactly one key ends that way. */
function findPrefix(stateDict: TorchStateDict, layer: number, where: string): string {
  const suffix = `weight_ih_l${layer}`;
  const matches = Object.keys(stateDict).filter((k) => k === suffix || k.endsWith(`.${suffix}`));
  if (matches.length === 1) return matches[0].slice(0, matches[0].length - suffix.length);
  if (matches.length === 0) {
    const keys = Object.keys(stateDict);
    throw new RangeError(`${where}: stateDict has no '${suffix}' (nn.LSTM layer ${layer}); it holds ${keys.length > 0 ? keys.map((k) => `'${k}'`).join(', ') : 'no keys'}`);
  }
  throw new RangeError(`${where}: stateDict holds several LSTMs (${matches.map((k) => `'${k}'`).join(', ')}); pass options.prefix to pick one`);
}

/** out[c, r] = m[r, c], in the given dtype. */
function transpose(m: Tensor, dtype: DType): Tensor {
  const [rows, cols] = m.shape as [number, number];
  const out = dtype === 'float64' ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m.data[r * cols + c];
  return new Tensor(out, [cols, rows]);
}
