// AdamW (Loshchilov & Hutter: decoupled weight decay) as torch.optim.AdamW computes it, after one
// of two gradient scalings: global-norm clipping (torch clip_grad_norm_; the default model) or
// normalising the gradient to RMS 1 over all parameters every step (Gao et al. 2025's weight-sparse
// training). Used by scripts/default-model/train.ts and the sparse.train job (engine/sparse).
import * as tf from '@tensorflow/tfjs';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Largest global L2 norm of the gradient (clipped above it); ignored with normalizeRms. */
  clipNorm: number;
  /** Scale every gradient so the RMS over all parameters' entries is 1 (not only when above). */
  normalizeRms?: boolean;
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
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update; returns the gradient's global norm before clipping or normalising. */
  apply(grads: Map<string, tf.Tensor>, lr: number): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.settings;
    this.step++;
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
    const norm = normTensor.dataSync()[0]!;
    normTensor.dispose();
    const scale = this.gradientScale(grads, norm, clipNorm);
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

  private gradientScale(grads: Map<string, tf.Tensor>, norm: number, clipNorm: number): number {
    if (this.settings.normalizeRms) {
      const entries = [...grads.values()].reduce((n, g) => n + g.size, 0);
      const rms = norm / Math.sqrt(entries);
      return rms > 0 ? 1 / rms : 1;
    }
    return norm > clipNorm ? clipNorm / norm : 1;
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
}

/** Linear warmup, then cosine decay to minLr at progress 1. */
export function cosineLr(progress: number, warmupProgress: number, maxLr: number, minLr: number): number {
  if (progress < warmupProgress) return (maxLr * (progress + 1e-9)) / warmupProgress;
  const t = Math.min(1, (progress - warmupProgress) / (1 - warmupProgress));
  return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * t));
}
