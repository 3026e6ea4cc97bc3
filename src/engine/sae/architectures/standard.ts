// Standard (ReLU) SAE: f = ReLU(pre). Trained with the Anthropic April 2024 L1 recipe
// (train/architectures/standardTraining.ts).
import * as tf from '@tensorflow/tfjs';
import { Sae } from '../sae';

export class StandardSae extends Sae {
  protected activate(pre: tf.Tensor2D): tf.Tensor2D {
    return tf.relu(pre);
  }
}
