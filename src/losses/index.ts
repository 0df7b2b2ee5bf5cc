/** The losses: the contract, the four Keras losses with their fused forms, and lookup by name. */
export { EPSILON, type Loss, type LossName, type LossResult, type LogitsLoss } from './loss.js';
export { categoricalCrossentropy, softmaxCategoricalCrossentropy } from './categorical-crossentropy.js';
export { sparseCategoricalCrossentropy, softmaxSparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';
export { binaryCrossentropy, sigmoidBinaryCrossentropy } from './binary-crossentropy.js';
export { meanSquaredError } from './mean-squared-error.js';
export { getLoss, registerLoss, LOSS_NAMES } from './registry.js';
