/**
 * lstm-ts: the public API. Everything a user imports comes from here; nothing else is exported.
 * Node-only helpers (saving to files) live in 'lstm-ts/node'.
 */

// Tensors and randomness
export { Tensor, tensor, zeros } from './tensor/tensor.js';
export type { NestedArray, TensorLike, NdArrayLike } from './tensor/tensor.js';
export type { DType } from './tensor/alloc.js';
export { setSeed } from './tensor/random.js';

// Layers
export { Layer } from './layers/layer.js';
export type { BaseLayerOptions, ForwardOptions, LayerConfig, Shape } from './layers/layer.js';
// Each layer class registers itself (layers/registry.ts) when its module loads: save / load, the
// TF.js format and summary find it there.
export { LSTM } from './layers/lstm.js';
export type { LSTMOptions, LSTMActivation, LSTMRecurrentActivation } from './layers/lstm.js';
export { GRU } from './layers/gru.js';
export type { GRUOptions, GRUActivation, GRURecurrentActivation } from './layers/gru.js';
export { SimpleRNN } from './layers/simple-rnn.js';
export type { SimpleRNNOptions, SimpleRNNActivation } from './layers/simple-rnn.js';
export { Bidirectional } from './layers/bidirectional.js';
export type { BidirectionalOptions, BidirectionalMergeMode } from './layers/bidirectional.js';
// The recurrent core: a new recurrent layer is a cell (one step's math) plus an RNN subclass
export { RNN } from './layers/recurrent/rnn.js';
export type { RNNOptions, RecurrentWeights, RecurrentTrace } from './layers/recurrent/rnn.js';
export type { RecurrentCell, SequenceBuffers, CellKernelKind } from './layers/recurrent/cell.js';
export { Dense } from './layers/dense.js';
export type { DenseOptions, DenseActivation } from './layers/dense.js';
export { Dropout } from './layers/dropout.js';
export type { DropoutOptions } from './layers/dropout.js';
export { Embedding } from './layers/embedding.js';
export type { EmbeddingOptions } from './layers/embedding.js';
export { RepeatVector } from './layers/repeat-vector.js';
export type { RepeatVectorOptions } from './layers/repeat-vector.js';
export { TimeDistributed } from './layers/time-distributed.js';
export type { TimeDistributedOptions } from './layers/time-distributed.js';
export { Flatten } from './layers/flatten.js';
export type { FlattenOptions } from './layers/flatten.js';
export { registerLayer } from './layers/registry.js';
export type { LayerRegistration, KerasLayerMapping } from './layers/registry.js';
export { KerasConfigReader, kerasActivation, kerasInitializer } from './layers/keras-config.js';

// Losses
export { getLoss, registerLoss, categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError,
  meanAbsoluteError, huber, meanAbsolutePercentageError, logCosh } from './losses/index.js';
export type { Loss, LossName, LossResult } from './losses/index.js';

// Optimizers
export { Optimizer, SGD, Adam, RMSprop, getOptimizer, registerOptimizer } from './optim/index.js';
export type { SGDOptions, AdamOptions, RMSpropOptions, OptimizerState, OptimizerRegistration } from './optim/index.js';

// Model
export { Sequential } from './model/sequential.js';
export type { SequentialOptions, CompileOptions, FitOptions, FitAsyncOptions, AsyncOptions, EvaluateOptions, PredictOptions, History } from './model/sequential.js';
export type { SequentialJSON } from './model/serialization.js';
export { EarlyStopping } from './model/callbacks.js';
export type { Callback, EarlyStoppingOptions, Logs } from './model/callbacks.js';

// Data preparation
export { oneHot, toCategorical, argmax, padSequences } from './data/index.js';
export type { PadSequencesOptions } from './data/index.js';

// Gradient checking
export { gradCheck } from './check/gradcheck.js';
export type { GradCheckOptions } from './check/gradcheck.js';
export type { GradCheckEntry, GradCheckResult } from './check/finite-differences.js';

// Interchange: TF.js Layers format (toTfjsArtifacts(model), fromTfjsArtifacts(artifacts); files in 'lstm-ts/node'), PyTorch nn.LSTM weights
export { toTfjsArtifacts, fromTfjsArtifacts, toTfjsModelFiles } from './io/tfjs.js';
export type { TfjsModelArtifacts, TfjsArtifactsInput, TfjsModelJSON, TfjsModelTopology, TfjsLayerJSON, TfjsWeightSpec, TfjsWeightsManifestGroup } from './io/tfjs.js';
// Keras files: Keras 3 .keras and legacy .h5 (loadKeras(path) in 'lstm-ts/node')
export { fromKerasBytes, toKerasBytes } from './io/keras/model.js';
export type { FromKerasOptions } from './io/keras/model.js';
export { fromTorchLSTM, torchLSTMLayer } from './io/torch.js';
export type { TorchStateDict, FromTorchLSTMOptions } from './io/torch.js';
