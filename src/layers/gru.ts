// Shapes: B = batch, T = time steps, I = input features, H = units (G = 3H, the three gate blocks side by side).
/**
 * The GRU layer: its options, weights, defaults and config. The math of one step is the cell
 * (recurrent/gru-cell.ts, both of Keras' variants); the time loop, BPTT, state, masking and
 * direction are the sequence loop's (recurrent/rnn.ts), shared with LSTM and SimpleRNN.
 */
import { initialize } from '../tensor/initializers.js';
import { checkBoolean, checkOptions } from '../base/options.js';
import { resolveActivation } from './activations.js';
import type { LayerConfig } from './layer.js';
import { GRUCell, type GRUActivation, type GRURecurrentActivation } from './recurrent/gru-cell.js';
import { RNN, RNN_OPTION_KEYS, type RNNOptions, type RecurrentWeights } from './recurrent/rnn.js';

export type { GRUActivation, GRURecurrentActivation } from './recurrent/gru-cell.js';

export interface GRUOptions extends RNNOptions {
  /** The candidate's activation: 'tanh' (default), 'relu' or 'linear'. */
  activation?: GRUActivation;
  /** The gate activation: 'sigmoid' (default), 'hardSigmoid' (Keras 2's / TF.js', also 'hard_sigmoid') or 'hardSigmoidKeras3' (Keras 3's). */
  recurrentActivation?: GRURecurrentActivation | 'hard_sigmoid';
  /**
   * Default true (Keras' default since 2.3, and cuDNN's): the reset gate multiplies the
   * candidate's recurrent product, r ⊙ (h_{t-1}·U_h + b_rh), and the bias is [2, 3H] (input
   * bias, recurrent bias). false: the original GRU, (r ⊙ h_{t-1})·U_h, with a [3H] bias (TF.js
   * has only this one).
   */
  resetAfter?: boolean;
}

const GRU_OPTION_KEYS = [
  ...RNN_OPTION_KEYS,
  'activation',
  'recurrentActivation',
  'resetAfter',
] as const;

/**
 * Gated Recurrent Unit layer (Cho et al. 2014), as Keras 3 defines it. For each step t, with x_t
 * [B, I] and h_{t-1} [B, H], and the blocks of W, U, b in the order z | r | h:
 *
 *   z   = σ(x_t·W_z + b_z + h_{t-1}·U_z + b'_z)          update gate
 *   r   = σ(x_t·W_r + b_r + h_{t-1}·U_r + b'_r)          reset gate
 *   hh  = act(x_t·W_h + b_h + r ⊙ (h_{t-1}·U_h + b'_h))  candidate    (resetAfter: true)
 *   hh  = act(x_t·W_h + b_h + (r ⊙ h_{t-1})·U_h)         candidate    (resetAfter: false; no b')
 *   h_t = z ⊙ h_{t-1} + (1 - z) ⊙ hh                     (Keras' convention: z keeps the old state)
 *
 * σ is the recurrent activation, act the activation. The output is h_T [B, H], or every h_t
 * [B, T, H] with returnSequences; stateful, maskValue and goBackwards behave exactly as for LSTM
 * (recurrent/rnn.ts).
 *
 * Weights, in getWeights() order (Keras layout: Keras weights copy over byte for byte; TF.js'
 * too with resetAfter false):
 *
 *   | weight           | shape                  | role                                          |
 *   |------------------|------------------------|-----------------------------------------------|
 *   | kernel           | [I, 3H]                | W, input x_t → z, r, h                        |
 *   | recurrent_kernel | [H, 3H]                | U, previous hidden state h_{t-1} → z, r, h    |
 *   | bias             | [2, 3H] (resetAfter)   | row 0 b (input), row 1 b' (recurrent)         |
 *   |                  | [3H] (resetAfter false) | b; no bias weight when useBias is false      |
 *
 *   Gate order inside every 3H-wide row: columns [0, H) z · [H, 2H) r · [2H, 3H) h (the candidate)
 *
 * Parameter count: 3·(H·(I + H) + H), plus 3H with resetAfter (the recurrent bias).
 * (PyTorch's nn.GRU is resetAfter: true with rows in the order r, z, n, and z used as here.)
 *
 * Defaults (Keras 3): activation 'tanh', recurrentActivation 'sigmoid', useBias true,
 * kernelInitializer 'glorotUniform' (limit sqrt(6 / (I + 3H))), recurrentInitializer
 * 'orthogonal' (over the whole [H, 3H]), biasInitializer 'zeros', resetAfter true.
 *
 * Porting note: TF.js' GRU has no resetAfter: true (tfjs issues 5728, 4621) and defaults
 * recurrentActivation to 'hardSigmoid' and kernelInitializer to 'glorotNormal'. Keras 2.0–2.2
 * defaulted to resetAfter false and recurrent_activation 'hard_sigmoid'.
 */
export class GRU extends RNN {
  readonly activation: GRUActivation;
  readonly recurrentActivation: GRURecurrentActivation;
  readonly resetAfter: boolean;
  protected readonly cell: GRUCell;

  constructor(options: GRUOptions) {
    // Unknown keys are refused before anything else.
    const given = checkOptions(options, GRU_OPTION_KEYS, `GRU${typeof options?.name === 'string' ? ` ${options.name}` : ''}`) as unknown as GRUOptions;
    super(given, 'gru', 'GRU');
    const where = `GRU ${this.name}`;
    this.activation = resolveActivation(given.activation ?? 'tanh', ['tanh', 'relu', 'linear'] as const, `${where}: activation`);
    this.recurrentActivation = resolveActivation(given.recurrentActivation ?? 'sigmoid', ['sigmoid', 'hardSigmoid', 'hardSigmoidKeras3'] as const, `${where}: recurrentActivation`);
    this.resetAfter = checkBoolean(given.resetAfter ?? true, `${where}: resetAfter`);
    this.cell = new GRUCell(this.activation, this.recurrentActivation, this.resetAfter, this.dtype);
  }

  /** The initial weights, drawn in Keras' order: kernel, recurrent kernel, bias ([2, 3H] with resetAfter). */
  protected drawWeights(I: number): RecurrentWeights {
    const H = this.units;
    const G = 3 * H;
    const kernel = initialize(this.kernelInitializer, [I, G], this.dtype);
    const recurrentKernel = initialize(this.recurrentInitializer, [H, G], this.dtype);
    if (!this.useBias) return { kernel, recurrentKernel, bias: undefined };
    return { kernel, recurrentKernel, bias: initialize(this.biasInitializer, this.resetAfter ? [2, G] : [G], this.dtype) };
  }

  /** Every option, written out (recurrentConfig: what every recurrent layer has; then this layer's own). */
  getConfig(): LayerConfig {
    return { className: 'GRU', config: { ...this.recurrentConfig(), activation: this.activation, recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter } };
  }

}

// The layer registry (registry.ts): save / load, the TF.js format and summary find GRU through it.
import { recurrentInputFeatures, recurrentKeras } from './recurrent-keras.js';
import { registerLayer } from './registry.js';
registerLayer({
  className: 'GRU',
  fromConfig: (config) => new GRU(config as unknown as GRUOptions),
  // kernel [I, 3H], recurrent_kernel [H, 3H], bias [2, 3H] (resetAfter: input and recurrent rows) or [3H]
  weightShapes: (config, inputShape) => {
    const I = recurrentInputFeatures('GRU', config, inputShape);
    const H = config.units as number;
    const G = 3 * H;
    const bias = config.resetAfter === false ? [G] : [2, G];
    return config.useBias === false ? [[I, G], [H, G]] : [[I, G], [H, G], bias];
  },
  keras: recurrentKeras({
    className: 'GRU',
    gated: true,
    write: (c) => ({ reset_after: c.resetAfter, implementation: 2 }),
    read: (r, options) => {
      options.resetAfter = r.take('reset_after') ?? false; // TF.js' default and Keras 2.0-2.2's: false (Keras 2.3+ writes it out)
    },
  }),
});
