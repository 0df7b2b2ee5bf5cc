/**
 * The frame the element-wise regression losses share (MSE, MAE, MAPE, Huber, log-cosh): targets
 * shaped like the predictions, every element counted (the mean over the last axis, then over the
 * rows, is the mean over every element), and the arithmetic in one unchecked kernel (loss.ts,
 * LossKernel) that the public compute runs after its checks. Each loss file is its kernel.
 */
import type { Tensor } from '../tensor/tensor.js';
import { runKernel, withKernel, type Loss, type LossKernel, type LossName, type LossResult } from './loss.js';
import { checkDenseTargets, checkPredictions } from './targets.js';

export function elementwiseLoss(name: LossName, kerasName: string, kernel: LossKernel): Loss {
  const validateTargets = (yTrue: Tensor, predictionShape: readonly number[], argument: string): void => {
    checkDenseTargets(yTrue, predictionShape, argument);
  };
  const compute = (yPred: Tensor, yTrue: Tensor): LossResult => {
    checkPredictions(yPred, 'yPred');
    validateTargets(yTrue, yPred.shape, 'yTrue');
    return runKernel(kernel, yPred, yTrue, 0);
  };
  withKernel(compute, kernel);
  return { name, kerasName, validateTargets, compute };
}
