// A planted SAE for the planted-bias model (planted.ts): a ReLU SAE at blocks.0.hook_resid_pre
// whose feature PLANTED_FEATURE has the planted direction u = (e0 − e1)/√2 as its decoder row
// (and encoder column). There the only difference between a "cat" and a "dog" sentence is
// 4·e0 − 4·e1 at the animal's position (u·Δ = 8/√2 ≈ 5.7), so with b_enc = −3 the feature fires on
// " dog" and on no token of the fixture's vocabulary at positions < 20 (u·x ≤ 2.08 there). Every
// other feature reads dims 2… only, so its activations on the two sides are bit-identical.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../src/engine/formats/safetensors';
import { SeededRandom } from '../../../src/engine/random';

export const SAE_HOOK = 'blocks.0.hook_resid_pre';
export const SAE_WIDTH = 16;
export const PLANTED_FEATURE = 5;
const D_IN = 32;

/** Writes the SAE as a SAELens folder (cfg.json + sae_weights.safetensors) in a fresh temp folder. */
export function writePlantedSae(): string {
  const dir = mkdtempSync(join(tmpdir(), 'featurescope-planted-sae-'));
  const rng = new SeededRandom(7);
  const wDec = new Float32Array(SAE_WIDTH * D_IN); // [d_sae, d_in]
  for (let f = 0; f < SAE_WIDTH; f++) {
    if (f === PLANTED_FEATURE) {
      wDec[f * D_IN + 0] = Math.SQRT1_2;
      wDec[f * D_IN + 1] = -Math.SQRT1_2;
      continue;
    }
    // Unit rows over dims 2… (dims 0 and 1 stay exactly 0).
    let norm = 0;
    for (let k = 2; k < D_IN; k++) {
      const v = rng.next() * 2 - 1;
      wDec[f * D_IN + k] = v;
      norm += v * v;
    }
    for (let k = 2; k < D_IN; k++) wDec[f * D_IN + k] = (wDec[f * D_IN + k] as number) / Math.sqrt(norm);
  }
  const wEnc = new Float32Array(D_IN * SAE_WIDTH); // [d_in, d_sae] = W_decᵀ
  for (let f = 0; f < SAE_WIDTH; f++) for (let k = 0; k < D_IN; k++) wEnc[k * SAE_WIDTH + f] = wDec[f * D_IN + k] as number;
  const bEnc = new Float32Array(SAE_WIDTH);
  bEnc[PLANTED_FEATURE] = -3;
  writeSafetensors(join(dir, 'sae_weights.safetensors'), [
    { name: 'W_enc', dtype: 'F32', shape: [D_IN, SAE_WIDTH], data: wEnc },
    { name: 'W_dec', dtype: 'F32', shape: [SAE_WIDTH, D_IN], data: wDec },
    { name: 'b_enc', dtype: 'F32', shape: [SAE_WIDTH], data: bEnc },
    { name: 'b_dec', dtype: 'F32', shape: [D_IN], data: new Float32Array(D_IN) },
  ]);
  const cfg = {
    architecture: 'standard',
    d_in: D_IN,
    d_sae: SAE_WIDTH,
    dtype: 'float32',
    apply_b_dec_to_input: false,
    normalize_activations: 'none',
    metadata: { hook_name: SAE_HOOK, model_name: 'planted-gpt2' },
  };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg, null, 2));
  return dir;
}
