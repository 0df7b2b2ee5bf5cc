/**
 * Activation names as layers accept them (camelCase, or Keras' snake_case), resolved to the
 * kernels in tensor/elementwise.ts. Softmax is row-wise over the last axis, so only Dense offers it.
 *
 * Two hard sigmoids, under names that cannot be confused: 'hardSigmoid' (and 'hard_sigmoid') is
 * Keras 2's and TF.js' clip(0.2·x + 0.5, 0, 1); 'hardSigmoidKeras3' is Keras 3's relu6(x + 3) / 6
 * = clip(x/6 + 1/2, 0, 1) (PyTorch's Hardsigmoid). A file's 'hard_sigmoid' means the one of the
 * Keras that wrote it: hardSigmoidNameFor(kerasVersion).
 */
import type { ElementwiseActivation } from '../tensor/elementwise.js';

export type ActivationName = ElementwiseActivation | 'softmax';

const ALIASES: Record<string, ActivationName> = {
  sigmoid: 'sigmoid',
  hardSigmoid: 'hardSigmoid',
  hard_sigmoid: 'hardSigmoid',
  hardSigmoidKeras3: 'hardSigmoidKeras3',
  tanh: 'tanh',
  relu: 'relu',
  linear: 'linear',
  softmax: 'softmax',
};

/** Resolve an activation name, allowing only those in `allowed`. */
export function resolveActivation<T extends ActivationName>(name: unknown, allowed: readonly T[], argument: string): T {
  const resolved = typeof name === 'string' && Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name] : undefined;
  if (resolved === undefined || !(allowed as readonly string[]).includes(resolved)) {
    throw new TypeError(`${argument}: unknown activation ${JSON.stringify(name)}; expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return resolved as T;
}

/** The Keras (snake_case) spelling, for serialised configs. */
export function kerasActivationName(name: ActivationName): string {
  return name === 'hardSigmoid' ? 'hard_sigmoid' : name;
}

/**
 * The lstm-ts name of a file's 'hard_sigmoid', by the Keras version that wrote the file: Keras 3
 * ('3.x', or 'keras 3.x' as some writers put it) redefined it as relu6(x + 3) / 6, which is
 * 'hardSigmoidKeras3'; any other writer (Keras 2.x, TF.js, lstm-ts itself, or no version given)
 * means Keras 2's clip(0.2·x + 0.5, 0, 1), 'hardSigmoid'.
 */
export function hardSigmoidNameFor(kerasVersion: unknown): 'hardSigmoid' | 'hardSigmoidKeras3' {
  return typeof kerasVersion === 'string' && /^(keras[ -]?)?v?3\./i.test(kerasVersion.trim()) ? 'hardSigmoidKeras3' : 'hardSigmoid';
}
