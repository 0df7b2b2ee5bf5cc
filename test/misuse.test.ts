/**
 * A refused call changes nothing (issue 24, item 5), as a fast-check property: random bad calls
 * against every public entry point of Sequential (fit, evaluate, predict, predictClasses,
 * trainOnBatch, computeGradients, setWeights, compile, summary), of the layers (forward, backward,
 * setWeights, resetStates) and of the optimizers (applyGradients, setState, learningRate). Each
 * must throw an Error whose message names the argument, and leave everything bit for bit as it
 * was: weights, optimizer state with its iteration count, carried states, built or not, and the
 * global random stream (the weights a fresh layer draws after the refused call are those it
 * draws without the call). Before this, every bad fit on an unbuilt model built it (drawing its
 * weights) before looking at the data, and a callback that was not a function was found only
 * after an epoch had trained.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Adam, Dense, EarlyStopping, LSTM, RMSprop, SGD, Sequential, Tensor, setSeed, tensor, type Layer, type Optimizer,
} from '../src/index.js';
import { bitSnapshot, bitsOf, randomOneHot, randomTensor } from './model-helpers.js';

// ---------------------------------------------------------------------------------------------
// The models: inputs [N, 3, 2] (3 steps, 2 features), two classes, softmax + cross-entropy.
// ---------------------------------------------------------------------------------------------

type Kind = 'unbuilt' | 'declared' | 'stateful' | 'chain' | 'uncompiled';
const KINDS: Kind[] = ['unbuilt', 'declared', 'stateful', 'chain', 'uncompiled'];

/** A fresh model of the kind, from the seed (every draw follows setSeed). */
function makeModel(kind: Kind, seed: number): Sequential {
  setSeed(seed);
  let m: Sequential;
  switch (kind) {
    case 'unbuilt': // no input shape declared: built by its first data
      m = new Sequential([new LSTM({ units: 3 }), new Dense({ units: 2, activation: 'softmax' })]);
      break;
    case 'declared': // inputShape declared, not built yet
    case 'uncompiled':
      m = new Sequential([new LSTM({ units: 3, inputShape: [3, 2] }), new Dense({ units: 2, activation: 'softmax' })]);
      break;
    case 'stateful': // built and trained one batch: optimizer slots and carried states are non-zero
      m = new Sequential([new LSTM({ units: 3, batchInputShape: [2, 3, 2], stateful: true }), new Dense({ units: 2, activation: 'softmax' })]);
      break;
    case 'chain': // Dense first: a rank-2 input builds it, then the LSTM refuses the result
      m = new Sequential([new Dense({ units: 3 }), new LSTM({ units: 2 }), new Dense({ units: 2, activation: 'softmax' })]);
      break;
  }
  if (kind !== 'uncompiled') m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  if (kind === 'stateful') m.trainOnBatch(goodX(2), goodY(2));
  return m;
}

function goodX(n: number): Tensor {
  return randomTensor([n, 3, 2], 100 + n, 'float32');
}
function goodY(n: number): Tensor {
  return randomOneHot([n], 2, 200 + n, 'float32');
}

/** What the next random draw gives: the weights of a fresh Dense layer. */
function nextDraw(): number[][] {
  const probe = new Dense({ units: 3 });
  probe.build([null, 2]);
  return probe.getWeights().map(bitsOf);
}

// ---------------------------------------------------------------------------------------------
// Bad values, each with what the error must name.
// ---------------------------------------------------------------------------------------------

interface Bad<T> {
  value: T;
  /** What this value is, in the property's report. */
  label: string;
}

/** Not data at all, or data with a non-number inside. */
const notData = fc.constantFrom<Bad<unknown>>(
  { value: 'abc', label: 'a string' },
  { value: null, label: 'null' },
  { value: 5, label: 'a number' },
  { value: true, label: 'a boolean' },
  { value: { shape: 'x' }, label: 'an object' },
  { value: [[['a', 1]]], label: 'a string inside' },
  { value: [[[1, 2], [3]]], label: 'a ragged array' },
);

/** A tensor shaped [n, 3, 2] with one non-finite value at a random place. */
const nonFiniteX = (n: number) =>
  fc.tuple(fc.integer({ min: 0, max: n * 6 - 1 }), fc.constantFrom(NaN, Infinity, -Infinity)).map(([at, v]): Bad<unknown> => {
    const t = goodX(n);
    t.data[at] = v;
    return { value: t, label: `x with ${v} at ${at}` };
  });

/** x that no model here takes: not data, a non-finite value, no samples, rank 2 or 4. */
const badXForAll = (n: number) =>
  fc.oneof(
    notData,
    nonFiniteX(n),
    fc.constant<Bad<unknown>>({ value: tensor(new Float32Array(0), [0, 3, 2]), label: 'no samples' }),
    fc.integer({ min: 1, max: 8 }).map((f): Bad<unknown> => ({ value: randomTensor([n, f], 7, 'float32'), label: `rank 2 [${n}, ${f}]` })),
    fc.constant<Bad<unknown>>({ value: randomTensor([n, 3, 2, 1], 8, 'float32'), label: 'rank 4' }),
  );

/** x refused by a model that declares [3, 2]: other features or other time steps. */
const badXForDeclared = (n: number) =>
  fc.oneof(
    fc.constantFrom(1, 3, 4).map((f): Bad<unknown> => ({ value: randomTensor([n, 3, f], 9, 'float32'), label: `${f} features` })),
    fc.constantFrom(1, 2, 5).map((t): Bad<unknown> => ({ value: randomTensor([n, t, 2], 10, 'float32'), label: `${t} time steps` })),
  );

function badX(kind: Kind, n: number): fc.Arbitrary<Bad<unknown>> {
  const declared = kind === 'declared' || kind === 'stateful' || kind === 'uncompiled';
  const stateful = kind === 'stateful' ? [fc.constant<Bad<unknown>>({ value: goodX(3), label: '3 samples for a batch size of 2' })] : [];
  return declared ? fc.oneof(badXForAll(n), badXForDeclared(n), ...stateful) : badXForAll(n);
}

/** y that does not fit good x of n samples: not data, non-finite, other sample count, width, not probabilities. */
const badY = (n: number) =>
  fc.oneof(
    notData,
    fc.tuple(fc.integer({ min: 0, max: 2 * n - 1 }), fc.constantFrom(NaN, Infinity)).map(([at, v]): Bad<unknown> => {
      const t = goodY(n);
      t.data[at] = v;
      return { value: t, label: `y with ${v}` };
    }),
    fc.constant<Bad<unknown>>({ value: goodY(n + 1), label: 'one target too many' }),
    fc.constant<Bad<unknown>>({ value: randomOneHot([n], 3, 11, 'float32'), label: '3 classes for 2 outputs' }),
    fc.constant<Bad<unknown>>({ value: tensor(Array.from({ length: n }, () => [1.5, -0.5]), undefined, 'float32'), label: 'not probabilities' }),
  );

/** fit options that are refused whatever the data (every one named in the error). */
function badFitOptions(kind: Kind): fc.Arbitrary<{ options: unknown; names: RegExp; label: string }> {
  const xVal = (f: number) => randomTensor([4, 3, f], 12, 'float32');
  const list: { options: unknown; names: RegExp; label: string }[] = [
    { options: 'fast', names: /fit/, label: 'options not an object' },
    { options: { epoch: 2 }, names: /epoch/, label: 'an unknown option' },
    { options: { epochs: 0 }, names: /epochs/, label: 'epochs 0' },
    { options: { epochs: 1.5 }, names: /epochs/, label: 'epochs 1.5' },
    { options: { batchSize: 0 }, names: /batchSize/, label: 'batchSize 0' },
    { options: { batchSize: 'a' }, names: /batchSize/, label: "batchSize 'a'" },
    { options: { verbose: 3 }, names: /verbose/, label: 'verbose 3' },
    { options: { initialEpoch: -1 }, names: /initialEpoch/, label: 'initialEpoch -1' },
    { options: { shuffle: 'yes' }, names: /shuffle/, label: "shuffle 'yes'" },
    { options: { onProgress: 5 }, names: /onProgress/, label: 'onProgress 5' },
    { options: { callbacks: { onEpochEnd: 5 } }, names: /callbacks\.onEpochEnd/, label: 'a hook that is not a function' },
    { options: { callbacks: [{ onBatchEnd: () => {} }, { onTrainBegin: 'go' }] }, names: /callbacks\[1\]\.onTrainBegin/, label: 'a second callback with a bad hook' },
    { options: { callbacks: { onEpochEnds: () => {} } }, names: /callbacks: unknown hook 'onEpochEnds'/, label: 'a misspelt hook' },
    { options: { callbacks: [null] }, names: /callbacks\[0\]/, label: 'a null callback' },
    { options: { callbacks: new EarlyStopping({ monitor: 'val_loss' }) }, names: /callbacks: EarlyStopping monitors 'val_loss'/, label: 'EarlyStopping on val_loss without validation' },
    { options: { callbacks: new EarlyStopping({ monitor: 'accuracyy' }) }, names: /EarlyStopping monitors 'accuracyy'/, label: 'EarlyStopping on an unknown figure' },
    { options: { validationData: 5 }, names: /validationData/, label: 'validationData 5' },
    { options: { validationData: [xVal(5), goodY(4)] }, names: /validationData\[0\]/, label: 'validation x with 5 features' },
    { options: { validationData: [xVal(2), randomOneHot([4], 3, 13, 'float32')] }, names: /validationData\[1\]/, label: 'validation y with 3 classes' },
    { options: { validationSplit: 1.5 }, names: /validationSplit/, label: 'validationSplit 1.5' },
    { options: { validationSplit: 0.25, validationData: [xVal(2), goodY(4)] }, names: /validationData or validationSplit/, label: 'both validations' },
  ];
  if (kind === 'stateful') {
    list.push({ options: { batchSize: 4 }, names: /batchSize/, label: 'batchSize 4 for a stateful batch of 2' });
    list.push({ options: { shuffle: true }, names: /shuffle/, label: 'shuffle for a stateful model' });
  }
  return fc.constantFrom(...list);
}

// ---------------------------------------------------------------------------------------------
// The bad calls on a model.
// ---------------------------------------------------------------------------------------------

interface Call {
  label: string;
  run: (m: Sequential) => unknown;
  /** What the message must name. */
  names: RegExp;
}

const X = /\bx\b/;
const Y = /\by\b/;
const COMPILED_FIRST = /must be compiled first/;

function modelCalls(kind: Kind): fc.Arbitrary<Call> {
  const compiled = kind !== 'uncompiled';
  const undeclared = kind === 'unbuilt' || kind === 'chain'; // setWeights refuses any list: the shapes are unknown
  // trainOnBatch and computeGradients run x as one batch: 2 samples (the stateful model's size).
  const onData = (label: string, n: number, run: (m: Sequential, x: unknown, y: unknown) => unknown): fc.Arbitrary<Call>[] => [
    badX(kind, n).map((b) => ({ label: `${label}(${b.label}, y)`, run: (m: Sequential) => run(m, b.value, goodY(n)), names: compiled ? X : COMPILED_FIRST })),
    ...(compiled ? [badY(n).map((b) => ({ label: `${label}(x, ${b.label})`, run: (m: Sequential) => run(m, goodX(n), b.value), names: Y }))] : []),
  ];
  const arbs: fc.Arbitrary<Call>[] = [
    ...onData('fit', 4, (m, x, y) => m.fit(x as Tensor, y as Tensor, { epochs: 2, batchSize: 2, verbose: 0 })),
    ...onData('evaluate', 4, (m, x, y) => m.evaluate(x as Tensor, y as Tensor, { batchSize: 2 })),
    ...onData('trainOnBatch', 2, (m, x, y) => m.trainOnBatch(x as Tensor, y as Tensor)),
    ...onData('computeGradients', 2, (m, x, y) => m.computeGradients(x as Tensor, y as Tensor)),
    badX(kind, 4).map((b) => ({ label: `predict(${b.label})`, run: (m: Sequential) => m.predict(b.value as Tensor), names: X })),
    badX(kind, 4).map((b) => ({ label: `predictClasses(${b.label})`, run: (m: Sequential) => m.predictClasses(b.value as Tensor), names: X })),
    fc.constantFrom<Call>(
      { label: 'predict(x, { batchSize: 0 })', run: (m) => m.predict(goodX(4), { batchSize: kind === 'stateful' ? 3 : 0 }), names: /batchSize/ },
      { label: 'predict(x, { batch: 2 })', run: (m) => m.predict(goodX(4), { batch: 2 } as never), names: /batch/ },
      { label: 'evaluate(x, y, { batchSize: -1 })', run: (m) => m.evaluate(goodX(4), goodY(4), { batchSize: kind === 'stateful' ? 3 : -1 }), names: compiled ? /batchSize/ : COMPILED_FIRST },
      { label: 'evaluate(x, y, { steps: 1 })', run: (m) => m.evaluate(goodX(4), goodY(4), { steps: 1 } as never), names: /steps/ },
      { label: "compile({ optimizer: 'adamm' })", run: (m) => m.compile({ optimizer: 'adamm', loss: 'categoricalCrossentropy' }), names: /adamm/ },
      { label: "compile({ loss: 'crossentropy' })", run: (m) => m.compile({ optimizer: 'adam', loss: 'crossentropy' }), names: /crossentropy/ },
      { label: 'compile without a loss', run: (m) => m.compile({ optimizer: 'sgd' } as never), names: /loss/ },
      { label: "compile({ metrics: 'accuracy' })", run: (m) => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: 'accuracy' as never }), names: /metrics/ },
      { label: 'compile with an unknown option', run: (m) => m.compile({ optimizer: 'sgd', loss: 'mse', lr: 0.1 } as never), names: /lr/ },
      { label: "another model's optimizer", run: (m) => m.compile({ optimizer: ownedOptimizer(), loss: 'mse' }), names: /optimizer is already used by model/ },
      { label: 'summary(5)', run: (m) => m.summary(5 as never), names: /summary: print/ },
      { label: 'setWeights(5)', run: (m) => m.setWeights(5 as never), names: /setWeights/ },
      { label: 'setWeights([])', run: (m) => m.setWeights([]), names: /setWeights/ },
      { label: 'setWeights(one of the wrong shape)', run: (m) => m.setWeights(weightsLike(m, (ws) => (ws[1] = tensor(new Float32Array(6), [2, 3])))), names: undeclared ? /setWeights/ : /setWeights: weight 1/ },
      { label: 'setWeights(one with NaN)', run: (m) => m.setWeights(weightsLike(m, (ws) => ws[0].data.fill(NaN))), names: undeclared ? /setWeights/ : /setWeights: weight 0/ },
    ),
  ];
  if (kind !== 'uncompiled') arbs.push(badFitOptions(kind).map((b) => ({ label: `fit(x, y, ${b.label})`, run: (m: Sequential) => m.fit(goodX(4), goodY(4), b.options as never), names: b.names })));
  return fc.oneof(...arbs);
}

/** An optimizer another model has compiled with. */
function ownedOptimizer(): Optimizer {
  const owner = new Sequential([new Dense({ units: 1 })], { name: 'owner' });
  const adam = new Adam();
  owner.compile({ optimizer: adam, loss: 'mse' });
  return adam;
}

/** Weights shaped as the model's are (or, unbuilt, would be), one of them spoilt. */
function weightsLike(m: Sequential, spoil: (ws: Tensor[]) => void): Tensor[] {
  const shapes: number[][] = m.built ? m.getWeights().map((w) => [...w.shape]) : [[2, 12], [3, 12], [12], [3, 2], [2]]; // LSTM(3) on 2 features, Dense(2)
  const ws = shapes.map((s) => tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s));
  spoil(ws);
  return ws;
}

// ---------------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------------

function expectRefusedUnchanged(error: unknown, names: RegExp, label: string): Error {
  expect(error, `${label}: should throw`).toBeInstanceOf(Error);
  expect((error as Error).message, `${label}: the message names the argument`).toMatch(names);
  return error as Error;
}

describe('a refused call on a model changes nothing', () => {
  it('random bad calls on every public entry point of Sequential', () => {
    const arb = fc.constantFrom(...KINDS).chain((kind) => fc.record({ kind: fc.constant(kind), seed: fc.integer({ min: 1, max: 1e6 }), call: modelCalls(kind) }));
    fc.assert(
      fc.property(arb, ({ kind, seed, call }) => {
        const m = makeModel(kind, seed);
        const before = bitSnapshot(m);
        const optimizer = m.optimizer;
        let error: unknown;
        try {
          call.run(m);
        } catch (e) {
          error = e;
        }
        expectRefusedUnchanged(error, call.names, `${kind}: ${call.label}`);
        const afterDraw = nextDraw();
        expect(bitSnapshot(m), `${kind}: ${call.label}: the model`).toEqual(before);
        expect(m.optimizer, `${kind}: ${call.label}: the optimizer`).toBe(optimizer);
        // The random stream: the same draw as straight after building the model without the call.
        makeModel(kind, seed);
        expect(afterDraw, `${kind}: ${call.label}: the next random draw`).toEqual(nextDraw());
      }),
      { numRuns: 400 },
    );
  });

  it('a bad fit on an unbuilt model leaves it unbuilt (it used to build, drawing its weights, before looking at the data)', () => {
    const m = makeModel('unbuilt', 5);
    expect(() => m.fit(goodX(4), goodY(5), { verbose: 0 })).toThrow(/^y: has 5 samples/);
    expect(m.built).toBe(false);
    expect(m.layers.every((l) => !l.built)).toBe(true);
    const chain = makeModel('chain', 6);
    expect(() => chain.fit(randomTensor([4, 2], 1, 'float32'), goodY(4), { verbose: 0 })).toThrow(/layer lstm_\d+ cannot take layer dense_\d+ of shape \[null, 3\]/);
    expect(chain.layers.every((l) => !l.built)).toBe(true);
    // A model whose first layer declares its input shape is built at construction (as Keras builds
    // it): a refused fit leaves it exactly as it was.
    const declared = makeModel('declared', 7);
    const declaredBefore = bitSnapshot(declared);
    expect(() => declared.fit(goodX(4), goodY(4), { verbose: 0, callbacks: { onEpochEnd: 5 as never } })).toThrow(/^fit: callbacks\.onEpochEnd: expected a function, got 5/);
    expect(bitSnapshot(declared)).toEqual(declaredBefore);
    // An optimizer whose slots were set (setState) for other weights: found before building, too.
    for (const kind of ['unbuilt', 'declared'] as const) {
      const m = makeModel(kind, 8);
      const adam = new Adam();
      adam.setState({ iterations: 3, slots: [[tensor(new Float32Array(4), [2, 2]), tensor(new Float32Array(4), [2, 2])]] });
      m.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
      const before = bitSnapshot(m);
      expect(() => m.fit(goodX(4), goodY(4), { batchSize: 2, verbose: 0 })).toThrow(/^fit: the optimizer: the optimizer's slots were made for 1 parameters \(by setState or an earlier update\), but the update has 5/);
      expect(() => m.trainOnBatch(goodX(2), goodY(2))).toThrow(/^trainOnBatch: the optimizer: the optimizer's slots were made for 1 parameters/);
      expect(bitSnapshot(m)).toEqual(before);
      expect(m.built).toBe(kind === 'declared'); // built at construction, or not at all
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Layers and optimizers on their own.
// ---------------------------------------------------------------------------------------------

type LayerKind = 'lstm unbuilt' | 'lstm built' | 'lstm stateful' | 'dense unbuilt' | 'dense built';
const LAYER_KINDS: LayerKind[] = ['lstm unbuilt', 'lstm built', 'lstm stateful', 'dense unbuilt', 'dense built'];

function makeLayer(kind: LayerKind, seed: number): Layer {
  setSeed(seed);
  switch (kind) {
    case 'lstm unbuilt':
      return new LSTM({ units: 3, dtype: 'float64' });
    case 'lstm built': {
      const l = new LSTM({ units: 3, inputShape: [3, 2], dtype: 'float64' });
      l.forward(randomTensor([2, 3, 2], 1));
      l.backward(randomTensor([2, 3], 2));
      return l;
    }
    case 'lstm stateful': {
      const l = new LSTM({ units: 3, batchInputShape: [2, 3, 2], stateful: true, dtype: 'float64' });
      l.forward(randomTensor([2, 3, 2], 3));
      return l;
    }
    case 'dense unbuilt':
      return new Dense({ units: 2, dtype: 'float64' });
    case 'dense built': {
      const d = new Dense({ units: 2, inputShape: [4], dtype: 'float64' });
      d.forward(randomTensor([3, 4], 4));
      d.backward(randomTensor([3, 2], 5));
      return d;
    }
  }
}

function layerSnapshot(l: Layer): unknown {
  return {
    built: l.built,
    weights: l.built ? l.getWeights().map(bitsOf) : [],
    grads: l.built ? l.getGradients().map(bitsOf) : [],
    states: l.getStates().map(bitsOf),
  };
}

function layerCalls(kind: LayerKind): fc.Arbitrary<Call & { runLayer: (l: Layer) => unknown }> {
  const lstm = kind.startsWith('lstm');
  const xShape = lstm ? [2, 3, 2] : [3, 4];
  const calls: { label: string; runLayer: (l: Layer) => unknown; names: RegExp }[] = [
    { label: 'forward(a string)', runLayer: (l) => l.forward('x' as never), names: /x/ },
    { label: 'forward(NaN inside)', runLayer: (l) => l.forward(tensor(new Float64Array(xShape.reduce((a, b) => a * b, 1)).fill(NaN), xShape)), names: /x/ },
    { label: 'forward(rank 1)', runLayer: (l) => l.forward(tensor([1, 2, 3])), names: /x|input/ },
    { label: 'backward(dy) of the wrong shape', runLayer: (l) => l.backward(randomTensor([5, 7], 6)), names: /dy|backward/ },
    { label: 'setWeights(5)', runLayer: (l) => l.setWeights(5 as never), names: /setWeights/ },
    { label: 'setWeights([])', runLayer: (l) => l.setWeights([]), names: /setWeights/ },
  ];
  // (Dense, stateless, ignores whatever resetStates is given, as Layer's default does.)
  if (lstm) calls.push({ label: 'resetStates([5])', runLayer: (l) => l.resetStates([5 as never]), names: /resetStates|states/ });
  if (lstm) calls.push({ label: 'forward(wrong features)', runLayer: (l) => l.forward(randomTensor([2, 3, kind === 'lstm unbuilt' ? 0 : 5], 7)), names: /x|features|input/ });
  if (kind === 'lstm stateful') {
    calls.push({ label: 'forward(batch of 3)', runLayer: (l) => l.forward(randomTensor([3, 3, 2], 8)), names: /batch/ });
    calls.push({ label: 'resetStates([h]) without c', runLayer: (l) => l.resetStates([randomTensor([2, 3], 9)]), names: /states/ });
    calls.push({ label: 'resetStates([h, c NaN])', runLayer: (l) => l.resetStates([randomTensor([2, 3], 9), tensor(new Float64Array(6).fill(NaN), [2, 3])]), names: /states|c/ });
  }
  if (kind === 'dense built' || kind === 'lstm built') {
    calls.push({ label: 'setWeights(a weight of the wrong shape)', runLayer: (l) => l.setWeights(l.getWeights().map((w, i) => (i === 0 ? randomTensor([1, 1], 10) : w))), names: /setWeights: weight 0/ });
  }
  return fc.constantFrom(...calls).map((c) => ({ ...c, run: () => undefined }));
}

describe('a refused call on a layer or an optimizer changes nothing', () => {
  it('random bad calls on forward, backward, setWeights, resetStates of LSTM and Dense', () => {
    const arb = fc.constantFrom(...LAYER_KINDS).chain((kind) => fc.record({ kind: fc.constant(kind), seed: fc.integer({ min: 1, max: 1e6 }), call: layerCalls(kind) }));
    fc.assert(
      fc.property(arb, ({ kind, seed, call }) => {
        const l = makeLayer(kind, seed);
        const before = layerSnapshot(l);
        let error: unknown;
        try {
          call.runLayer(l);
        } catch (e) {
          error = e;
        }
        expectRefusedUnchanged(error, call.names, `${kind}: ${call.label}`);
        const afterDraw = nextDraw();
        expect(layerSnapshot(l), `${kind}: ${call.label}: the layer`).toEqual(before);
        makeLayer(kind, seed);
        expect(afterDraw, `${kind}: ${call.label}: the next random draw`).toEqual(nextDraw());
      }),
      { numRuns: 200 },
    );
  });

  it('random bad calls on applyGradients, setState and learningRate of SGD, Adam and RMSprop', () => {
    const makers = [
      () => new SGD({ learningRate: 0.1, momentum: 0.9 }),
      () => new Adam({ learningRate: 0.01 }),
      () => new RMSprop({ learningRate: 0.01, centered: true }),
    ];
    const w = () => randomTensor([3, 4], 21, 'float32');
    const g = () => randomTensor([3, 4], 22, 'float32');
    const calls: { label: string; run: (o: Optimizer, params: Tensor[]) => unknown; names: RegExp }[] = [
      { label: "applyGradients('a', [])", run: (o) => o.applyGradients('a' as never, []), names: /params/ },
      { label: 'applyGradients(params, 5)', run: (o, p) => o.applyGradients(p, 5 as never), names: /grads/ },
      { label: 'applyGradients(two gradients for one parameter)', run: (o, p) => o.applyGradients(p, [g(), g()]), names: /grads/ },
      { label: 'applyGradients(a gradient of the wrong shape)', run: (o, p) => o.applyGradients(p, [randomTensor([4, 3], 23, 'float32')]), names: /grads\[0\]/ },
      { label: 'applyGradients(a NaN gradient)', run: (o, p) => o.applyGradients(p, [tensor(new Float32Array(12).fill(NaN), [3, 4])]), names: /grads\[0\]/ },
      { label: 'applyGradients(other parameters than its slots were made for)', run: (o) => o.applyGradients([w(), w()], [g(), g()]), names: /params/ },
      { label: 'setState(5)', run: (o) => o.setState(5 as never), names: /setState/ },
      { label: 'setState({ iterations: -1 })', run: (o) => o.setState({ iterations: -1, slots: [] }), names: /iterations/ },
      { label: 'setState({ iterations: 1.5 })', run: (o) => o.setState({ iterations: 1.5, slots: [] }), names: /iterations/ },
      { label: 'setState(slots of the wrong count)', run: (o) => o.setState({ iterations: 1, slots: [[w(), w(), w(), w()]] }), names: /slots\[0\]/ },
      { label: 'setState(a NaN slot)', run: (o) => o.setState({ iterations: 1, slots: [o.getState().slots[0].map(() => tensor(new Float32Array(12).fill(NaN), [3, 4]))] }), names: /slots\[0\]\[0\]/ },
      { label: 'learningRate = -1', run: (o) => (o.learningRate = -1), names: /learningRate/ },
      { label: "learningRate = 'fast'", run: (o) => (o.learningRate = 'fast' as never), names: /learningRate/ },
      { label: 'learningRate = NaN', run: (o) => (o.learningRate = NaN), names: /learningRate/ },
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: makers.length - 1 }), fc.constantFrom(...calls), fc.integer({ min: 1, max: 3 }), (which, call, steps) => {
        const o = makers[which]();
        const params = [w()];
        for (let s = 0; s < steps; s++) o.applyGradients(params, [g()]);
        const snap = () => ({ lr: o.learningRate, iterations: o.iterations, slots: o.getState().slots.map((s) => s.map(bitsOf)), weights: params.map(bitsOf) });
        const before = snap();
        let error: unknown;
        try {
          call.run(o, params);
        } catch (e) {
          error = e;
        }
        expectRefusedUnchanged(error, call.names, `${o.className}: ${call.label}`);
        expect(snap(), `${o.className}: ${call.label}`).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});
