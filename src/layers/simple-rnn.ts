// Shapes: B = batch, T = time steps, I = input features, H = units (G = H: one block).
/**
 * The SimpleRNN layer: its options, weights, defaults and config. The math of one step is the cell
 * (recurrent/simple-rnn-cell.ts); the time loop, BPTT, state, masking and direction are the
 * sequence loop's (recurrent/rnn.ts), shared with LSTM and GRU.
 */
import { initialize } from '../tensor/initializers.js';
import { checkOptions } from '../base/options.js';
import { resolveActivation } from './activations.js';
import type { LayerConfig } from './layer.js';
import { SimpleRNNCell, type SimpleRNNActivation } from './recurrent/simple-rnn-cell.js';
import { RNN, RNN_OPTION_KEYS, type RNNOptions, type RecurrentWeights } from './recurrent/rnn.js';

export type { SimpleRNNActivation } from './recurrent/simple-rnn-cell.js';

export interface SimpleRNNOptions extends RNNOptions {
  /** The activation: 'tanh' (default), 'relu' or 'linear'. */
  activation?: SimpleRNNActivation;
}

const SIMPLE_RNN_OPTION_KEYS = [...RNN_OPTION_KEYS, 'activation'] as const;

/**
 * Fully-connected recurrent layer (Elman 1990), as Keras' SimpleRNN. For each step t:
 *
 *   h_t = act(x_t·W + h_{t-1}·U + b)                 [B, H]
 *
 * The output is h_T [B, H], or every h_t [B, T, H] with returnSequences; stateful, maskValue and
 * goBackwards behave exactly as for LSTM (recurrent/rnn.ts).
 *
 * Weights, in getWeights() order (Keras / TF.js layout, byte for byte):
 *
 *   | weight           | shape  | role                                      |
 *   |------------------|--------|-------------------------------------------|
 *   | kernel           | [I, H] | W, input x_t → z                          |
 *   | recurrent_kernel | [H, H] | U, previous hidden state h_{t-1} → z      |
 *   | bias             | [H]    | b (no such weight when useBias is false)  |
 *
 * Parameter count: H·(I + H) + H. Defaults (Keras 3, and TF.js): activation 'tanh', useBias true,
 * kernelInitializer 'glorotUniform' (limit sqrt(6 / (I + H))), recurrentInitializer 'orthogonal',
 * biasInitializer 'zeros'. (TF.js' SimpleRNN defaults kernelInitializer to 'glorotNormal'.)
 */
export class SimpleRNN extends RNN {
  readonly activation: SimpleRNNActivation;
  protected readonly cell: SimpleRNNCell;

  constructor(options: SimpleRNNOptions) {
    // Unknown keys are refused before anything else.
    const given = checkOptions(options, SIMPLE_RNN_OPTION_KEYS, `SimpleRNN${typeof options?.name === 'string' ? ` ${options.name}` : ''}`) as unknown as SimpleRNNOptions;
    super(given, 'simple_rnn', 'SimpleRNN');
    const where = `SimpleRNN ${this.name}`;
    this.activation = resolveActivation(given.activation ?? 'tanh', ['tanh', 'relu', 'linear'] as const, `${where}: activation`);
    this.cell = new SimpleRNNCell(this.activation, this.dtype);
  }

  /** The initial weights, drawn in Keras' order: kernel, recurrent kernel, bias. */
  protected drawWeights(I: number): RecurrentWeights {
    const H = this.units;
    const kernel = initialize(this.kernelInitializer, [I, H], this.dtype);
    const recurrentKernel = initialize(this.recurrentInitializer, [H, H], this.dtype);
    return { kernel, recurrentKernel, bias: this.useBias ? initialize(this.biasInitializer, [H], this.dtype) : undefined };
  }

  /** Every option, written out (recurrentConfig: what every recurrent layer has; then this layer's own). */
  getConfig(): LayerConfig {
    return { className: 'SimpleRNN', config: { ...this.recurrentConfig(), activation: this.activation } };
  }

}

// The layer registry (registry.ts): save / load, the TF.js format and summary find SimpleRNN through it.
import { recurrentInputFeatures, recurrentKeras } from './recurrent-keras.js';
import { registerLayer } from './registry.js';
registerLayer({
  className: 'SimpleRNN',
  fromConfig: (config) => new SimpleRNN(config as unknown as SimpleRNNOptions),
  // kernel [I, H], recurrent_kernel [H, H], bias [H]
  weightShapes: (config, inputShape) => {
    const I = recurrentInputFeatures('SimpleRNN', config, inputShape);
    const H = config.units as number;
    return config.useBias === false ? [[I, H], [H, H]] : [[I, H], [H, H], [H]];
  },
  keras: recurrentKeras({ className: 'SimpleRNN', gated: false }),
});
