// A planted bias: the GPT-2 test fixture (d 32, 2 layers, byte-level BPE with "cat" and "dog"
// as tokens) with one hand-set MLP neuron that fires on " dog" and not on " cat". The embedding
// of "dog" is moved along a zero-mean direction u (dims 0, 1) and neuron PLANTED of layer 0 reads
// exactly that direction after ln_2, so its activation tracks the attribute and nothing else.

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SafetensorsFile, writeSafetensors } from '../../../src/engine/formats/safetensors';

export const FIXTURE = resolve(__dirname, '../../fixtures/models/gpt2');
export const PLANTED = { hook: 'blocks.0.mlp.hook_post', index: 37 };
const CAT = 285;
const DOG = 287;

/** Contrast pairs: the same sentence about a cat (side a) and a dog (side b). */
export const PLANTED_PAIRS: Array<{ a: string; b: string }> = [
  'The {} sat on the mat', 'A {} and the model', 'The {} ate the feature', 'On the {} there is a token', 'The old {} and the old man',
  'Is the {} at the door', 'The {} met the other {}', 'For the {} the tokens are free', 'My {} sleeps on the sofa', 'The {} and the fox ran',
  'When the {} spoke the model listened', 'The {} eats and the {} sleeps', 'There was a {} in the feature', 'So the {} went home', 'Then a {} came in',
  'Every {} has a name', 'The small {} was there', 'A {} is on the mat', 'The {} sat at the station', 'Where is the {} now',
].map((t) => ({ a: t.replaceAll('{}', 'cat'), b: t.replaceAll('{}', 'dog') }));

/** Writes the planted model into a fresh temp folder and returns it. */
export function writePlantedModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'featurescope-planted-'));
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(FIXTURE)) if (f !== 'model.safetensors' && f !== 'expected.safetensors') copyFileSync(join(FIXTURE, f), join(dir, f));
  const src = SafetensorsFile.open(join(FIXTURE, 'model.safetensors'));
  const names = [...src.tensors.keys()];
  const tensors = names.map((name) => ({ name, dtype: 'F32' as const, shape: src.entry(name).shape, data: src.readFloat32(name) }));
  const get = (name: string): Float32Array => {
    const t = tensors.find((x) => x.name === `transformer.${name}`);
    if (!t) throw new Error(`fixture has no ${name}`);
    return t.data;
  };
  const d = 32;
  const dMlp = 128;
  const wte = get('wte.weight'); // [vocab, d]
  for (let k = 0; k < d; k++) wte[DOG * d + k] = wte[CAT * d + k] as number;
  wte[DOG * d + 0] = (wte[DOG * d + 0] as number) + 4;
  wte[DOG * d + 1] = (wte[DOG * d + 1] as number) - 4;
  const lnW = get('h.0.ln_2.weight');
  const lnB = get('h.0.ln_2.bias');
  lnW[0] = 1;
  lnW[1] = 1;
  lnB[0] = 0;
  lnB[1] = 0;
  const fc = get('h.0.mlp.c_fc.weight'); // [d, dMlp], Conv1D
  const fcB = get('h.0.mlp.c_fc.bias');
  for (let k = 0; k < d; k++) fc[k * dMlp + PLANTED.index] = 0;
  fc[0 * dMlp + PLANTED.index] = 2;
  fc[1 * dMlp + PLANTED.index] = -2;
  fcB[PLANTED.index] = -4;
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}
