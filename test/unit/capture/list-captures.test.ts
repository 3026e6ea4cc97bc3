// The workspace's captures as the Train form and `featurescope captures` list them: real stores
// written by the real writer, an unfinished one, a damaged manifest, and folders that are not captures.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listCaptures } from '../../../src/engine/capture/list-captures';
import { ActivationStoreWriter, MANIFEST_FILE, type StoreIdentity } from '../../../src/engine/capture/store';

const root = mkdtempSync(join(tmpdir(), 'fs-captures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const D = 4;
const identity = (hook: string): StoreIdentity => ({
  model: { name: 'tiny-model', family: 'gpt2', config_sha256: 'c'.repeat(64) },
  hook,
  d_in: D,
  dtype: 'float32',
  corpus: { kind: 'txt', sha256: 'a'.repeat(64), bytes: 10 },
  window_settings: { contextLength: 8, bos: 'none', bosTokenId: null, maskSpecialTokens: true, specialTokenIds: [] },
});
const cursor = { corpus: { file: 0, offset: 0, line: 0, part: 0 }, tokenOffset: 0 };

function writeStore(dir: string, hook: string, rows: number, complete: boolean): void {
  const w = ActivationStoreWriter.open(dir, identity(hook), { bufferBytes: 64 * (D * 4 + 4) });
  w.append(new Float32Array(rows * D).fill(1), Array.from({ length: rows }, (_, i) => i), 1);
  w.flush(cursor, complete);
}

describe('listCaptures', () => {
  it('lists each capture with its stores, newest first, and says why a store cannot be read', () => {
    const acts = join(root, 'activations');
    writeStore(join(acts, 'older', 'blocks.1.hook_resid_post'), 'blocks.1.hook_resid_post', 12, true);
    writeStore(join(acts, 'older', 'blocks.0.hook_resid_post'), 'blocks.0.hook_resid_post', 12, true);
    writeStore(join(acts, 'newer', 'blocks.2.hook_mlp_out'), 'blocks.2.hook_mlp_out', 5, false);
    mkdirSync(join(acts, 'newer', 'broken'), { recursive: true });
    writeFileSync(join(acts, 'newer', 'broken', MANIFEST_FILE), '{"format": "something else"}');
    mkdirSync(join(acts, 'empty-folder'));
    writeFileSync(join(acts, 'notes.txt'), 'not a capture');
    const old = new Date(Date.now() - 3_600_000);
    for (const hook of ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post']) utimesSync(join(acts, 'older', hook, MANIFEST_FILE), old, old);

    const captures = listCaptures(acts);
    expect(captures.map((c) => c.name)).toEqual(['newer', 'older']);
    const [newer, older] = captures as [NonNullable<(typeof captures)[0]>, NonNullable<(typeof captures)[0]>];
    expect(older.model).toBe('tiny-model');
    expect(older.stores.map((s) => [s.hook, s.tokens, s.shards, s.dIn, s.dtype, s.complete, s.problem])).toEqual([
      ['blocks.0.hook_resid_post', 12, 1, D, 'float32', true, null],
      ['blocks.1.hook_resid_post', 12, 1, D, 'float32', true, null],
    ]);
    expect(older.stores[0]!.storeDir).toBe(join(acts, 'older', 'blocks.0.hook_resid_post'));
    const unfinished = newer.stores.find((s) => s.hook === 'blocks.2.hook_mlp_out')!;
    expect([unfinished.complete, unfinished.tokens, unfinished.problem]).toEqual([false, 5, null]);
    const broken = newer.stores.find((s) => s.hook === 'broken')!;
    expect(broken.complete).toBe(false);
    expect(broken.problem).toMatch(/broken[/\\]manifest\.json: model: /);
  });

  it('a workspace without an activations folder has no captures', () => {
    expect(listCaptures(join(root, 'nowhere'))).toEqual([]);
  });
});
