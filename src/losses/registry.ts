/**
 * The loss registry: each loss registers itself at the end of its file (`registerLoss(loss,
 * aliases)`) under its camelCase name, its Keras snake_case name and any aliases ('mse'), so a
 * new loss is one file and one export line. A Loss object (one of ours, or a user's own
 * implementing the Loss contract) passes through getLoss.
 */
import { describe } from '../tensor/tensor.js';
import type { Loss } from './loss.js';

const BY_NAME = new Map<string, Loss>();

/** Every name getLoss accepts, in registration order (a live list: registering a loss adds its names). */
export const LOSS_NAMES: readonly string[] = [];

/** Register a loss under loss.name, loss.kerasName and `aliases`. */
export function registerLoss(loss: Loss, aliases: readonly string[] = []): void {
  if (!isLoss(loss) || typeof loss.kerasName !== 'string') throw new TypeError(`registerLoss: expected a Loss with name, kerasName, validateTargets() and compute(), got ${describe(loss)}`);
  for (const name of [loss.name, loss.kerasName, ...aliases]) {
    if (!BY_NAME.has(name)) (LOSS_NAMES as string[]).push(name);
    BY_NAME.set(name, loss);
  }
}

export function getLoss(nameOrLoss: string | Loss): Loss {
  if (typeof nameOrLoss === 'string') {
    const loss = BY_NAME.get(nameOrLoss);
    if (loss === undefined) {
      throw new TypeError(`loss: unknown loss ${JSON.stringify(nameOrLoss)}; expected one of ${LOSS_NAMES.map((n) => `'${n}'`).join(', ')}`);
    }
    return loss;
  }
  if (isLoss(nameOrLoss)) return nameOrLoss;
  throw new TypeError(`loss: expected a loss name or an object with name, validateTargets() and compute(), got ${describe(nameOrLoss)}`);
}

function isLoss(value: unknown): value is Loss {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Loss>;
  return typeof v.name === 'string' && typeof v.validateTargets === 'function' && typeof v.compute === 'function';
}
