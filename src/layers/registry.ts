/**
 * The layer registry: every layer class that can appear in a saved model registers itself here,
 * beside its definition (a `registerLayer({...})` call at the end of its file), with
 *
 *   - `fromConfig`: a new layer from its config, as `getConfig()` writes it (the model's JSON);
 *   - `weightShapes`: its weights' shapes for an input shape, by arithmetic alone, so a loader
 *     checks a file's weights against its config before it allocates anything;
 *   - `keras`: its Keras config mapping (class name, the snake_case fields and their
 *     conversions), which the TF.js Layers format (src/io/tfjs.ts) reads and writes.
 *
 * Save / load, the TF.js format and `summary` find a registered class with no further edit: a new
 * layer is one file (its class and this call) and one export line in src/index.ts.
 */
import { describe } from '../tensor/tensor.js';
import type { KerasConfigReader } from './keras-config.js';
import type { Layer, LayerConfig, Shape } from './layer.js';

/** How a layer class reads and writes the Keras config form (TF.js Layers format, Keras files). */
export interface KerasLayerMapping {
  /** The Keras class_name; default: the registration's className. */
  className?: string;
  /**
   * The Keras config fields of a layer from its lstm-ts config (`getConfig().config`), every one
   * written explicitly, except name, trainable, dtype and batch_input_shape (the format writes those).
   */
  toKerasConfig(config: Record<string, unknown>): Record<string, unknown>;
  /**
   * The layer's lstm-ts options (without name, dtype and batchInputShape) from a Keras config.
   * Read every field through `reader` (take / expect / initializer / activation): a field nobody
   * read is refused by name afterwards, since lstm-ts cannot know what it would change.
   */
  fromKerasConfig(reader: KerasConfigReader): Record<string, unknown>;
  /** The option a Keras Masking layer directly in front of this layer sets (LSTM: 'maskValue'); absent: no Masking layer may precede it. */
  maskOption?: string;
  /**
   * Where a built layer's variables sit in a Keras 3 `.keras` file's model.weights.h5, relative to
   * layers/<its Keras name>/, in weightNames order: a recurrent layer's under cell/vars/<i>, a
   * wrapper's under its inner layers' (TimeDistributed: layer/…, Bidirectional: forward_layer/… and
   * backward_layer/…). Absent: vars/<i> (Dense, Embedding, ...). See kerasVariablePaths.
   */
  variablePaths?(layer: Layer): string[];
  /** Without a declared input shape, the model's input shape as this first layer's weights tell it (their shapes by weight name). */
  inputShapeFromWeights?(weightShape: (weightName: string) => readonly number[] | undefined): Shape | undefined;
}

export interface LayerRegistration {
  /** The className of the layer's getConfig(). */
  className: string;
  /** A new, unbuilt layer from its config (getConfig().config) or options; throws on a bad one. */
  fromConfig(config: Record<string, unknown>): Layer;
  /**
   * The shapes of the weights, in weightNames order, of the layer this config describes when it
   * is built for `inputShape` (batch axis first): arithmetic only, no allocation; throws when the
   * layer cannot take that input shape. Absent: a loader builds the layer, without drawing
   * weights, to learn them.
   */
  weightShapes?(config: Record<string, unknown>, inputShape: Shape): number[][];
  /** The Keras config mapping; absent: the TF.js / Keras formats refuse the layer by name. */
  keras?: KerasLayerMapping;
}

const REGISTRY = new Map<string, LayerRegistration>();

/** Register a layer class (called once, at the end of the file that defines it). A second registration of a class name replaces the first. */
export function registerLayer(registration: LayerRegistration): void {
  if (registration === null || typeof registration !== 'object' || typeof registration.className !== 'string' || registration.className.length === 0 || typeof registration.fromConfig !== 'function') {
    throw new TypeError(`registerLayer: expected { className, fromConfig, weightShapes?, keras? }, got ${describe(registration)}`);
  }
  REGISTRY.set(registration.className, registration);
}

/** The registration of a layer class, or undefined. */
export function layerRegistration(className: unknown): LayerRegistration | undefined {
  return typeof className === 'string' && REGISTRY.has(className) ? REGISTRY.get(className) : undefined;
}

/** Where a built layer's variables sit in a `.keras` file, relative to layers/<its Keras name>/ (KerasLayerMapping.variablePaths). */
export function kerasVariablePaths(layer: Layer): string[] {
  const mapping = layerRegistration(layer.getConfig().className)?.keras;
  return mapping?.variablePaths?.(layer) ?? layer.weightNames.map((_, i) => `vars/${i}`);
}

/** The registration of the layer class that writes this Keras class_name, or undefined. */
export function kerasLayerRegistration(kerasClassName: unknown): LayerRegistration | undefined {
  for (const registration of REGISTRY.values()) {
    if (registration.keras !== undefined && (registration.keras.className ?? registration.className) === kerasClassName) return registration;
  }
  return undefined;
}

/** Every registered class name, in registration order. */
export function registeredLayerClasses(): string[] {
  return [...REGISTRY.keys()];
}

/** Every registered class with a Keras mapping, by its Keras class_name. */
export function registeredKerasLayerClasses(): string[] {
  return [...REGISTRY.values()].filter((r) => r.keras !== undefined).map((r) => r.keras!.className ?? r.className);
}

/** Build a layer from its serialised config ({ className, config }), as `getConfig()` wrote it. */
export function layerFromConfig(layerConfig: LayerConfig, where = 'layerFromConfig'): Layer {
  if (layerConfig === null || typeof layerConfig !== 'object' || typeof layerConfig.config !== 'object' || layerConfig.config === null) {
    throw new TypeError(`${where}: expected a layer config { className, config }, got ${JSON.stringify(layerConfig)}`);
  }
  const registration = layerRegistration(layerConfig.className);
  if (registration === undefined) {
    throw new TypeError(`${where}: unsupported layer class ${JSON.stringify(layerConfig.className)}; expected one of ${registeredLayerClasses().map((c) => `'${c}'`).join(', ')} (the registered layer classes)`);
  }
  return registration.fromConfig(layerConfig.config);
}
