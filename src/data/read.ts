/**
 * How the data helpers read what they are given. A Tensor is used as it is; anything else
 * (nested arrays, typed arrays, ndarrays of any strides) is copied into float64 storage, so class
 * indices and values are never rounded on the way in (1.0000001 must stay a non-integer).
 */
import { Tensor, formatShape, toTensor } from '../tensor/tensor.js';

/** `value` as a Tensor; errors name `argument`. */
export function readTensor(value: unknown, argument: string): Tensor {
  return value instanceof Tensor ? value : toTensor(value, argument, 'float64');
}

/** The row-major position of flat element `flat` in a tensor of this shape, as "[i, j, k]". */
export function formatPosition(shape: readonly number[], flat: number): string {
  const indices = new Array<number>(shape.length);
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    indices[axis] = rest % shape[axis]!;
    rest = Math.floor(rest / shape[axis]!);
  }
  return formatShape(indices);
}
