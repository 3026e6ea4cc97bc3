// Issue #19: an SAELens cfg.json's d_in / d_sae / k are bounded before any weight is read, so a few
// bytes of config cannot size gigabytes of tensors.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../../src/engine/formats/safetensors';
import { loadSaeLens } from '../../../src/engine/sae/io/saelens';
import { FeaturescopeError } from '../../../src/shared/errors';
import { errorOf } from '../error-of';

const work = mkdtempSync(join(tmpdir(), 'fs-sae-limits-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

function folder(cfg: Record<string, unknown>): string {
  const dir = join(work, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ architecture: 'topk', metadata: { hook_name: 'blocks.0.hook_resid_post', model_name: 'm' }, ...cfg }));
  // A real (tiny) weights file: the cfg numbers must be refused before it is even opened.
  writeSafetensors(join(dir, 'sae_weights.safetensors'), [{ name: 'W_enc', dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
  return dir;
}

describe('SAELens cfg.json numbers are capped', () => {
  it.each([
    [{ d_in: 1e9, d_sae: 16, k: 4 }, 'd_in', 'd_in is 1000000000; the limit is 65,536'],
    [{ d_in: 16, d_sae: 2 ** 30, k: 4 }, 'd_sae', 'd_sae is 1073741824; the limit is 2,097,152 latents'],
    [{ d_in: 65_536, d_sae: 2 ** 20, k: 4 }, 'd_sae', 'd_sae × d_in is 1048576 × 65536 = 68,719,476,736 weights per matrix; the limit is 536,870,912'],
    [{ d_in: 16, d_sae: 32, k: 33 }, 'k', 'k is 33; it must be at most d_sae (32)'],
  ])('%j → bad_file naming %s', (cfg, field, rule) => {
    const dir = folder(cfg);
    const err = errorOf(() => loadSaeLens(dir));
    expect(err.code).toBe('bad_file');
    expect(err.field).toBe(field);
    expect(err.message).toContain(`${join(dir, 'cfg.json')}: ${rule}`);
  });
});
