/**
 * The Keras config mapping shared by the recurrent layers (LSTM, GRU and SimpleRNN register it,
 * each with its own fields: LSTM unit_forget_bias, GRU reset_after): what every Keras RNN layer
 * writes, read and written the same way, so a new recurrent layer adds only the fields that are
 * its own.
 *
 * | lstm-ts option       | Keras field          | notes                                                  |
 * |----------------------|----------------------|--------------------------------------------------------|
 * | units                | units                |                                                        |
 * | activation           | activation           | 'hardSigmoid' ↔ 'hard_sigmoid'                          |
 * | recurrentActivation  | recurrent_activation | gated cells only; required on reading (its default differs by version) |
 * | useBias              | use_bias             |                                                        |
 * | kernelInitializer    | kernel_initializer   | { class_name, config } (keras-config.ts)               |
 * | recurrentInitializer | recurrent_initializer|                                                        |
 * | biasInitializer      | bias_initializer     |                                                        |
 * | returnSequences      | return_sequences     |                                                        |
 * | stateful             | stateful             |                                                        |
 * | goBackwards          | go_backwards         |                                                        |
 * | dropout              | dropout              | input dropout while training                           |
 * | maskValue            | a Masking layer      | mask_value, directly in front of the layer             |
 *
 * Written explicitly as Keras' defaults, and refused on reading when set otherwise: regularizers,
 * constraints, recurrent_dropout, return_state, time_major, and Keras 3's zero_output_for_mask:
 *
 * zero_output_for_mask (Keras 3; False by default, also in a Sequential with Masking: only
 * Bidirectional turns it on, for its inner layers): True makes a masked step *output* zeros
 * (keras/src/backend/tensorflow/rnn.py: `flat_zero_output if zero_output_for_mask else
 * prev_output`), where lstm-ts, like Keras' default, repeats the previous step's output. Read as
 * false only; true is refused by name (a different model wherever a mask reaches the layer).
 */
import type { KerasConfigReader } from './keras-config.js';
import { kerasActivation, kerasInitializer } from './keras-config.js';
import type { KerasLayerMapping } from './registry.js';
import { formatShape } from '../tensor/tensor.js';
import type { Shape } from './layer.js';

export interface RecurrentKerasFields {
  /** Keras class name, for messages. */
  className: string;
  /** Whether the cell has gates (recurrent_activation): GRU yes, SimpleRNN no. */
  gated: boolean;
  /** The layer's own fields: written after the shared ones, read by `read`. */
  write?(config: Record<string, unknown>): Record<string, unknown>;
  read?(reader: KerasConfigReader, options: Record<string, unknown>): void;
}

/** The mapping of a recurrent layer: the shared fields, and the layer's own. */
export function recurrentKeras(fields: RecurrentKerasFields): KerasLayerMapping {
  return {
    toKerasConfig: (c) => ({
      units: c.units,
      activation: kerasActivation(c.activation),
      ...(fields.gated ? { recurrent_activation: kerasActivation(c.recurrentActivation) } : {}),
      use_bias: c.useBias,
      kernel_initializer: kerasInitializer(c.kernelInitializer),
      recurrent_initializer: kerasInitializer(c.recurrentInitializer),
      bias_initializer: kerasInitializer(c.biasInitializer),
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      dropout: c.dropout ?? 0,
      recurrent_dropout: 0,
      return_sequences: c.returnSequences,
      return_state: false,
      go_backwards: c.goBackwards,
      stateful: c.stateful,
      unroll: false,
      ...(fields.write?.(c) ?? {}),
    }),
    fromKerasConfig(r) {
      const options: Record<string, unknown> = {
        units: r.take('units'),
        activation: r.activation('activation'),
        useBias: r.take('use_bias'),
        kernelInitializer: r.initializer('kernel_initializer'),
        recurrentInitializer: r.initializer('recurrent_initializer'),
        biasInitializer: r.initializer('bias_initializer'),
      };
      if (fields.gated) {
        // Required: its default differs between Keras 2.0-2.2 / TF.js (hard_sigmoid) and later Keras (sigmoid).
        if (!r.has('recurrent_activation')) throw new TypeError(`${r.where}: recurrent_activation is missing; its default differs between Keras versions and TF.js, so it must be written out`);
        options.recurrentActivation = r.activation('recurrent_activation');
      }
      r.expectNone(['kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'recurrent_constraint', 'bias_constraint'], 'regularizers and constraints');
      options.returnSequences = r.take('return_sequences') ?? false;
      options.stateful = r.take('stateful') ?? false;
      options.goBackwards = r.take('go_backwards') ?? false;
      options.dropout = r.take('dropout') ?? 0; // the input dropout, while training (the layer checks the rate)
      r.expect('recurrent_dropout', (v) => v === 0 || v === null || v === undefined, '0 (recurrent dropout is not supported)');
      r.expect('return_state', (v) => v === false || v === null || v === undefined, 'false');
      r.expect('time_major', (v) => v === false || v === null || v === undefined, 'false');
      // Keras 3 (see the top of this file): true outputs zeros at masked steps, where lstm-ts repeats the previous output.
      r.expect('zero_output_for_mask', (v) => v === false || v === null || v === undefined,
        "false (Keras' default: at a masked step the output repeats the previous step's, as in lstm-ts; true would output zeros there)");
      // How the loop is computed, not what: any value gives the same outputs.
      r.take('unroll');
      r.take('implementation');
      r.take('use_cudnn');
      r.take('seed'); // Keras 3: the dropout seed
      fields.read?.(r, options);
      return options;
    },
    maskOption: 'maskValue',
    // Keras keeps a recurrent layer's variables in its cell: layers/lstm/cell/vars/<i>
    variablePaths: (layer) => layer.weightNames.map((_, i) => `cell/vars/${i}`),
    inputShapeFromWeights: (weightShape) => {
      const kernel = weightShape('kernel');
      return kernel === undefined ? undefined : [null, null, kernel[0]];
    },
  };
}

/** The feature count of a recurrent layer's input shape [B, T, I], or a refusal naming the layer. */
export function recurrentInputFeatures(className: string, config: Record<string, unknown>, inputShape: Shape): number {
  const I = inputShape[2];
  if (inputShape.length !== 3 || typeof I !== 'number') {
    throw new RangeError(`${className} ${String(config.name)}: expected an input shape [batch, timeSteps, features] with a known feature count, got ${formatShape(inputShape)}`);
  }
  return I;
}
