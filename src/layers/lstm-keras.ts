/**
 * LSTM's registration data, beside src/layers/lstm.ts (which registers it at its end): the
 * weights' shapes by arithmetic, and the Keras config mapping (TF.js Layers format).
 *
 * | lstm-ts option       | Keras field          | notes                                                  |
 * |----------------------|----------------------|--------------------------------------------------------|
 * | units                | units                |                                                        |
 * | activation           | activation           | 'hardSigmoid' ↔ 'hard_sigmoid'                          |
 * | recurrentActivation  | recurrent_activation | required on reading: its default differs by version    |
 * | useBias              | use_bias             |                                                        |
 * | kernelInitializer    | kernel_initializer   | { class_name, config } (keras-config.ts)               |
 * | recurrentInitializer | recurrent_initializer|                                                        |
 * | biasInitializer      | bias_initializer     |                                                        |
 * | unitForgetBias       | unit_forget_bias     | TF.js leaves it null: its default, false               |
 * | returnSequences      | return_sequences     |                                                        |
 * | stateful             | stateful             |                                                        |
 * | maskValue            | a Masking layer      | mask_value, directly in front of the LSTM              |
 *
 * Written explicitly as Keras' defaults, and refused on reading when set otherwise: regularizers,
 * constraints, dropout, return_state, time_major, and Keras 3's zero_output_for_mask (see below).
 *
 * zero_output_for_mask (Keras 3; False by default, also in a Sequential with Masking: only
 * Bidirectional turns it on, for its inner layers): True makes a masked step *output* zeros
 * (keras/src/backend/tensorflow/rnn.py: `flat_zero_output if zero_output_for_mask else
 * prev_output`), where lstm-ts, like Keras' default, repeats the previous step's output. Read as
 * false only; true is refused by name (a different model wherever a mask reaches the layer).
 */
import type { KerasLayerMapping } from './registry.js';
import { kerasActivation, kerasInitializer } from './keras-config.js';
import { formatShape } from '../tensor/tensor.js';
import type { Shape } from './layer.js';

/** kernel [I, 4H], recurrent_kernel [H, 4H], bias [4H] (no bias without useBias), for an input [B, T, I]. */
export function lstmWeightShapes(config: Record<string, unknown>, inputShape: Shape): number[][] {
  const I = inputShape[2];
  if (inputShape.length !== 3 || typeof I !== 'number') {
    throw new RangeError(`LSTM ${String(config.name)}: expected an input shape [batch, timeSteps, features] with a known feature count, got ${formatShape(inputShape)}`);
  }
  const H = config.units as number;
  const G = 4 * H;
  return config.useBias === false ? [[I, G], [H, G]] : [[I, G], [H, G], [G]];
}

export const lstmKeras: KerasLayerMapping = {
  toKerasConfig: (c) => ({
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
    go_backwards: c.goBackwards,
    stateful: c.stateful,
    unroll: false,
  }),
  fromKerasConfig(r) {
    const options: Record<string, unknown> = {
      units: r.take('units'),
      activation: r.activation('activation'),
      useBias: r.take('use_bias'),
      kernelInitializer: r.initializer('kernel_initializer'),
      biasInitializer: r.initializer('bias_initializer'),
    };
    r.expectNone(['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'], 'regularizers and constraints');
    // Required: its default differs between Keras 2.0-2.2 / TF.js (hard_sigmoid) and later Keras (sigmoid).
    if (!r.has('recurrent_activation')) throw new TypeError(`${r.where}: recurrent_activation is missing; its default differs between Keras versions and TF.js, so it must be written out`);
    options.recurrentActivation = r.activation('recurrent_activation');
    options.recurrentInitializer = r.initializer('recurrent_initializer');
    options.unitForgetBias = r.take('unit_forget_bias') ?? false; // TF.js leaves it unset (null): its default, false
    options.returnSequences = r.take('return_sequences') ?? false;
    options.stateful = r.take('stateful') ?? false;
    r.expectNone(['recurrent_regularizer', 'recurrent_constraint'], 'regularizers and constraints');
    for (const key of ['dropout', 'recurrent_dropout']) r.expect(key, (v) => v === 0 || v === null || v === undefined, '0 (dropout is not supported)');
    r.expect('return_state', (v) => v === false || v === null || v === undefined, 'false');
    options.goBackwards = r.take('go_backwards') ?? false;
    r.expect('time_major', (v) => v === false || v === null || v === undefined, 'false');
    r.expect('zero_output_for_mask', (v) => v === false || v === null || v === undefined,
      "false (Keras' default: at a masked step the output repeats the previous step's, as in lstm-ts; true would output zeros there)");
    // How the loop is computed, not what: any value gives the same outputs.
    r.take('unroll');
    r.take('implementation');
    r.take('use_cudnn');
    r.take('seed'); // Keras 3: the dropout seed
    return options;
  },
  maskOption: 'maskValue',
  inputShapeFromWeights: (weightShape) => {
    const kernel = weightShape('kernel');
    return kernel === undefined ? undefined : [null, null, kernel[0]];
  },
};
