// How a circuit does on its task: the model with every node outside the circuit ablated, scored
// against the full model on the task's prompts (the last position of each).
//   loss, accuracy   two-way cross-entropy over {target, alternative} and how often the target wins
//   kl               mean KL(full ‖ circuit) of the next-token distribution over the whole vocabulary
//   exactMatch       fraction of prompts where the circuit model's argmax token is the full model's
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../model';
import { exampleLosses, lastLogits, margins, maskHooks } from './masked-run';
import type { NodeSite } from './nodes';
import type { TaskBatch } from './task-batches';

export interface CircuitScore {
  loss: number;
  accuracy: number;
  kl: number;
  exactMatch: number;
}


export class CircuitScorer {
  readonly full: CircuitScore;
  private readonly reference: { logProbs: tf.Tensor2D; argmax: tf.Tensor1D };
  private readonly ablated: tf.Tensor1D;

  constructor(
    private readonly model: LoadedModel,
    private readonly sites: NodeSite[],
    private readonly batches: TaskBatch[],
    ablationValues: Float32Array,
  ) {
    this.ablated = tf.keep(tf.tensor1d(ablationValues));
    this.reference = tf.tidy(() => {
      const logits = lastLogits(model, batches, []);
      return { logProbs: tf.keep(tf.logSoftmax(logits)) as tf.Tensor2D, argmax: tf.keep(logits.argMax(1)) as tf.Tensor1D };
    });
    const ones = new Float32Array(ablationValues.length).fill(1);
    this.full = this.score(ones);
  }

  /** The model with the nodes where `keep` is 1 left alone and every other node ablated. */
  score(keep: Float32Array): CircuitScore {
    const figures = tf.tidy(() => {
      const mask = tf.tensor1d(keep);
      const logits = lastLogits(this.model, this.batches, maskHooks(this.sites, mask, this.ablated));
      const m = margins(logits, this.batches);
      const logProbs = tf.logSoftmax(logits);
      const kl = this.reference.logProbs.exp().mul(this.reference.logProbs.sub(logProbs)).sum(1).mean(); // KL(full ‖ circuit)
      const same = logits.argMax(1).equal(this.reference.argmax).toFloat().mean();
      return tf.stack([exampleLosses(m).mean(), m.greater(0).toFloat().mean(), kl, same]);
    });
    const [loss, accuracy, kl, exactMatch] = figures.dataSync() as Float32Array;
    figures.dispose();
    return { loss: loss!, accuracy: accuracy!, kl: Math.max(0, kl!), exactMatch: exactMatch! };
  }

  dispose(): void {
    this.ablated.dispose();
    this.reference.logProbs.dispose();
    this.reference.argmax.dispose();
  }
}
