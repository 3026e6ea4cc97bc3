// Synthetic activations with known sparse features in superposition: nFeatures random unit
// directions in d dims (nFeatures > d), each sample a sum of `active` of them with random
// magnitudes. Seeded, and seekable so checkpoint/resume tests can restore the read position.
import type { ActivationProvider } from '../../../src/engine/sae/train/dataProvider';
import { Rng } from '../../../src/engine/random';

export class PlantedFeatures implements ActivationProvider {
  readonly directions: Float32Array; // [nFeatures, d], unit rows
  private rng: Rng;
  /** Step at which nextBatch starts returning NaN (NaN test). */
  poisonFromBatch = Infinity;
  private batches = 0;

  constructor(
    readonly d: number,
    readonly nFeatures: number,
    readonly active: number,
    seed: number,
  ) {
    const dirRng = Rng.fromSeed(seed);
    this.directions = dirRng.normals(nFeatures * d);
    for (let f = 0; f < nFeatures; f++) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += this.directions[f * d + j]! ** 2;
      for (let j = 0; j < d; j++) this.directions[f * d + j]! /= Math.sqrt(ss);
    }
    this.rng = Rng.fromSeed(seed + 1);
  }

  nextBatch(batchSize: number): Float32Array {
    const out = new Float32Array(batchSize * this.d);
    const poison = this.batches >= this.poisonFromBatch;
    this.batches++;
    for (let b = 0; b < batchSize; b++) {
      for (let a = 0; a < this.active; a++) {
        const f = this.rng.below(this.nFeatures);
        const mag = 0.5 + this.rng.uniform();
        for (let j = 0; j < this.d; j++) out[b * this.d + j]! += mag * this.directions[f * this.d + j]!;
      }
    }
    if (poison) out[0] = Number.NaN;
    return out;
  }

  getState(): unknown {
    return { rng: this.rng.state(), batches: this.batches };
  }

  setState(state: unknown): void {
    const s = state as { rng: number[]; batches: number };
    this.rng = Rng.fromState(s.rng);
    this.batches = s.batches;
  }
}

/** Fraction of true directions whose best-matching decoder row has cosine ≥ minCos. */
export function recoveredFraction(directions: Float32Array, nFeatures: number, W_dec: Float32Array, dSae: number, d: number, minCos: number): { fraction: number; meanMaxCos: number } {
  const norms = new Float32Array(dSae);
  for (let r = 0; r < dSae; r++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += W_dec[r * d + j]! ** 2;
    norms[r] = Math.sqrt(ss) || 1;
  }
  let hit = 0, sum = 0;
  for (let f = 0; f < nFeatures; f++) {
    let best = -1;
    for (let r = 0; r < dSae; r++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += directions[f * d + j]! * W_dec[r * d + j]!;
      best = Math.max(best, dot / norms[r]!);
    }
    sum += best;
    if (best >= minCos) hit++;
  }
  return { fraction: hit / nFeatures, meanMaxCos: sum / nFeatures };
}
