// AdamW (Loshchilov & Hutter: decoupled weight decay) with global-norm gradient clipping,
// as torch.optim.AdamW + clip_grad_norm_ compute it.
import * as tf from '@tensorflow/tfjs';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  clipNorm: number;
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  step = 0;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly settings: AdamWSettings,
    private readonly decayed: (name: string) => boolean,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false, `adam_m/${name}`));
      this.v.set(name, tf.variable(tf.zerosLike(p), false, `adam_v/${name}`));
    }
  }

  /** Applies one update; returns the gradient's global norm before clipping. */
  apply(grads: Map<string, tf.Tensor>, lr: number): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.settings;
    this.step++;
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
    const norm = normTensor.dataSync()[0]!;
    normTensor.dispose();
    const scale = norm > clipNorm ? clipNorm / norm : 1;
    const bias1 = 1 - beta1 ** this.step;
    const bias2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g0 = grads.get(name);
        if (g0 === undefined) throw new Error(`no gradient for ${name}`);
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, bias1), tf.add(tf.sqrt(tf.div(v, bias2)), eps));
        const decayedP = this.decayed(name) ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayedP, tf.mul(update, lr)));
      }
    });
    return norm;
  }
}

/** Linear warmup, then cosine decay to minLr at progress 1. */
export function cosineLr(progress: number, warmupProgress: number, maxLr: number, minLr: number): number {
  if (progress < warmupProgress) return (maxLr * (progress + 1e-9)) / warmupProgress;
  const t = Math.min(1, (progress - warmupProgress) / (1 - warmupProgress));
  return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * t));
}
