// Keys and values of the positions already processed, per layer, for incremental decoding.
// The tensors are kept out of tf.tidy scopes; the owner (the generator) disposes the cache.

import * as tf from '@tensorflow/tfjs';

export class KvCache {
  private readonly layers: ({ k: tf.Tensor4D; v: tf.Tensor4D } | undefined)[];

  constructor(nLayers: number) {
    this.layers = new Array(nLayers).fill(undefined);
  }

  /** Cached positions (the key axis length before the current step). */
  get length(): number {
    return this.layers[0]?.k.shape[2] ?? 0;
  }

  /**
   * Appends this step's keys/values [batch, kv_head, pos, d_head] to layer L's and returns the
   * whole sequence's. Called inside the step's tidy: the stored tensors are kept.
   */
  extend(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    const past = this.layers[layer];
    const next = past === undefined ? { k, v } : { k: tf.concat([past.k, k], 2), v: tf.concat([past.v, v], 2) };
    tf.keep(next.k);
    tf.keep(next.v);
    if (past !== undefined) {
      past.k.dispose();
      past.v.dispose();
    }
    this.layers[layer] = next;
    return next;
  }

  dispose(): void {
    for (const entry of this.layers) {
      entry?.k.dispose();
      entry?.v.dispose();
    }
    this.layers.fill(undefined);
  }
}
