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
  /** The Keras config mapping: Keras' class_name and each getConfig() field's snake_case name (Keras files' optimizer configs). */
  keras?: { className: string; fields: Readonly<Record<string, string>> };
}

/**
 * Fields of a Keras optimizer config that change nothing when they hold these values (Keras 2
 * and 3 write them): read and dropped. Any other value of them, and any other field, is refused.
 */
const KERAS_NEUTRAL: Readonly<Record<string, (value: unknown) => boolean>> = {
  name: () => true,
  weight_decay: (v) => v === null || v === 0,
  global_clipnorm: (v) => v === null,
  use_ema: (v) => v === false,
  ema_momentum: () => true,
  ema_overwrite_frequency: () => true,
  loss_scale_factor: (v) => v === null,
  gradient_accumulation_steps: (v) => v === null,
  amsgrad: (v) => v === false,
  decay: (v) => v === 0,
  is_legacy_optimizer: (v) => v === false,
  jit_compile: () => true,
};

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

/** An optimizer in Keras config form ({ class_name, config }, snake_case fields), by its registered mapping. */
export function optimizerToKerasConfig(optimizer: Optimizer): { class_name: string; config: Record<string, unknown> } {
  const keras = optimizerRegistration(optimizer.className)?.keras;
  if (keras === undefined) throw new TypeError(`optimizerToKerasConfig: optimizer ${optimizer.className} has no Keras mapping (registerOptimizer's keras field)`);
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(optimizer.getConfig())) config[keras.fields[key] ?? key] = value;
  return { class_name: keras.className, config };
}

/** A new optimizer from a Keras optimizer config; fields it does not know, or that would change the update, are refused by name. */
export function optimizerFromKerasConfig(spec: unknown, where = 'optimizerFromKerasConfig'): Optimizer {
  const s = spec as { class_name?: unknown; config?: unknown } | null;
  if (s === null || typeof s !== 'object' || typeof s.class_name !== 'string' || s.config === null || typeof s.config !== 'object') {
    throw new TypeError(`${where}: expected a Keras optimizer config { class_name, config }, got ${describe(spec)}`);
  }
  const registration = [...REGISTRY.values()].find((r) => r.keras?.className === s.class_name);
  if (registration === undefined) {
    throw new TypeError(`${where}: unknown optimizer class ${JSON.stringify(s.class_name)}; expected one of ${[...REGISTRY.values()].filter((r) => r.keras).map((r) => `'${r.keras!.className}'`).join(', ')}`);
  }
  const ours = new Map(Object.entries(registration.keras!.fields).map(([k, v]) => [v, k]));
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s.config as Record<string, unknown>)) {
    const option = ours.get(key);
    if (option !== undefined) options[option] = value;
    else if (!Object.prototype.hasOwnProperty.call(KERAS_NEUTRAL, key) || !KERAS_NEUTRAL[key](value)) {
      throw new TypeError(`${where}: ${s.class_name} config field '${key}' = ${JSON.stringify(value)} is not supported; lstm-ts does not know what it would change`);
    }
  }
  return registration.fromConfig(options);
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
