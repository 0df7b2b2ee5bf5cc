/**
 * The registries (src/layers/registry.ts, src/optim/registry.ts, src/losses/registry.ts): a class
 * that registers itself is found by save / load, the TF.js format and summary with no other edit.
 *
 *   - a toy layer written here (Scale: y = x ⊙ w over the last axis, one weight 'kernel' [I]),
 *     registered with its Keras mapping, round-trips through toJSON / fromJSON, the TF.js
 *     artifacts and summary, inside a model with an LSTM and a Dense;
 *   - a toy optimizer registered here is saved and restored with its state;
 *   - a bundle that imports only Sequential still finds every built-in class (the registering
 *     modules are listed in package.json's sideEffects, so bundlers keep them).
 */
import { build } from 'esbuild';
import { createContext, runInContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  Adam, Dense, LSTM, Layer, Optimizer, Sequential, Tensor, fromTfjsArtifacts, getOptimizer, registerLayer, registerOptimizer, setSeed, tensor, toTfjsArtifacts,
  type BaseLayerOptions, type LayerConfig, type Shape,
} from '../src/index.js';
import { expectBitIdentical, randomTensor } from './model-helpers.js';

/** y = x ⊙ w, w [I] broadcast over every row; dw = Σ_rows dy ⊙ x, dx = dy ⊙ w. */
class Scale extends Layer {
  private kernel: Tensor | undefined; //  [I]
  private dKernel: Tensor | undefined; // [I]
  private input: Tensor | undefined; //   [..., I]

  constructor(options: BaseLayerOptions = {}) {
    super(options, 'scale');
  }

  build(inputShape: Shape): void {
    if (this.built) return;
    const I = inputShape[inputShape.length - 1] as number;
    this.kernel = tensor(Array.from({ length: I }, (_, k) => 1 + k / 10), [I], this.dtype);
    this.dKernel = tensor(new Array(I).fill(0), [I], this.dtype);
    this.builtInputShape = [...inputShape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape];
  }

  forward(x: Tensor): Tensor {
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const w = this.kernel!.data;
    const y = x.clone();
    for (let j = 0; j < y.data.length; j++) y.data[j] *= w[j % w.length];
    this.input = x;
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x = this.input!;
    const w = this.kernel!.data;
    const dw = this.dKernel!.data;
    dw.fill(0);
    const dx = dy.clone();
    for (let j = 0; j < dy.data.length; j++) {
      dw[j % w.length] += dy.data[j] * x.data[j];
      dx.data[j] *= w[j % w.length];
    }
    return dx;
  }

  get trainableWeights(): Tensor[] {
    return this.kernel === undefined ? [] : [this.kernel];
  }

  get weightNames(): string[] {
    return ['kernel'];
  }

  getGradients(): Tensor[] {
    return this.dKernel === undefined ? [] : [this.dKernel];
  }

  getConfig(): LayerConfig {
    return { className: 'Scale', config: { name: this.name, dtype: this.dtype, batchInputShape: this.batchInputShape === undefined ? null : [...this.batchInputShape] } };
  }
}

// The one registration the toy layer needs (no weightShapes: loaders build a copy, without drawing, to learn them).
registerLayer({
  className: 'Scale',
  fromConfig: (config) => new Scale(config as BaseLayerOptions),
  keras: {
    toKerasConfig: () => ({ scale_axis: -1 }),
    fromKerasConfig: (r) => {
      r.expect('scale_axis', (v) => v === -1, '-1');
      return {};
    },
    inputShapeFromWeights: (weightShape) => {
      const kernel = weightShape('kernel');
      return kernel === undefined ? undefined : [null, null, kernel[0]];
    },
  },
});

/** Plain SGD with a decaying step, and one slot (the step count per weight, to have a state). */
class Decay extends Optimizer {
  readonly className = 'Decay';
  constructor(options: { learningRate?: number } = {}) {
    super(options.learningRate ?? 0.1, { clipNorm: null, clipValue: null });
  }
  get slotNames(): readonly string[] {
    return ['count'];
  }
  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate };
  }
  protected update(w: Float32Array | Float64Array, g: Float32Array | Float64Array, slots: (Float32Array | Float64Array)[]): void {
    const count = slots[0];
    for (let j = 0; j < w.length; j++) {
      count[j] += 1;
      w[j] -= (this.learningRate / count[j]) * g[j];
    }
  }
}
registerOptimizer({ className: 'Decay', names: ['decay'], fromConfig: (config) => new Decay(config as { learningRate?: number }), nonNegativeSlots: ['count'] });

function toyModel(): { model: Sequential; x: Tensor } {
  setSeed(5);
  const model = new Sequential([new LSTM({ units: 3, inputShape: [4, 2], returnSequences: true }), new Scale(), new Dense({ units: 2, activation: 'tanh' })]);
  model.build();
  // Non-trivial Scale weights, so a round trip that dropped them would show.
  const weights = model.getWeights();
  weights[3] = tensor([0.5, -2, 3], [3]);
  model.setWeights(weights);
  return { model, x: randomTensor([3, 4, 2], 51, 'float32') };
}

describe('a layer class registered in a test file', () => {
  it('round-trips through toJSON / fromJSON (weights and predictions bit for bit)', () => {
    const { model, x } = toyModel();
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(back.layers.map((l) => l.getConfig().className)).toEqual(['LSTM', 'Scale', 'Dense']);
    expect(back.weightNames).toEqual(model.weightNames);
    expectBitIdentical(back.getWeights(), model.getWeights(), 'weights');
    expectBitIdentical(back.predict(x), model.predict(x), 'predictions');
  });

  it('round-trips through the TF.js artifacts, its Keras config written by its own mapping', () => {
    const { model, x } = toyModel();
    const artifacts = toTfjsArtifacts(model);
    const scale = artifacts.modelTopology.config.layers[1];
    expect(scale).toEqual({ class_name: 'Scale', config: { name: model.layers[1].name, trainable: true, dtype: 'float32', scale_axis: -1 } });
    expect(artifacts.weightSpecs.map((s) => s.name)).toContain(`${model.layers[1].name}/kernel`);
    const back = fromTfjsArtifacts(artifacts);
    expectBitIdentical(back.getWeights(), model.getWeights(), 'weights');
    expectBitIdentical(back.predict(x), model.predict(x), 'predictions');
    // Its mapping refuses what it does not know, naming the field.
    const changed = structuredClone(artifacts.modelTopology);
    changed.config.layers[1].config.scale_axis = 0;
    expect(() => fromTfjsArtifacts({ ...artifacts, modelTopology: changed })).toThrow(/layers\[1\] \(Scale 'scale_\d+'\): scale_axis is 0; lstm-ts supports only -1/);
    changed.config.layers[1].config = { ...artifacts.modelTopology.config.layers[1].config, mystery: 1 };
    expect(() => fromTfjsArtifacts({ ...artifacts, modelTopology: changed })).toThrow(/\(Scale 'scale_\d+'\): unsupported config field\(s\) 'mystery'/);
  });

  it('appears in summary with its parameter count', () => {
    const { model } = toyModel();
    const text = model.summary(null);
    expect(text).toMatch(new RegExp(`${model.layers[1].name} \\(Scale\\)\\s+\\(None, 4, 3\\)\\s+3\\n`));
    expect(text).toMatch(/Total params: 83\n/); // LSTM 4·(3·(2+3) + 3) = 72, Scale 3, Dense 3·2 + 2 = 8
  });
});

describe('an optimizer class registered in a test file', () => {
  it('is found by name and saved and restored with its state', () => {
    const { model, x } = toyModel();
    model.compile({ optimizer: 'decay', loss: 'meanSquaredError' });
    const y = randomTensor([3, 4, 2], 52, 'float32');
    model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    expect(getOptimizer('DECAY')).toBeInstanceOf(Decay);
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON()));
    expect(back.optimizer).toBeInstanceOf(Decay);
    expect(back.optimizer!.getState().iterations).toBe(2);
    expectBitIdentical(back.optimizer!.getState().slots[0], model.optimizer!.getState().slots[0], 'slots');
    for (const m of [model, back]) m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, shuffle: false });
    expectBitIdentical(back.getWeights(), model.getWeights(), 'weights after one more epoch');
  });
});

describe("the optimizers' Keras config mappings", () => {
  it('write Keras field names and read a Keras 3 config back', async () => {
    const { optimizerFromKerasConfig, optimizerToKerasConfig } = await import('../src/optim/index.js');
    expect(optimizerToKerasConfig(new Adam({ learningRate: 0.01, clipNorm: 1 }))).toEqual({
      class_name: 'Adam',
      config: { learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, clipnorm: 1, clipvalue: null },
    });
    // Keras 3.x Adam.get_config() as model.save writes it (keras/src/optimizers/adam.py, base_optimizer.py).
    const keras3 = {
      class_name: 'Adam',
      config: {
        name: 'adam', learning_rate: 0.002, weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false,
        ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null,
        beta_1: 0.8, beta_2: 0.99, epsilon: 1e-7, amsgrad: false,
      },
    };
    const adam = optimizerFromKerasConfig(keras3) as Adam;
    expect(adam.getConfig()).toEqual({ learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, clipNorm: null, clipValue: null });
    expect(() => optimizerFromKerasConfig({ ...keras3, config: { ...keras3.config, amsgrad: true } })).toThrow(/Adam config field 'amsgrad' = true is not supported/);
    expect(() => optimizerFromKerasConfig({ class_name: 'Adagrad', config: {} })).toThrow(/unknown optimizer class "Adagrad"; expected one of 'SGD', 'Adam', 'RMSprop'/);
    expect(optimizerToKerasConfig(optimizerFromKerasConfig({ class_name: 'SGD', config: { learning_rate: 0.1, momentum: 0.9, nesterov: true } }))).toEqual({
      class_name: 'SGD', config: { learning_rate: 0.1, momentum: 0.9, nesterov: true, clipnorm: null, clipvalue: null },
    });
  });
});

describe('registration survives bundling', () => {
  it('a bundle importing only Sequential loads a model of LSTM, Dense, Adam and meanSquaredError', async () => {
    setSeed(3);
    const model = new Sequential([new LSTM({ units: 2, inputShape: [2, 2] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
    const text = JSON.stringify(model.toJSON());
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const result = await build({
      stdin: { contents: `import { Sequential } from ${JSON.stringify(index)};\nconst m = Sequential.fromJSON(globalThis.text);\nglobalThis.out = [m.optimizer.className, m.loss.name, m.layers.map((l) => l.getConfig().className).join()].join(' ');`, loader: 'ts', resolveDir: fileURLToPath(new URL('.', import.meta.url)) },
      bundle: true, platform: 'browser', format: 'iife', target: 'es2022', write: false, logLevel: 'silent',
    });
    const context = createContext({ text, TextEncoder, console: { log: () => {}, warn: () => {}, error: () => {} } }) as { out?: string };
    runInContext(result.outputFiles[0].text, context);
    expect(context.out).toBe('Adam meanSquaredError LSTM,Dense');
  }, 60_000);
});
