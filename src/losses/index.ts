/** The losses: the contract, the Keras losses (the cross-entropies with their fused forms, the regression losses), and lookup by name. */
export { EPSILON, type Loss, type LossName, type LossResult, type LogitsLoss } from './loss.js';
export { categoricalCrossentropy, softmaxCategoricalCrossentropy } from './categorical-crossentropy.js';
export { sparseCategoricalCrossentropy, softmaxSparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';
export { binaryCrossentropy, sigmoidBinaryCrossentropy } from './binary-crossentropy.js';
export { meanSquaredError } from './mean-squared-error.js';
export { meanAbsoluteError } from './mean-absolute-error.js';
export { huber } from './huber.js';
export { meanAbsolutePercentageError } from './mean-absolute-percentage-error.js';
export { logCosh } from './log-cosh.js';
export { getLoss, registerLoss, LOSS_NAMES } from './registry.js';
