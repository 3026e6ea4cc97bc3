// JumpReLU SAE: f = pre · H(pre − θ), with a learned per-latent threshold θ (Gemma Scope;
// batchtopk SAEs also save as this, with their learned global threshold).
import * as tf from '@tensorflow/tfjs';
import { Sae } from '../sae';

export class JumpReluSae extends Sae {
  protected activate(pre: tf.Tensor2D): tf.Tensor2D {
    const threshold = this.weights.threshold as tf.Tensor1D; // [d_sae], checked in the constructor
    return tf.tidy(() => tf.mul(tf.relu(pre), tf.cast(tf.greater(pre, threshold), 'float32')) as tf.Tensor2D);
  }
}
