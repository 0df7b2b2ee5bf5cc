/** The optimizers: the contract, SGD, Adam, RMSprop, and lookup by name. */
export { Optimizer, type OptimizerName, type OptimizerState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { getOptimizer, registerOptimizer, optimizerRegistration, registeredOptimizerClasses, optimizerToKerasConfig, optimizerFromKerasConfig, type OptimizerRegistration } from './registry.js';
export type { ClipOptions } from './clip.js';
