/**
 * The Keras config form of a layer, as the TF.js Layers format (and Keras' own files) write it:
 * snake_case fields, initializers as { class_name, config }, Keras activation names. Each layer's
 * mapping (its `keras` registration, beside its class) is written with these helpers:
 *
 *   toKerasConfig:   kerasInitializer('glorotUniform') → { class_name: 'GlorotUniform', config: { seed: null } }
 *   fromKerasConfig: a KerasConfigReader, which hands out the fields one by one and refuses, by
 *                    name, every field that no one read (lstm-ts cannot know what it would change).
 */
import { resolveInitializer, type InitializerName } from '../tensor/initializers.js';
import { describe } from '../tensor/tensor.js';
import { hardSigmoidNameFor, kerasActivationName, type ActivationName } from './activations.js';
import type { Shape } from './layer.js';

const KERAS_INITIALIZERS: Record<InitializerName, { class_name: string; config: Record<string, unknown> }> = {
  glorotUniform: { class_name: 'GlorotUniform', config: { seed: null } },
  glorotNormal: { class_name: 'GlorotNormal', config: { seed: null } },
  orthogonal: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
  randomUniform: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  zeros: { class_name: 'Zeros', config: {} },
  ones: { class_name: 'Ones', config: {} },
};

/** An initializer in Keras config form. */
export function kerasInitializer(name: unknown): { class_name: string; config: Record<string, unknown> } {
  const spec = KERAS_INITIALIZERS[resolveInitializer(name, 'kerasInitializer')];
  return { class_name: spec.class_name, config: { ...spec.config } };
}

/** An activation's Keras name. */
export function kerasActivation(name: unknown): string {
  if (name === 'hardSigmoidKeras3') {
    // The TF.js Layers format is read as Keras 2 / TF.js wrote it, where 'hard_sigmoid' is clip(0.2·x + 0.5, 0, 1).
    throw new TypeError("activation 'hardSigmoidKeras3' (Keras 3's relu6(x + 3) / 6) has no name in the TF.js Layers format, whose 'hard_sigmoid' is Keras 2's clip(0.2·x + 0.5, 0, 1); TF.js has no such activation");
  }
  return kerasActivationName(name as ActivationName);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value) && Object.prototype.toString.call(value) !== '[object ArrayBuffer]';
}

/**
 * Keras 3 config objects ({ module, class_name, config, registered_name }, for layers,
 * initializers and dtype policies) say where their class comes from. A class from Keras itself
 * (module 'keras', 'keras.layers', 'keras.initializers', ...; registered_name null, or its own
 * class name) is what lstm-ts may implement; a class registered outside Keras
 * (registered_name 'my_package>MyLSTM', or a module of the user's) is custom code that lstm-ts
 * cannot run, even when its class_name is a Keras one: refused by name.
 */
export function checkKerasOrigin(value: Record<string, unknown>, where: string): void {
  const { module, registered_name: registered, class_name: className } = value;
  if (registered !== undefined && registered !== null && registered !== className) {
    throw new TypeError(`${where}: registered_name ${JSON.stringify(registered)}: a class registered outside Keras (custom code, which lstm-ts cannot run); lstm-ts reads Keras' own classes (registered_name null)`);
  }
  if (module !== undefined && module !== null && !(typeof module === 'string' && /^(tf_)?keras(\.|$)/.test(module))) {
    throw new TypeError(`${where}: module ${JSON.stringify(module)}: a class from outside Keras (custom code, which lstm-ts cannot run); lstm-ts reads Keras' own classes (module 'keras...')`);
  }
}

/** Reads a Keras layer config key by key; every key must be read (unknown keys are an error naming them). */
export class KerasConfigReader {
  private readonly seen = new Set<string>();

  /**
   * @param config the layer's Keras config
   * @param where  where it sits, for error messages ("modelTopology.config.layers[2] (LSTM 'lstm')")
   * @param kerasVersion the Keras version that wrote it, when the file says
   */
  constructor(private readonly config: Record<string, unknown>, readonly where: string, readonly kerasVersion: string | undefined = undefined) {}

  take(key: string): unknown {
    this.seen.add(key);
    return Object.prototype.hasOwnProperty.call(this.config, key) ? this.config[key] : undefined;
  }

  /** Whether the config has this field at all (without reading it). */
  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.config, key);
  }

  expect(key: string, ok: (value: unknown) => boolean, expected: string): void {
    const value = this.take(key);
    if (!ok(value)) throw new TypeError(`${this.where}: ${key} is ${JSON.stringify(value)}; lstm-ts supports only ${expected}`);
  }

  /** Fields that must be null or absent (regularizers, constraints). */
  expectNone(keys: readonly string[], what: string): void {
    for (const key of keys) this.expect(key, (v) => v === null || v === undefined, `null (${what} are not supported)`);
  }

  /**
   * The layer's dtype: 'float32', or Keras 3's dtype policy object
   * `{ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }`
   * (FloatDTypePolicy is Keras 3's other name for it; the .keras converter route keeps a
   * shared_object_id). Any other policy (mixed_float16, a quantized policy, a DTypePolicyMap) or
   * dtype is refused by name: the model would compute in another precision than float32.
   */
  dtype(): void {
    const value = this.take('dtype');
    if (value === undefined || value === null || value === 'float32') return;
    const at = `${this.where}: dtype`;
    if (isPlainObject(value)) {
      checkKerasOrigin(value, at);
      const policy = value.class_name;
      if (policy !== 'DTypePolicy' && policy !== 'FloatDTypePolicy') {
        throw new TypeError(`${at}: dtype policy ${JSON.stringify(policy)} (${JSON.stringify(value.config)}) is not supported; TF.js / Keras models load here as float32 only, with a plain DTypePolicy of name 'float32'`);
      }
      const unknown = Object.keys(value).filter((k) => !['module', 'class_name', 'config', 'registered_name', 'shared_object_id'].includes(k));
      if (unknown.length > 0) throw new TypeError(`${at}: unsupported field(s) ${unknown.map((k) => `'${k}'`).join(', ')} in the dtype policy`);
      const config = value.config;
      const extra = isPlainObject(config) ? Object.keys(config).filter((k) => k !== 'name') : [];
      if (!isPlainObject(config) || config.name !== 'float32' || extra.length > 0) {
        throw new TypeError(`${at}: dtype policy ${JSON.stringify(policy)} with config ${JSON.stringify(config)}; TF.js / Keras models load here as float32 only (config { name: 'float32' })`);
      }
      return;
    }
    throw new TypeError(`${this.where}: dtype is ${JSON.stringify(value)}; TF.js / Keras models load here as float32 only`);
  }

  /**
   * The declared batch input shape: batch_input_shape (Keras 2, TF.js) or batch_shape (Keras 3's
   * InputLayer); both may be present only if they agree.
   */
  shape(): Shape | undefined {
    const legacy = this.take('batch_input_shape');
    const keras3 = this.take('batch_shape');
    const has = (v: unknown) => v !== undefined && v !== null;
    if (has(legacy) && has(keras3) && JSON.stringify(legacy) !== JSON.stringify(keras3)) {
      throw new TypeError(`${this.where}: batch_input_shape ${JSON.stringify(legacy)} and batch_shape ${JSON.stringify(keras3)} disagree; expected one batch input shape`);
    }
    const key = has(legacy) ? 'batch_input_shape' : 'batch_shape';
    const value = has(legacy) ? legacy : keras3;
    if (!has(value)) return undefined;
    if (!Array.isArray(value) || value.length < 2 || !value.every((d) => d === null || (Number.isSafeInteger(d) && d > 0))) {
      throw new TypeError(`${this.where}: ${key}: expected [batch or null, ..., features], got ${JSON.stringify(value)}`);
    }
    return value as Shape;
  }

  /**
   * An activation field. A file's 'hard_sigmoid' is read by the Keras version that wrote it
   * (hardSigmoidNameFor): Keras 3's relu6(x + 3) / 6 is 'hardSigmoidKeras3', Keras 2's / TF.js'
   * clip(0.2·x + 0.5, 0, 1) is 'hardSigmoid'. Missing or null: 'linear' (Keras' None).
   */
  activation(key: string): unknown {
    const value = this.take(key);
    if (value === 'hard_sigmoid') return hardSigmoidNameFor(this.kerasVersion);
    return value === undefined || value === null ? 'linear' : value;
  }

  initializer(key: string): InitializerName {
    const value = this.take(key);
    const at = `${this.where}: ${key}`;
    if (value === undefined || value === null) throw new TypeError(`${at} is missing; every initializer must be written out`);
    if (typeof value === 'string') return resolveInitializer(value, at);
    if (!isPlainObject(value) || typeof value.class_name !== 'string') throw new TypeError(`${at}: expected { class_name, config }, got ${describe(value)}`);
    checkKerasOrigin(value, at);
    const c = isPlainObject(value.config) ? value.config : {};
    switch (value.class_name) {
      case 'GlorotUniform':
        return 'glorotUniform';
      case 'GlorotNormal':
        return 'glorotNormal';
      case 'Zeros':
        return 'zeros';
      case 'Ones':
        return 'ones';
      case 'RandomUniform':
        // Keras' and TF.js' defaults; other limits are not implemented.
        if ((c.minval ?? -0.05) !== -0.05 || (c.maxval ?? 0.05) !== 0.05) throw new TypeError(`${at}: RandomUniform with minval ${JSON.stringify(c.minval)} and maxval ${JSON.stringify(c.maxval)}; lstm-ts implements RandomUniform(-0.05, 0.05) only (Keras' defaults)`);
        return 'randomUniform';
      case 'Orthogonal':
        if (c.gain !== undefined && c.gain !== null && c.gain !== 1) throw new TypeError(`${at}: Orthogonal with gain ${JSON.stringify(c.gain)}; lstm-ts implements gain 1`);
        return 'orthogonal';
      case 'VarianceScaling':
        // TF.js writes its glorot initializers in this form.
        if ((c.scale ?? 1) === 1 && c.mode === 'fan_avg') {
          if (c.distribution === 'uniform') return 'glorotUniform';
          if (c.distribution === 'normal' || c.distribution === 'truncated_normal') return 'glorotNormal';
        }
        throw new TypeError(`${at}: VarianceScaling ${JSON.stringify(c)} is not a glorot initializer; lstm-ts implements GlorotUniform, GlorotNormal, Orthogonal, Zeros and Ones`);
      default:
        throw new TypeError(`${at}: initializer '${value.class_name}' is not one lstm-ts implements (GlorotUniform, GlorotNormal, Orthogonal, RandomUniform(-0.05, 0.05), Zeros, Ones). It only draws fresh weights, so writing one of those in its place leaves the loaded model unchanged`);
    }
  }

  finish(): void {
    const unknown = Object.keys(this.config).filter((key) => !this.seen.has(key));
    if (unknown.length > 0) {
      throw new TypeError(`${this.where}: unsupported config field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; lstm-ts does not know what they would change, so it refuses the model`);
    }
  }
}
