// A planted circuit on the GPT-2 test fixture (d 32, 2 layers, 128 MLP neurons each, byte-level
// BPE with " cat" and " dog" as tokens). Task: after a prompt ending in " cat" say "Q", after
// " dog" say "Z". The answer is carried by four MLP neurons and nothing else:
//  - attention writes nothing (every c_proj weight and bias is 0), so the last position sees only
//    its own token;
//  - dims 0–1 hold the last token's animal: cat = (C, −C), dog = (−C, C); every other token and
//    every position embedding is 0 there;
//  - Q and Z are unembedded (tied) only through dims 2–3, as (K, −K) and (−K, K), and are the same
//    elsewhere, so logit(Q) − logit(Z) = 2K·(x̂2 − x̂3): nothing but dims 2–3 decides the task;
//  - PLANTED neurons read dims 0–1 (a cat detector and a dog detector in each layer) and write
//    ±(e2 − e3); no other neuron reads dims 0–3 or writes dims 2–3 (their reads of the rest and
//    their writes to dims 4… stay: they change the residual's spread, a distraction, not the answer);
//  - the LayerNorms pass dims 0–3 unscaled and unshifted.
// With all four, the margin is about 2W; with one mean-ablated, the others still carry the sign but
// with a smaller margin, so the target loss in the test sits between the two (checked there).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SafetensorsFile, writeSafetensors } from '../../../src/engine/formats/safetensors';

const FIXTURE = resolve(__dirname, '../../fixtures/models/gpt2');
const D = 32;
const D_MLP = 128;
const CAT = 285;
const DOG = 287;
const C = 3;
const K = 2;
const S = 10; // the constant spread of the residual on dims 4… (from the position embedding)
const READ = 10; // gain of a planted neuron's read of (x̂0 − x̂1)
const BIAS = -2;
const WRITE = 0.2855; // all four: loss ≈ 0.12; any one mean-ablated: ≥ 0.17 (the default target 0.15 between)

/** The four neurons that carry the task: cat and dog detectors in layer 0 and in layer 1. */
export const PLANTED = [
  { hook: 'blocks.0.mlp.hook_post', layer: 0, index: 11, animal: 'cat' },
  { hook: 'blocks.0.mlp.hook_post', layer: 0, index: 70, animal: 'dog' },
  { hook: 'blocks.1.mlp.hook_post', layer: 1, index: 5, animal: 'cat' },
  { hook: 'blocks.1.mlp.hook_post', layer: 1, index: 99, animal: 'dog' },
] as const;

const SENTENCES = [
  'The {}', 'A {}', 'My {}', 'On the mat a {}', 'There is the {}', 'So the {}', 'Then a {}', 'Every {}', 'The small {}', 'Where is the {}',
  'The old {}', 'For the {}', 'When the {}', 'Is the {}', 'A token and a {}', 'The model and the {}',
];

/** Writes the task file (Q after cat, Z after dog; the paired prompt swaps the animal) and returns its path. */
export function writePlantedTask(dir: string): string {
  const path = join(dir, 'animal.jsonl');
  const rows = SENTENCES.map((s) => JSON.stringify({ prompt: s.replace('{}', 'cat'), target: 'Q', alternative: 'Z', pairedPrompt: s.replace('{}', 'dog') }));
  writeFileSync(path, [JSON.stringify({ task: 'animal', version: 1, title: 'Q after cat, Z after dog' }), ...rows].join('\n'));
  return path;
}

/** Writes the planted model into a fresh temp folder and returns it. */
export function writePlantedCircuitModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'featurescope-planted-circuit-'));
  for (const f of readdirSync(FIXTURE)) if (f !== 'model.safetensors' && f !== 'expected.safetensors') copyFileSync(join(FIXTURE, f), join(dir, f));
  const src = SafetensorsFile.open(join(FIXTURE, 'model.safetensors'));
  const tensors = [...src.tensors.keys()].map((name) => ({ name, dtype: 'F32' as const, shape: src.entry(name).shape, data: src.readFloat32(name) }));
  const get = (name: string): Float32Array => {
    const t = tensors.find((x) => x.name === `transformer.${name}`);
    if (!t) throw new Error(`fixture has no ${name}`);
    return t.data;
  };
  const vocab = (JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const q = vocab.Q as number;
  const z = vocab.Z as number;
  const wte = get('wte.weight'); // [vocab, d], tied with the unembedding
  for (let v = 0; v < wte.length / D; v++) for (let k = 0; k < 4; k++) wte[v * D + k] = 0;
  for (let k = 4; k < D; k++) wte[z * D + k] = wte[q * D + k] as number;
  wte.set([C, -C], CAT * D);
  wte.set([-C, C], DOG * D);
  wte.set([0, 0, K, -K], q * D);
  wte.set([0, 0, -K, K], z * D);
  const wpe = get('wpe.weight');
  for (let p = 0; p < wpe.length / D; p++) {
    for (let k = 0; k < 4; k++) wpe[p * D + k] = 0;
    for (let k = 4; k < D; k++) wpe[p * D + k] = k % 2 === 0 ? S : -S;
  }
  for (const ln of ['h.0.ln_2', 'h.1.ln_2', 'ln_f']) {
    const w = get(`${ln}.weight`);
    const b = get(`${ln}.bias`);
    for (let k = 0; k < 4; k++) {
      w[k] = 1;
      b[k] = 0;
    }
  }
  for (const layer of [0, 1]) {
    get(`h.${layer}.attn.c_proj.weight`).fill(0);
    get(`h.${layer}.attn.c_proj.bias`).fill(0);
    const fc = get(`h.${layer}.mlp.c_fc.weight`); // [d, dMlp], Conv1D
    const fcB = get(`h.${layer}.mlp.c_fc.bias`);
    const proj = get(`h.${layer}.mlp.c_proj.weight`); // [dMlp, d]
    const projB = get(`h.${layer}.mlp.c_proj.bias`);
    for (let n = 0; n < D_MLP; n++) {
      for (let k = 0; k < 4; k++) fc[k * D_MLP + n] = 0;
      proj[n * D + 2] = 0;
      proj[n * D + 3] = 0;
    }
    projB[2] = 0;
    projB[3] = 0;
    for (const p of PLANTED.filter((x) => x.layer === layer)) {
      const sign = p.animal === 'cat' ? 1 : -1;
      for (let k = 0; k < D; k++) fc[k * D_MLP + p.index] = 0;
      fc[0 * D_MLP + p.index] = sign * READ;
      fc[1 * D_MLP + p.index] = -sign * READ;
      fcB[p.index] = BIAS;
      for (let k = 0; k < D; k++) proj[p.index * D + k] = 0;
      proj[p.index * D + 2] = sign * WRITE;
      proj[p.index * D + 3] = -sign * WRITE;
    }
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}
