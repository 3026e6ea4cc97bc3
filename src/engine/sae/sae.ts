// The inference side of a sparse autoencoder (DESIGN.md §3), shared by every architecture:
//   f = act((n(x) − b_dec·apply_b_dec_to_input) @ W_enc + b_enc),   x̂ = n⁻¹(f @ W_dec + b_dec)
// where n is cfg.normalize_activations (inputNorm.ts; the identity for "none").
// Architectures differ only in `act` (and the extra weights and cfg.json fields it reads). Each
// lives in its own file under architectures/, beside its training recipe; registry.ts finds it by
// cfg.architecture. Weights are in raw activation units: any input scaling used during training
// is folded in at save time (see train/foldScale.ts).

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import { normalizeIn, normalizeOut, type RuntimeNorm } from './inputNorm';
import type { SaeArchitecture } from './registry';

export type { SaeArchitecture };

export interface SaeConfig {
  /** The registry name of the inference class (registry.ts); batchtopk trains, then saves as jumprelu. */
  architecture: SaeArchitecture;
  d_in: number;
  d_sae: number;
  apply_b_dec_to_input: boolean;
  /**
   * 'none' for SAEs this app trains (their scaling is folded into the weights); imported SAELens
   * SAEs may normalise each input row at run time (inputNorm.ts).
   */
  normalize_activations: RuntimeNorm;
  /** Active latents per token (topk); the mean per token for the batchtopk family. */
  k?: number;
  /** Nested prefix widths of a Matryoshka SAE, increasing, the last = d_sae. */
  matryoshka_widths?: number[];
  dtype: 'float32';
  metadata: { hook_name: string; model_name: string; [key: string]: unknown };
}

export interface SaeWeights {
  W_enc: tf.Tensor2D; // [d_in, d_sae]
  W_dec: tf.Tensor2D; // [d_sae, d_in]
  b_enc: tf.Tensor1D; // [d_sae]
  b_dec: tf.Tensor1D; // [d_in]
  threshold?: tf.Tensor1D; // [d_sae], jumprelu only
}

/** Weights beyond W_enc, W_dec, b_enc, b_dec that an architecture reads, with their shapes. */
export const EXTRA_WEIGHT_SHAPES = {
  threshold: (cfg: SaeConfig): number[] => [cfg.d_sae],
} as const;
export type ExtraWeight = keyof typeof EXTRA_WEIGHT_SHAPES;

/** cfg.json fields beyond the common ones that an architecture reads (positive integers). */
export type ExtraCfgField = 'k';

/** What the registry and the SAELens reader need of an architecture's inference class. */
export interface SaeClass {
  new (cfg: SaeConfig, weights: SaeWeights): Sae;
  readonly extraWeights: readonly ExtraWeight[];
  readonly cfgFields: readonly ExtraCfgField[];
}

export abstract class Sae {
  /** Weights this architecture needs beyond the common four (checked in the constructor). */
  static readonly extraWeights: readonly ExtraWeight[] = [];
  /** cfg.json fields this architecture needs. */
  static readonly cfgFields: readonly ExtraCfgField[] = [];

  constructor(
    readonly cfg: SaeConfig,
    readonly weights: SaeWeights,
  ) {
    checkShapes(cfg, weights, this.extraWeights);
  }

  /** The weights this SAE holds beyond W_enc, W_dec, b_enc, b_dec (its class's). */
  get extraWeights(): readonly ExtraWeight[] {
    return (this.constructor as SaeClass).extraWeights;
  }

  /** The architecture's activation on pre-activations. */
  protected abstract activate(pre: tf.Tensor2D): tf.Tensor2D;

  /**
   * cfg.json fields and tensors a SAELens folder holds for this architecture beyond the common
   * ones (io/saelens.ts writes them): k, and the extra weights as they are.
   */
  saeLensExtras(): { cfg: Record<string, unknown>; tensors: Array<[string, tf.Tensor]> } {
    return {
      cfg: this.cfg.k !== undefined ? { k: this.cfg.k } : {},
      tensors: this.extraWeights.map((name) => [name, this.weights[name]!]),
    };
  }

  /** Pre-activations (n(x) − b_dec·apply) @ W_enc + b_enc. x: [..., d_in] → [..., d_sae]. */
  preActivation(x: tf.Tensor): tf.Tensor {
    return this.onRows(x, this.cfg.d_in, (raw) => {
      const rows = normalizeIn(this.cfg.normalize_activations, raw); // [N, d_in]
      const centred = this.cfg.apply_b_dec_to_input ? tf.sub(rows, this.weights.b_dec) : rows; // [N, d_in]
      return tf.add(tf.matMul(centred, this.weights.W_enc), this.weights.b_enc) as tf.Tensor2D; // [N, d_sae]
    });
  }

  /** Feature activations. x: [..., d_in] → [..., d_sae]. */
  encode(x: tf.Tensor): tf.Tensor {
    return this.onRows(x, this.cfg.d_in, (rows) => {
      const pre = this.preActivation(rows) as tf.Tensor2D; // [N, d_sae]
      return this.activate(pre);
    });
  }

  /**
   * Reconstruction from feature activations. f: [..., d_sae] → [..., d_in]. `input` is the
   * activation f was encoded from ([..., d_in]); an SAE that normalises its inputs at run time
   * (normalize_activations other than none) maps the reconstruction back with that row's statistics, as SAELens does.
   */
  decode(f: tf.Tensor, input?: tf.Tensor): tf.Tensor {
    const mode = this.cfg.normalize_activations;
    if (mode !== 'none' && input === undefined) {
      throw new FeaturescopeError('internal', `decoding this SAE (normalize_activations ${mode}) needs the input its features came from`);
    }
    return tf.tidy(() => {
      const y = this.onRows(f, this.cfg.d_sae, (rows) => tf.add(tf.matMul(rows, this.weights.W_dec), this.weights.b_dec) as tf.Tensor2D);
      if (mode === 'none') return y;
      const rows = tf.reshape(input!, [-1, this.cfg.d_in]) as tf.Tensor2D; // [N, d_in]
      return tf.reshape(normalizeOut(mode, tf.reshape(y, [-1, this.cfg.d_in]) as tf.Tensor2D, rows), y.shape);
    });
  }

  /** x̂ = decode(encode(x)). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.decode(this.encode(x), x));
  }

  /**
   * Splices an edit of the features into x while keeping the SAE's error term:
   * x' = decode(edit(f)) + (x − decode(f)). An edit that returns f unchanged returns x
   * (up to float rounding), so an empty intervention changes nothing.
   */
  withFeatureEdit(x: tf.Tensor, edit: (features: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const f = this.encode(x); // [..., d_sae]
      const error = tf.sub(x, this.decode(f, x)); // [..., d_in]
      return tf.add(this.decode(edit(f), x), error);
    });
  }

  dispose(): void {
    tf.dispose(Object.values(this.weights) as tf.Tensor[]);
  }

  /** Applies a [N, width] → [N, out] function to a [..., width] tensor. */
  private onRows(x: tf.Tensor, width: number, f: (rows: tf.Tensor2D) => tf.Tensor2D): tf.Tensor {
    const last = x.shape[x.shape.length - 1];
    if (last !== width) {
      throw new FeaturescopeError('invalid_input', `SAE input has last dimension ${String(last)}, expected ${width}`);
    }
    return tf.tidy(() => {
      if (x.rank === 2) return f(x as tf.Tensor2D);
      const lead = x.shape.slice(0, -1);
      const out = f(tf.reshape(x, [-1, width]) as tf.Tensor2D); // [N, out]
      return tf.reshape(out, [...lead, out.shape[1]]);
    });
  }
}

function checkShapes(cfg: SaeConfig, w: SaeWeights, extra: readonly ExtraWeight[]): void {
  const expect = (name: string, t: tf.Tensor | undefined, shape: number[]): void => {
    if (t === undefined) throw new FeaturescopeError('bad_file', `SAE weight ${name} is missing`, name);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new FeaturescopeError('bad_file', `SAE weight ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`, name);
    }
  };
  expect('W_enc', w.W_enc, [cfg.d_in, cfg.d_sae]);
  expect('W_dec', w.W_dec, [cfg.d_sae, cfg.d_in]);
  expect('b_enc', w.b_enc, [cfg.d_sae]);
  expect('b_dec', w.b_dec, [cfg.d_in]);
  for (const name of extra) expect(name, w[name], EXTRA_WEIGHT_SHAPES[name](cfg));
}
