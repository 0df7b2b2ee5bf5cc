/**
 * Checks on option objects: unknown keys are refused with the list of known ones, so a typo
 * (`returnSequence`, `learning_rate` where `learningRate` is expected) fails loudly instead of
 * silently using a default.
 */
import { describe } from './describe.js';

export function checkOptions(options: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${where}: unknown option '${key}'; expected one of ${allowed.map((k) => `'${k}'`).join(', ')}`);
    }
  }
  return options as Record<string, unknown>;
}

export function checkPositiveInteger(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${argument}: expected a positive integer, got ${describe(value)}`);
  }
  return value;
}

export function checkNonNegativeNumber(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${argument}: expected a finite number >= 0, got ${describe(value)}`);
  }
  return value;
}

export function checkBoolean(value: unknown, argument: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${argument}: expected true or false, got ${describe(value)}`);
  return value;
}
