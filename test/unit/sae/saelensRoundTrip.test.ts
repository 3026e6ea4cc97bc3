// SAELens format against an independent PyTorch reader/forward (scripts/reference/sae_reference.py):
// folders written here are read and run by the script, folders (and a Gemma Scope params.npz)
// written by the script load here with the same outputs. Also: input-scale folding, the
// error-term-preserving feature edit, and the refusal of pickles.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { createSae } from '../../../src/engine/sae/registry';
import type { SaeArchitecture, SaeConfig } from '../../../src/engine/sae/sae';
import { foldInputScale } from '../../../src/engine/sae/train/foldScale';
import { loadSae } from '../../../src/engine/sae/io/loadSae';
import { loadSaeLens, saveSaeLens } from '../../../src/engine/sae/io/saelens';
import { maxAbsDiff, seededFloats, useEngineBackend } from './helpers/backend';

const PY = '/usr/bin/python3';
const SCRIPT = resolve(__dirname, '../../../scripts/reference/sae_reference.py');
const hasTorch = spawnSync(PY, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const dIn = 16, dSae = 48;

beforeAll(useEngineBackend);

function randomSae(architecture: SaeArchitecture, seed: number) {
  const cfg: SaeConfig = {
    architecture,
    d_in: dIn,
    d_sae: dSae,
    apply_b_dec_to_input: architecture !== 'standard',
    normalize_activations: 'none',
    dtype: 'float32',
    ...(architecture === 'topk' ? { k: 6 } : {}),
    metadata: { hook_name: 'blocks.0.hook_resid_pre', model_name: 'test-model' },
  };
  return createSae(cfg, {
    W_enc: tf.tensor2d(seededFloats(dIn * dSae, seed), [dIn, dSae]),
    W_dec: tf.tensor2d(seededFloats(dIn * dSae, seed + 1), [dSae, dIn]),
    b_enc: tf.tensor1d(seededFloats(dSae, seed + 2)).mul(0.2) as tf.Tensor1D,
    b_dec: tf.tensor1d(seededFloats(dIn, seed + 3)).mul(0.5) as tf.Tensor1D,
    ...(architecture === 'jumprelu' ? { threshold: tf.tensor1d(seededFloats(dSae, seed + 4)).abs().mul(0.5) as tf.Tensor1D } : {}),
  });
}

const flat = (rows: number[][]): number[] => rows.flat();

// Where torch is absent the whole group reports itself skipped, with the reason in its title.
const referenceGroup = hasTorch ? 'round trip with the PyTorch reference' : 'round trip with the PyTorch reference (skipped: /usr/bin/python3 has no torch; apt-get install python3-torch)';

describe.skipIf(!hasTorch)(referenceGroup, () => {
  it.each(['standard', 'topk', 'jumprelu'] as const)('%s folder written here runs identically in torch', (arch) => {
    const sae = randomSae(arch, 40);
    const dir = mkdtempSync(join(tmpdir(), 'fs-sae-'));
    saveSaeLens(dir, sae);
    const x = tf.tensor2d(seededFloats(8 * dIn, 99), [8, dIn]).mul(2);
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ x: x.arraySync() }));
    const ref = JSON.parse(execFileSync(PY, [SCRIPT, 'run', dir, input], { encoding: 'utf8' })) as { features: number[][]; reconstruction: number[][] };
    const f = sae.encode(x);
    expect(maxAbsDiff(f.dataSync(), flat(ref.features))).toBeLessThan(1e-5);
    expect(maxAbsDiff(sae.decode(f).dataSync(), flat(ref.reconstruction))).toBeLessThan(1e-5);
    const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ architecture: arch, d_in: dIn, d_sae: dSae, dtype: 'float32', metadata: { hook_name: 'blocks.0.hook_resid_pre' } });
    // And it loads back here unchanged.
    const back = loadSaeLens(dir);
    expect(maxAbsDiff(back.encode(x).dataSync(), f.dataSync())).toBe(0);
  });

  it.each(['standard', 'topk', 'jumprelu'] as const)('%s folder written by the torch script loads here with its outputs', (arch) => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-sae-ref-'));
    execFileSync(PY, [SCRIPT, 'write', dir, arch, '3']);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { x: number[][]; features: number[][]; reconstruction: number[][] };
    const sae = loadSae(dir);
    const x = tf.tensor2d(expected.x);
    const f = sae.encode(x);
    expect(maxAbsDiff(f.dataSync(), flat(expected.features))).toBeLessThan(1e-5);
    expect(maxAbsDiff(sae.decode(f).dataSync(), flat(expected.reconstruction))).toBeLessThan(1e-5);
    expect(sae.cfg.metadata.hook_name).toBe('blocks.1.hook_resid_post');
  });

  it('Gemma Scope params.npz imports as jumprelu without b_dec subtraction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-sae-npz-'));
    execFileSync(PY, [SCRIPT, 'write-npz', dir, '4']);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { x: number[][]; features: number[][]; reconstruction: number[][] };
    const sae = loadSae(join(dir, 'params.npz'), { hookName: 'blocks.2.hook_resid_post', modelName: 'gemma-2-2b' });
    expect(sae.cfg).toMatchObject({ architecture: 'jumprelu', apply_b_dec_to_input: false, d_in: 16, d_sae: 48 });
    const f = sae.encode(tf.tensor2d(expected.x));
    expect(maxAbsDiff(f.dataSync(), flat(expected.features))).toBeLessThan(1e-5);
    expect(maxAbsDiff(sae.decode(f).dataSync(), flat(expected.reconstruction))).toBeLessThan(1e-5);
  });
});

describe('SAE behaviour', () => {
  it('folding the training scale makes the SAE work on raw activations', () => {
    const sae = randomSae('jumprelu', 7);
    const s = 3.7;
    const folded = createSae(sae.cfg, foldInputScale(sae.weights, s));
    const raw = tf.tensor2d(seededFloats(5 * dIn, 8), [5, dIn]);
    // Trained SAE on s·x gives features f and reconstruction of s·x; folded on x: same f, x̂/s.
    expect(maxAbsDiff(folded.encode(raw).dataSync(), sae.encode(raw.mul(s)).dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(folded.forward(raw).dataSync(), sae.forward(raw.mul(s)).div(s).dataSync())).toBeLessThan(1e-5);
  });

  it('an empty feature edit keeps x; zeroing a feature changes x by exactly its decoder contribution', () => {
    const sae = randomSae('standard', 21);
    const x = tf.tensor3d(seededFloats(2 * 3 * dIn, 22), [2, 3, dIn]).mul(2); // [batch, pos, d_in]
    expect(maxAbsDiff(sae.withFeatureEdit(x, (f) => f).dataSync(), x.dataSync())).toBeLessThan(1e-5);
    const f = sae.encode(x);
    const j = tf.argMax(tf.reshape(f, [-1, dSae]).sum(0)).dataSync()[0]!;
    const mask = tf.oneHot([j], dSae).reshape([dSae]).mul(-1).add(1);
    const edited = sae.withFeatureEdit(x, (g) => g.mul(mask));
    const delta = tf.sub(x, edited); // should be f_j · W_dec[j]
    const want = tf.mul(tf.slice(f, [0, 0, j], [-1, -1, 1]), tf.slice(sae.weights.W_dec, [j, 0], [1, -1]).reshape([dIn]));
    expect(maxAbsDiff(delta.dataSync(), want.dataSync())).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(want)).dataSync()[0]).toBeGreaterThan(0.01);
  });

  it('refuses PyTorch pickles with a conversion hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-sae-pt-'));
    for (const name of ['ae.pt', 'sae.pth', 'last.ckpt']) {
      const p = join(dir, name);
      writeFileSync(p, Buffer.from([0x80, 0x02]));
      let err: unknown;
      try {
        loadSae(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FeaturescopeError);
      expect((err as FeaturescopeError).code).toBe('unsupported');
      expect((err as FeaturescopeError).message).toMatch(/save_file|save_model/);
    }
  });

  it('rejects a cfg.json whose shapes disagree with the weights', () => {
    const sae = randomSae('topk', 30);
    const dir = mkdtempSync(join(tmpdir(), 'fs-sae-bad-'));
    saveSaeLens(dir, sae);
    const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ ...cfg, d_sae: 47 }));
    expect(() => loadSaeLens(dir)).toThrow(/W_enc has shape \[16, 48\]/);
  });
});
