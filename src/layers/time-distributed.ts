/**
 * TimeDistributed(layer): applies one layer, with one set of weights, at every time step.
 *
 * Shape legend: B batch, T time steps, ... the step's own axes (features, or an image's
 * [rows, cols, channels]); the wrapped layer sees N = B·T samples.
 *
 * Forward:   x [B, T, ...]  viewed as  [B·T, ...]   (no copy: row-major, the same entries)
 *            z = layer(x') [B·T, ...out]            viewed as  y [B, T, ...out]
 * Backward:  dy [B, T, ...out] viewed as [B·T, ...out];  dx' = layer.backward(dy')  viewed as [B, T, ...]
 *            The wrapped layer's weight gradients are summed over all B·T samples by its own
 *            backward, which is exactly the sum over the time steps that weight sharing needs.
 *
 * The weights, their names and order, and countParams are the wrapped layer's. A step mask from
 * below passes on unchanged (Keras' TimeDistributed.compute_mask with a layer that makes no mask
 * of its own); the wrapped layer itself sees no mask.
 *
 * Config, as Keras nests it: { layer: { className, config } } (Keras: { layer: { class_name, config } }).
 */
import { Tensor, assertFinite, describe, formatShape, toTensor } from '../tensor/tensor.js';
import { checkOptions } from '../base/options.js';
import { checkKerasOrigin, isPlainObject, KerasConfigReader } from './keras-config.js';
import { BASE_LAYER_OPTION_KEYS, Layer, backwardTrusted, forwardTrusted, outputMask, type BaseLayerOptions, type ForwardOptions, type LayerConfig, type Shape } from './layer.js';
import { kerasLayerRegistration, kerasVariablePaths, layerFromConfig, layerRegistration, registerLayer } from './registry.js';

export interface TimeDistributedOptions extends BaseLayerOptions {
  /** The layer applied at every step: a layer, or its config ({ className, config }) as getConfig() writes it. */
  layer: Layer | LayerConfig;
}

const TIME_DISTRIBUTED_OPTION_KEYS = [...BASE_LAYER_OPTION_KEYS, 'layer'];

function isLayer(value: unknown): value is Layer {
  return value instanceof Layer;
}

export class TimeDistributed extends Layer {
  /** The wrapped layer. */
  readonly layer: Layer;

  /** The input shape [B, T, ...] of the last forward. */
  private lastInputShape: readonly number[] | undefined;
  /** The output shape [B, T, ...out] of the last forward. */
  private lastOutputShape: readonly number[] | undefined;

  /** new TimeDistributed(layer, options?) as Keras' TimeDistributed(layer), or new TimeDistributed({ layer, ...options }). */
  constructor(layerOrOptions: Layer | TimeDistributedOptions, options: Omit<TimeDistributedOptions, 'layer'> = {}) {
    const merged = isLayer(layerOrOptions) ? { ...checkOptions(options, BASE_LAYER_OPTION_KEYS, 'TimeDistributed'), layer: layerOrOptions } : layerOrOptions;
    const opts = checkOptions(merged, TIME_DISTRIBUTED_OPTION_KEYS, 'TimeDistributed');
    const given = opts.layer;
    if (given === undefined) throw new TypeError('TimeDistributed: layer is required (the layer to apply at every time step)');
    let inner: Layer;
    if (isLayer(given)) inner = given;
    else if (isPlainObject(given)) inner = layerFromConfig(given as unknown as LayerConfig, 'TimeDistributed: layer');
    else throw new TypeError(`TimeDistributed: layer: expected a layer (new Dense(...)) or its config { className, config }, got ${describe(given)}`);
    // One dtype: the wrapper's, else the wrapped layer's; an unbuilt layer of another dtype is remade from its config.
    const dtype = opts.dtype ?? inner.dtype;
    if (inner.dtype !== dtype) {
      if (inner.built) throw new TypeError(`TimeDistributed: layer ${inner.name} is already built with dtype '${inner.dtype}', but the wrapper's dtype is '${String(dtype)}'`);
      const { className, config } = inner.getConfig();
      inner = layerFromConfig({ className, config: { ...config, dtype } }, 'TimeDistributed: layer');
    }
    super({ ...(opts as BaseLayerOptions), dtype: dtype as BaseLayerOptions['dtype'] }, 'time_distributed');
    if (inner.stateful) throw new TypeError(`TimeDistributed ${this.name}: layer ${inner.name} is stateful; a wrapped layer sees B·T samples per batch, so it cannot carry a state per sample`);
    this.layer = inner;
  }

  /** The step's shape as the wrapped layer sees it: [B·T (null unless both known), ...]. */
  private innerShape(inputShape: Shape): Shape {
    const [B, T] = inputShape;
    return [B === null || T === null ? null : B * T, ...inputShape.slice(2)];
  }

  build(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length < 3) {
      throw new RangeError(`TimeDistributed ${this.name}: expected an input shape [batch, timeSteps, ...] of rank 3 or more, got ${formatShape(inputShape)}`);
    }
    if (this.built) return;
    this.layer.build(this.innerShape(inputShape));
    this.builtInputShape = [...inputShape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    const out = this.layer.computeOutputShape(this.innerShape(inputShape));
    return [inputShape[0], inputShape[1], ...out.slice(1)];
  }

  get trainableWeights(): Tensor[] {
    return this.layer.trainableWeights;
  }

  get weightNames(): string[] {
    return this.layer.weightNames;
  }

  getGradients(): Tensor[] {
    return this.layer.getGradients();
  }

  /** The wrapped layer at every step of x [B, T, ...]. A new tensor. */
  forward(xLike: Tensor, options: ForwardOptions = {}): Tensor {
    const x = toTensor(xLike, `TimeDistributed ${this.name}: input x`, this.dtype);
    if (x.rank < 3) throw new RangeError(`TimeDistributed ${this.name}: input x must have rank 3 or more ([batch, timeSteps, ...]), got shape ${formatShape(x.shape)}`);
    assertFinite(x, `TimeDistributed ${this.name}: input x`);
    if (!this.built) this.build([null, null, ...x.shape.slice(2)]);
    const [B, T] = x.shape;
    // The wrapped layer's public forward checks the step shape (it names itself in its errors).
    const z = this.layer.forward(new Tensor(x.data, [B * T, ...x.shape.slice(2)]), options);
    this.lastInputShape = x.shape;
    this.lastOutputShape = [B, T, ...z.shape.slice(1)];
    return new Tensor(z.data, this.lastOutputShape);
  }

  /** forward on a checked x (layer.ts, forwardTrusted): a view of the wrapped layer's output. */
  override [forwardTrusted](x: Tensor, _inputMask?: Uint8Array, training = true): Tensor {
    const [B, T] = x.shape;
    const z = this.layer[forwardTrusted](new Tensor(x.data, [B * T, ...x.shape.slice(2)]), undefined, training); // x' = x viewed as [B·T, ...]
    this.lastInputShape = x.shape;
    this.lastOutputShape = [B, T, ...z.shape.slice(1)];
    return new Tensor(z.data, this.lastOutputShape); // y = z viewed as [B, T, ...out]
  }

  /** The steps' mask from below, passed on unchanged (layer.ts, outputMask). */
  override [outputMask](inputMask: Uint8Array | undefined): Uint8Array | undefined {
    return inputMask;
  }

  /** dL/dx from dL/dy [B, T, ...out]; fills the wrapped layer's gradients. A new tensor. */
  backward(dyLike: Tensor): Tensor {
    if (this.lastOutputShape === undefined) throw new Error(`TimeDistributed ${this.name}.backward: call forward before backward`);
    const dy = toTensor(dyLike, `TimeDistributed ${this.name}.backward: dy`, this.dtype);
    const expected = this.lastOutputShape;
    if (dy.rank !== expected.length || dy.shape.some((d, i) => d !== expected[i])) {
      throw new RangeError(`TimeDistributed ${this.name}.backward: dy has shape ${formatShape(dy.shape)}, expected the output shape ${formatShape(expected)}`);
    }
    const [B, T] = expected;
    const dx = this.layer.backward(new Tensor(dy.data, [B * T, ...expected.slice(2)]));
    return new Tensor(dx.data, this.lastInputShape!);
  }

  /** backward on a checked dy (layer.ts, backwardTrusted). */
  override [backwardTrusted](dy: Tensor, needInputGradient: boolean): Tensor | undefined {
    const [B, T] = this.lastOutputShape!;
    const dx = this.layer[backwardTrusted](new Tensor(dy.data, [B * T, ...dy.shape.slice(2)]), needInputGradient); // dy' = dy viewed as [B·T, ...out]
    return dx === undefined ? undefined : new Tensor(dx.data, this.lastInputShape!); // dx = dx' viewed as [B, T, ...]
  }

  getConfig(): LayerConfig {
    return {
      className: 'TimeDistributed',
      config: {
        name: this.name,
        layer: this.layer.getConfig(),
        dtype: this.dtype,
        batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape],
      },
    };
  }
}

registerLayer({
  className: 'TimeDistributed',
  fromConfig: (config) => new TimeDistributed(config as unknown as TimeDistributedOptions),
  // The wrapped layer's, for the step shape [B·T, ...] (absent when its class has none: the loader builds it).
  weightShapes(config, inputShape) {
    if (inputShape.length < 3) throw new RangeError(`TimeDistributed ${String(config.name)}: expected an input shape [batch, timeSteps, ...] of rank 3 or more, got ${formatShape(inputShape)}`);
    const inner = config.layer as LayerConfig;
    const registration = layerRegistration(inner?.className);
    if (registration === undefined) throw new TypeError(`TimeDistributed ${String(config.name)}: layer: unsupported layer class ${JSON.stringify(inner?.className)}`);
    const step: Shape = [null, ...inputShape.slice(2)];
    if (registration.weightShapes !== undefined) return registration.weightShapes(inner.config, step);
    const probe = layerFromConfig(inner);
    probe.build(step);
    return probe.trainableWeights.map((w) => [...w.shape]);
  },
  keras: {
    toKerasConfig(c) {
      const inner = c.layer as LayerConfig;
      const registration = layerRegistration(inner.className);
      const keras = registration?.keras;
      if (keras === undefined) throw new TypeError(`TimeDistributed ${String(c.name)}: its layer is a ${inner.className}, which has no Keras mapping`);
      const name = inner.config.name;
      // module and registered_name as Keras 3 nests a layer (its deserializer needs them; TF.js ignores them).
      return { layer: { module: 'keras.layers', class_name: keras.className ?? inner.className, config: { name, trainable: true, dtype: 'float32', ...keras.toKerasConfig(inner.config) }, registered_name: null } };
    },
    fromKerasConfig(r) {
      const value = r.take('layer');
      const at = `${r.where}: layer`;
      if (!isPlainObject(value) || typeof value.class_name !== 'string' || !isPlainObject(value.config)) {
        throw new TypeError(`${at}: expected the wrapped layer as { class_name, config }, got ${describe(value)}`);
      }
      checkKerasOrigin(value, at);
      const registration = kerasLayerRegistration(value.class_name);
      if (registration === undefined || registration.keras === undefined) {
        throw new TypeError(`${at}: unsupported layer class '${value.class_name}' inside TimeDistributed`);
      }
      const inner = new KerasConfigReader(value.config, `${at} (${value.class_name} '${String(value.config.name)}')`, r.kerasVersion);
      const name = inner.take('name');
      inner.expect('trainable', (v) => v === true || v === undefined || v === null, 'true (frozen layers are not supported)');
      inner.dtype();
      inner.expect('batch_input_shape', (v) => v === null || v === undefined, 'null (the wrapper takes the input shape)');
      const options = registration.keras.fromKerasConfig(inner);
      inner.finish();
      return { layer: { className: registration.className, config: { ...(typeof name === 'string' && name.length > 0 ? { name } : {}), ...options } } };
    },
    // Keras 3 keeps them under the wrapped layer: layers/time_distributed/layer/vars/<i>
    variablePaths: (layer) => kerasVariablePaths((layer as TimeDistributed).layer).map((p) => `layer/${p}`),
  },
});
