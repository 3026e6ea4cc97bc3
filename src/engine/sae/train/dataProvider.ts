// What the trainer is handed to read activations from. Activation stores implement it; tests
// use synthetic providers.
import type * as tf from '@tensorflow/tfjs';

export interface ActivationProvider {
  /** The next `batchSize` activation rows, [batchSize, d_in] row-major (or a tensor). */
  nextBatch(batchSize: number): Float32Array | tf.Tensor2D;
  /** The read position, JSON-serialisable; saved in checkpoints so a resume reads on from it. */
  getState?(): unknown;
  setState?(state: unknown): void;
}
