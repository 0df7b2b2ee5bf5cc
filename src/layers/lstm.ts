// Shapes: B = batch, T = time steps, I = input features, H = units (G = 4H, the four gates side by side).
/**
 * The LSTM layer: its options, weights, defaults and config. The math of one step is the cell
 * (recurrent/lstm-cell.ts); the time loop and full backpropagation through time (BPTT), state,
 * masking and direction are the sequence loop's (recurrent/rnn.ts). docs/bptt.md walks through
 * both equation by equation.
 */
import { allocate } from '../tensor/alloc.js';
import { initialize } from '../tensor/initializers.js';
import { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkOptions } from '../base/options.js';
import { resolveActivation } from './activations.js';
import type { LayerConfig } from './layer.js';
import { LSTMCell, type LSTMActivation, type LSTMRecurrentActivation } from './recurrent/lstm-cell.js';
import { RNN, RNN_OPTION_KEYS, type RNNOptions, type RecurrentWeights } from './recurrent/rnn.js';

export type { LSTMActivation, LSTMRecurrentActivation } from './recurrent/lstm-cell.js';

export interface LSTMOptions extends RNNOptions {
  /** The cell activation: 'tanh' (default), 'relu' or 'linear'. */
  activation?: LSTMActivation;
  /** The gate activation: 'sigmoid' (default), 'hardSigmoid' (Keras 2's / TF.js', also 'hard_sigmoid') or 'hardSigmoidKeras3' (Keras 3's). */
  recurrentActivation?: LSTMRecurrentActivation | 'hard_sigmoid';
  /** Default true: after initialisation the forget block of the bias is set to 1. */
  unitForgetBias?: boolean;
}

const LSTM_OPTION_KEYS = [
  ...RNN_OPTION_KEYS,
  'activation',
  'recurrentActivation',
  'unitForgetBias',
] as const;

/**
 * Long Short-Term Memory layer (Hochreiter & Schmidhuber 1997, with a forget gate), as Keras
 * defines it. For each step t, with x_t [B, I], h_{t-1} and c_{t-1} [B, H]:
 *
 *   z   = x_t·W + h_{t-1}·U + b                      [B, 4H], four blocks z_i | z_f | z_c | z_o
 *   i   = σ(z_i)      input gate
 *   f   = σ(z_f)      forget gate
 *   g   = act(z_c)    cell candidate
 *   o   = σ(z_o)      output gate
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ act(c_t)
 *
 * σ is the recurrent activation (sigmoid, hardSigmoid = clip(0.2·x + 0.5, 0, 1), hardSigmoidKeras3 = relu6(x + 3) / 6);
 * act is the activation (tanh, relu or linear). The output is h_T [B, H], or every h_t
 * [B, T, H] with returnSequences. The step's math is the cell, recurrent/lstm-cell.ts (forward and
 * backward of each equation side by side); the time loop, state, masking and direction are the
 * sequence loop's, recurrent/rnn.ts. This file is the layer's options, weights, defaults and config.
 *
 * Weights, in getWeights() order (Keras layout: Keras / TF.js weights copy over byte for byte):
 *
 *   | weight           | shape   | role                                      |
 *   |------------------|---------|-------------------------------------------|
 *   | kernel           | [I, 4H] | W, input x_t → z                          |
 *   | recurrent_kernel | [H, 4H] | U, previous hidden state h_{t-1} → z      |
 *   | bias             | [4H]    | b (no such weight when useBias is false)  |
 *
 *   Gate order inside every 4H-wide row (of W, U, b, z, the cache and the gradients):
 *   columns [0, H) i  ·  [H, 2H) f  ·  [2H, 3H) c (the candidate g)  ·  [3H, 4H) o
 *
 * Parameter count: 4·(H·(I + H) + H). (PyTorch stores weight_ih [4H, I] and weight_hh [4H, H],
 * rows in the same order i, f, g, o, and two biases: import = transpose both and add the biases.)
 *
 * Defaults (Keras 2.3+ / Keras 3): activation 'tanh', recurrentActivation 'sigmoid',
 * kernelInitializer 'glorotUniform' (limit sqrt(6 / (I + 4H))), recurrentInitializer
 * 'orthogonal' (R·Rᵀ = I over the whole [H, 4H]), biasInitializer 'zeros', unitForgetBias true
 * (forget block of the bias = 1), useBias true, returnSequences false, stateful false.
 *
 * Porting note: Keras 2.0–2.2 (which most LSTM tutorials ran on) defaulted recurrent_activation
 * to 'hard_sigmoid'; pass recurrentActivation: 'hardSigmoid' to reproduce those models. TF.js
 * differs from Keras too: its LSTM defaults to recurrentActivation 'hardSigmoid', kernel
 * initializer 'glorotNormal', and no unit forget bias. We follow current Keras. hardSigmoid here
 * is Keras 2's clip(0.2·x + 0.5, 0, 1); Keras 3's 'hard_sigmoid', relu6(x + 3) / 6, is 'hardSigmoidKeras3'.
 *
 * Stateful layers carry each sample's final (h, c) into the next batch as its initial state;
 * gradients stop at the batch edge (truncated BPTT), as in Keras.
 *
 * Masking (maskValue, as Keras' Masking layer): a step of sample b is masked when every feature
 * of x_t[b] equals maskValue. A masked step is the identity on the state,
 *
 *   h_t = h_{t-1},   c_t = c_{t-1}        (and y_t = h_t = h_{t-1} with returnSequences)
 *
 * so backward passes dL/dh_t and dL/dc_t straight through to step t-1, dz_t = 0 (the step adds
 * nothing to dW, dU, db) and dx_t = 0. As in Keras, the mask goes on with the output when the
 * layer returns sequences: a Dense applied at every step passes it further, an LSTM above uses
 * it (unless it has a maskValue of its own, which replaces it, as a second Masking layer would),
 * and the model averages the loss and the accuracy over the unmasked steps only (Sequential).
 * Without returnSequences the output has no time axis and the mask ends here. (All of this is
 * the sequence loop's, recurrent/rnn.ts, shared by every recurrent layer.)
 */
export class LSTM extends RNN {
  readonly activation: LSTMActivation;
  readonly recurrentActivation: LSTMRecurrentActivation;
  readonly unitForgetBias: boolean;
  protected readonly cell: LSTMCell;

  constructor(options: LSTMOptions) {
    // Unknown keys are refused before anything else.
    const given = checkOptions(options, LSTM_OPTION_KEYS, `LSTM${typeof options?.name === 'string' ? ` ${options.name}` : ''}`) as unknown as LSTMOptions;
    super(given, 'lstm', 'LSTM');
    const where = `LSTM ${this.name}`;
    this.activation = resolveActivation(given.activation ?? 'tanh', ['tanh', 'relu', 'linear'] as const, `${where}: activation`);
    this.recurrentActivation = resolveActivation(given.recurrentActivation ?? 'sigmoid', ['sigmoid', 'hardSigmoid', 'hardSigmoidKeras3'] as const, `${where}: recurrentActivation`);
    this.unitForgetBias = checkBoolean(given.unitForgetBias ?? true, `${where}: unitForgetBias`);
    this.cell = new LSTMCell(this.activation, this.recurrentActivation, this.dtype);
  }

  /** The initial weights, drawn in Keras' order: kernel, recurrent kernel, bias. */
  protected drawWeights(I: number): RecurrentWeights {
    const H = this.units;
    const G = 4 * H;
    const kernel = initialize(this.kernelInitializer, [I, G], this.dtype);
    const recurrentKernel = initialize(this.recurrentInitializer, [H, G], this.dtype);
    if (!this.useBias) return { kernel, recurrentKernel, bias: undefined };
    if (!this.unitForgetBias) return { kernel, recurrentKernel, bias: initialize(this.biasInitializer, [G], this.dtype) };
    // Keras: concat(init([H]), ones([H]), init([2H])): the forget block starts at 1 so the
    // cell remembers by default (Jozefowicz et al. 2015).
    const b = allocate(this.dtype, G);
    b.set(initialize(this.biasInitializer, [H], this.dtype).data, 0);
    b.fill(1, H, 2 * H);
    b.set(initialize(this.biasInitializer, [2 * H], this.dtype).data, 2 * H);
    return { kernel, recurrentKernel, bias: new Tensor(b, [G]) };
  }

  /** [dL/dh0, dL/dc0], each [B, H], from the last backward (see RNN.getInitialStateGradients). */
  override getInitialStateGradients(): [Tensor, Tensor] {
    return super.getInitialStateGradients() as [Tensor, Tensor];
  }

  /** Every option, written out (recurrentConfig: what every recurrent layer has; then this layer's own). */
  getConfig(): LayerConfig {
    return { className: 'LSTM', config: { ...this.recurrentConfig(), activation: this.activation, recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias } };
  }

}

// The layer registry (registry.ts): save / load, the TF.js format and summary find LSTM through it.
// (Imports are hoisted; these sit here to keep the registration in one place.)
import { recurrentInputFeatures, recurrentKeras } from './recurrent-keras.js';
import { registerLayer } from './registry.js';
registerLayer({
  className: 'LSTM',
  fromConfig: (config) => new LSTM(config as unknown as LSTMOptions),
  // kernel [I, 4H], recurrent_kernel [H, 4H], bias [4H] (no bias without useBias)
  weightShapes: (config, inputShape) => {
    const I = recurrentInputFeatures('LSTM', config, inputShape);
    const H = config.units as number;
    const G = 4 * H;
    return config.useBias === false ? [[I, G], [H, G]] : [[I, G], [H, G], [G]];
  },
  keras: recurrentKeras({
    className: 'LSTM',
    gated: true,
    write: (c) => ({ unit_forget_bias: c.unitForgetBias, implementation: 2 }),
    read: (r, options) => {
      options.unitForgetBias = r.take('unit_forget_bias') ?? false; // TF.js leaves it unset (null): its default, false
    },
  }),
});
