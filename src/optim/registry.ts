/**
 * The optimizer registry: each optimizer class registers itself at the end of its file with the
 * names `getOptimizer` accepts and how to rebuild it from a saved config, so a new optimizer is
 * one file and one export line; save / load (src/model/serialization.ts) finds it here.
 */
import { describe } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

export interface OptimizerRegistration {
  /** The optimizer's className, as saved files name it ('Adam'). */
  className: string;
  /** The names getOptimizer accepts, matched in any case; default [className]. */
  names?: readonly string[];
  /** A new optimizer from its getConfig() (or options); throws on a bad one. */
  fromConfig(config: Record<string, unknown>): Optimizer;
  /** Slots (by slot name) that can never be negative (Adam's v, RMSprop's ms): a loader refuses a saved state where one is. */
  nonNegativeSlots?: readonly string[];
}

const REGISTRY = new Map<string, OptimizerRegistration>();

/** Register an optimizer class (called once, at the end of its file). */
export function registerOptimizer(registration: OptimizerRegistration): void {
  if (registration === null || typeof registration !== 'object' || typeof registration.className !== 'string' || typeof registration.fromConfig !== 'function') {
    throw new TypeError(`registerOptimizer: expected { className, fromConfig, names?, nonNegativeSlots? }, got ${describe(registration)}`);
  }
  REGISTRY.set(registration.className, registration);
}

/** The registration of an optimizer class (by className, exactly), or undefined. */
export function optimizerRegistration(className: unknown): OptimizerRegistration | undefined {
  return typeof className === 'string' && REGISTRY.has(className) ? REGISTRY.get(className) : undefined;
}

/** Every registered optimizer class name. */
export function registeredOptimizerClasses(): string[] {
  return [...REGISTRY.keys()];
}

function byName(name: string): OptimizerRegistration | undefined {
  const lower = name.toLowerCase();
  for (const registration of REGISTRY.values()) {
    if ((registration.names ?? [registration.className]).some((n) => n.toLowerCase() === lower)) return registration;
  }
  return undefined;
}

/** Optimizer lookup by name ('sgd', 'adam', 'rmsprop', any case): a new instance with Keras' defaults. */
export function getOptimizer(nameOrInstance: string | Optimizer): Optimizer {
  if (nameOrInstance instanceof Optimizer) return nameOrInstance;
  if (typeof nameOrInstance === 'string') {
    const registration = byName(nameOrInstance);
    if (registration !== undefined) return registration.fromConfig({});
    const names = [...REGISTRY.values()].flatMap((r) => r.names ?? [r.className]).map((n) => `'${n.toLowerCase()}'`);
    throw new TypeError(`optimizer: unknown optimizer ${JSON.stringify(nameOrInstance)}; expected one of ${names.join(', ')} (any case) or an Optimizer instance`);
  }
  throw new TypeError(`optimizer: expected an optimizer name or an Optimizer instance, got ${describe(nameOrInstance)}`);
}
