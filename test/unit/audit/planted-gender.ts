// A planted attribute that travels into the context, and a planted bias it drives, on the GPT-2
// test fixture (d 32, 2 layers). Side a says " cat", side b " dog" (the fixture has no pronouns;
// read them as "he" / "she"). Dims 0–3 are reserved:
//  - every token and position embedding is 0 on dims 0–3, except cat = (C, −C, T, −T) and
//    dog = (−C, C, −T, T): the two differ only there, and only by a sign flip, so LayerNorm's mean
//    and spread are the same on both sides and nothing outside dims 0–3 sees the swap itself;
//  - dims 2–3 are the token's identity: nothing reads them after layer 0 attention (q, k, v are
//    blind to dims 0–3), so they stay at the swapped position, like a "the token is she" feature;
//  - dims 0–1 are the attribute: head 0 of layer 0 copies them (gain G) to every later position,
//    still as a sign flip, and nothing else writes them (layer 0's MLP neither reads nor writes
//    them; layer 1 does not write them);
//  - the outcome: tokens Q ("nurse") and Z ("engineer") are unembedded only through dims 0–1, as
//    (−K, K) and (K, −K), so logit(Q) − logit(Z) = 2K·(x1 − x0)/σ at the last position: higher
//    on side b. A planted occupation bias carried by the attribute in the context.
// SAEs at blocks.1.hook_resid_pre (writeGenderSae): random unit directions over dims 4…, a
// token-identity feature over dims 2–3 (fires on " dog" at the swapped position), and — only in
// the planted SAE — GENDER_FEATURE (reads and writes (e1 − e0)/√2: it drives the outcome) and
// SENSITIVE_ONLY (reads the same, writes (e0 + e1)/√2, which the outcome ignores).

import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile, writeSafetensors } from '../../../src/engine/formats/safetensors';
import { SeededRandom } from '../../../src/engine/random';
import { FIXTURE, PLANTED_PAIRS } from './planted';

export const GENDER_HOOK = 'blocks.1.hook_resid_pre';
export const GENDER_SAE_WIDTH = 32;
export const GENDER_FEATURE = 5;
export const SENSITIVE_ONLY = 6;
export const IDENTITY_FEATURE = 7;
const D = 32;
const D_MLP = 128;
const CAT = 285;
const DOG = 287;
const C = 4;
const T = 4;
const G = 4;
const K = 3;

/** The same cat/dog sentences as planted.ts. */
export const GENDER_PAIRS = PLANTED_PAIRS;

/** Token ids of the outcome's two tokens (single bytes that none of the pairs contains). */
export function outcomeTokens(): { nurse: number; engineer: number } {
  const vocab = (JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  return { nurse: vocab.Q as number, engineer: vocab.Z as number };
}

/** Writes the planted model into a fresh temp folder and returns it. */
export function writeGenderModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'featurescope-planted-gender-'));
  for (const f of readdirSync(FIXTURE)) if (f !== 'model.safetensors' && f !== 'expected.safetensors') copyFileSync(join(FIXTURE, f), join(dir, f));
  const src = SafetensorsFile.open(join(FIXTURE, 'model.safetensors'));
  const tensors = [...src.tensors.keys()].map((name) => ({ name, dtype: 'F32' as const, shape: src.entry(name).shape, data: src.readFloat32(name) }));
  const get = (name: string): Float32Array => {
    const t = tensors.find((x) => x.name === `transformer.${name}`);
    if (!t) throw new Error(`fixture has no ${name}`);
    return t.data;
  };
  const { nurse, engineer } = outcomeTokens();
  const wte = get('wte.weight'); // [vocab, d], tied with the unembedding
  const vocab = wte.length / D;
  for (let v = 0; v < vocab; v++) for (let k = 0; k < 4; k++) wte[v * D + k] = 0;
  for (let k = 4; k < D; k++) {
    wte[DOG * D + k] = wte[CAT * D + k] as number;
    wte[engineer * D + k] = wte[nurse * D + k] as number;
  }
  wte.set([C, -C, T, -T], CAT * D);
  wte.set([-C, C, -T, T], DOG * D);
  wte.set([-K, K], nurse * D);
  wte.set([K, -K], engineer * D);
  const wpe = get('wpe.weight');
  for (let p = 0; p < wpe.length / D; p++) for (let k = 0; k < 4; k++) wpe[p * D + k] = 0;
  // LayerNorms pass dims 0–3 unscaled and unshifted, so a sign flip stays a sign flip.
  for (const ln of ['h.0.ln_1', 'h.0.ln_2', 'h.1.ln_1', 'h.1.ln_2', 'ln_f']) {
    const w = get(`${ln}.weight`);
    const b = get(`${ln}.bias`);
    for (let k = 0; k < 4; k++) {
      w[k] = 1;
      b[k] = 0;
    }
  }
  // Layer 0 attention: q, k, v blind to dims 0–3; head 0's value dims 0, 1 copy dims 0, 1 (gain G)
  // and its output writes them back to dims 0, 1 only; nothing else writes dims 0, 1.
  const qkv = get('h.0.attn.c_attn.weight'); // [d, 3d]
  const qkvB = get('h.0.attn.c_attn.bias');
  for (let k = 0; k < 4; k++) for (let c = 0; c < 3 * D; c++) qkv[k * 3 * D + c] = 0;
  for (const c of [2 * D, 2 * D + 1]) {
    for (let k = 0; k < D; k++) qkv[k * 3 * D + c] = 0;
    qkvB[c] = 0;
  }
  qkv[0 * 3 * D + 2 * D] = G;
  qkv[1 * 3 * D + 2 * D + 1] = G;
  const proj = get('h.0.attn.c_proj.weight'); // [d (heads' values), d]
  const projB = get('h.0.attn.c_proj.bias');
  for (let r = 0; r < D; r++) for (const c of [0, 1]) proj[r * D + c] = 0;
  for (const r of [0, 1]) for (let c = 0; c < D; c++) proj[r * D + c] = 0;
  proj[0 * D + 0] = 1;
  proj[1 * D + 1] = 1;
  projB[0] = 0;
  projB[1] = 0;
  // Layer 0 MLP neither reads nor writes dims 0, 1.
  const fc = get('h.0.mlp.c_fc.weight'); // [d, d_mlp]
  for (const k of [0, 1]) for (let j = 0; j < D_MLP; j++) fc[k * D_MLP + j] = 0;
  const mlpOut = get('h.0.mlp.c_proj.weight'); // [d_mlp, d]
  const mlpOutB = get('h.0.mlp.c_proj.bias');
  for (let j = 0; j < D_MLP; j++) for (const c of [0, 1]) mlpOut[j * D + c] = 0;
  mlpOutB[0] = 0;
  mlpOutB[1] = 0;
  // Layer 1 does not write dims 0, 1: the attribute reaches the unembedding as the context left it.
  for (const [w, rows] of [[get('h.1.attn.c_proj.weight'), D], [get('h.1.mlp.c_proj.weight'), D_MLP]] as const) for (let r = 0; r < rows; r++) for (const c of [0, 1]) w[r * D + c] = 0;
  for (const b of [get('h.1.attn.c_proj.bias'), get('h.1.mlp.c_proj.bias')]) {
    b[0] = 0;
    b[1] = 0;
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

/** A ReLU SAE at GENDER_HOOK as a SAELens folder; `planted` adds GENDER_FEATURE and SENSITIVE_ONLY. */
export function writeGenderSae(planted: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'featurescope-gender-sae-'));
  const rng = new SeededRandom(11);
  const wEnc = new Float32Array(D * GENDER_SAE_WIDTH); // [d_in, d_sae]
  const wDec = new Float32Array(GENDER_SAE_WIDTH * D); // [d_sae, d_in]
  const bEnc = new Float32Array(GENDER_SAE_WIDTH);
  const set = (f: number, enc: number[], dec: number[]) => {
    enc.forEach((v, k) => (wEnc[k * GENDER_SAE_WIDTH + f] = v));
    dec.forEach((v, k) => (wDec[f * D + k] = v));
  };
  const s = Math.SQRT1_2;
  for (let f = 0; f < GENDER_SAE_WIDTH; f++) {
    // Every feature draws its random row (so both SAEs share them), then the planted ones replace theirs.
    const row = new Array<number>(D).fill(0);
    let norm = 0;
    for (let k = 4; k < D; k++) {
      row[k] = rng.next() * 2 - 1;
      norm += (row[k] as number) ** 2;
    }
    const unit = row.map((v) => v / Math.sqrt(norm));
    if (f === IDENTITY_FEATURE) {
      const dir = [0, 0, -s, s];
      set(f, dir, dir);
      bEnc[f] = -2;
    } else if (planted && f === GENDER_FEATURE) {
      const dir = [-s, s];
      set(f, dir, dir);
    } else if (planted && f === SENSITIVE_ONLY) {
      set(f, [-s, s], [s, s]);
    } else {
      set(f, unit, unit);
    }
  }
  writeSafetensors(join(dir, 'sae_weights.safetensors'), [
    { name: 'W_enc', dtype: 'F32', shape: [D, GENDER_SAE_WIDTH], data: wEnc },
    { name: 'W_dec', dtype: 'F32', shape: [GENDER_SAE_WIDTH, D], data: wDec },
    { name: 'b_enc', dtype: 'F32', shape: [GENDER_SAE_WIDTH], data: bEnc },
    { name: 'b_dec', dtype: 'F32', shape: [D], data: new Float32Array(D) },
  ]);
  const cfg = { architecture: 'standard', d_in: D, d_sae: GENDER_SAE_WIDTH, dtype: 'float32', apply_b_dec_to_input: false, normalize_activations: 'none', metadata: { hook_name: GENDER_HOOK, model_name: 'planted-gender-gpt2' } };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg, null, 2));
  return dir;
}
