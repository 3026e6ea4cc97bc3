// Adam with bias correction (Kingma & Ba), written out so the trainer owns every update:
// gradients arrive already sparse-computed, projected and clipped, and the moments are plain
// tensors that go into checkpoints by name.
import * as tf from '@tensorflow/tfjs';
import { adamStep } from './updateKernels';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam {
  /** Number of updates applied so far (t in the paper). */
  t = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(readonly options: AdamOptions) {}

  /**
   * Applies one update to each parameter that has a gradient. Takes ownership of nothing.
   * Gradients named in `transposed` are given as the transpose of their 2-D parameter.
   */
  update(params: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number, transposed: ReadonlySet<string> = new Set()): void {
    this.t += 1;
    const { beta1, beta2, eps } = this.options;
    // Bias correction folded into the step size: lr·√(1−β2ᵗ)/(1−β1ᵗ).
    const stepSize = (lr * Math.sqrt(1 - beta2 ** this.t)) / (1 - beta1 ** this.t);
    const epsHat = eps * Math.sqrt(1 - beta2 ** this.t);
    for (const [name, g] of Object.entries(grads)) {
      const p = params.get(name);
      if (p === undefined) throw new Error(`Adam: gradient for unknown parameter ${name}`);
      const m = this.moment(this.m, name, p);
      const v = this.moment(this.v, name, p);
      // One pass per parameter (a wasm kernel, or tfjs ops elsewhere); assign takes the new data.
      const next = adamStep(p, g, m, v, { beta1, beta2, stepSize, epsHat }, transposed.has(name));
      m.assign(next.m);
      v.assign(next.v);
      p.assign(next.p);
      tf.dispose([next.m, next.v, next.p]);
    }
  }

  /** Restores moments saved by a checkpoint. */
  load(t: number, m: Map<string, tf.Tensor>, v: Map<string, tf.Tensor>): void {
    this.t = t;
    // The caller keeps ownership of the given tensors; variables hold their own reference.
    for (const [name, value] of m) this.m.set(name, tf.variable(value, false));
    for (const [name, value] of v) this.v.set(name, tf.variable(value, false));
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }

  private moment(store: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let x = store.get(name);
    if (x === undefined) {
      x = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      store.set(name, x);
    }
    return x;
  }
}
