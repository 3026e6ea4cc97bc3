// Activation store on disk and the shuffle reader, with rows whose identity is readable from their
// values (row r holds r in column 0), so coverage and order can be checked exactly.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShuffledActivationReader } from '../../../src/engine/capture/shuffle-reader';
import { ActivationStore, ActivationStoreWriter, MANIFEST_FILE, readManifest, type StoreCursor, type StoreIdentity } from '../../../src/engine/capture/store';
import { SafetensorsFile } from '../../../src/engine/formats/safetensors';

const root = mkdtempSync(join(tmpdir(), 'fs-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `store-${dirs++}`);

const D = 6;
function identity(over: Partial<StoreIdentity> = {}): StoreIdentity {
  return {
    model: { name: 'tiny', family: 'gpt2', config_sha256: 'c'.repeat(64) },
    hook: 'blocks.0.hook_resid_post',
    d_in: D,
    dtype: 'float32',
    corpus: { kind: 'txt', sha256: 'a'.repeat(64), bytes: 123 },
    window_settings: { contextLength: 8, bos: 'separator', bosTokenId: 1, maskSpecialTokens: true, specialTokenIds: [1] },
    ...over,
  };
}
const cursor = (offset: number): StoreCursor => ({ corpus: { file: 0, offset, line: 0, part: 0 }, tokenOffset: 0 });

/** Row r: [r, sin r, cos r, r/7, -r, 0.5]. */
function rows(from: number, count: number): Float32Array {
  const out = new Float32Array(count * D);
  for (let i = 0; i < count; i++) out.set([from + i, Math.sin(from + i), Math.cos(from + i), (from + i) / 7, -(from + i), 0.5], i * D);
  return out;
}
const ids = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => (from + i) % 1000);

/** Writes `total` rows in appends of `step`, flushing whenever the next append would not fit. */
function writeStore(dir: string, total: number, opts: { bufferRows: number; step?: number; dtype?: 'float32' | 'float16' }): ActivationStoreWriter {
  const id = identity({ dtype: opts.dtype ?? 'float32' });
  const rowBytes = D * (opts.dtype === 'float16' ? 2 : 4) + 4;
  const w = ActivationStoreWriter.open(dir, id, { bufferBytes: opts.bufferRows * rowBytes });
  const step = opts.step ?? 5;
  for (let r = 0; r < total; r += step) {
    const n = Math.min(step, total - r);
    if (n > w.freeRows) w.flush(cursor(r));
    w.append(rows(r, n), ids(r, n), 1);
  }
  w.flush(cursor(total), true);
  return w;
}

describe('ActivationStoreWriter / ActivationStore', () => {
  it('round-trips rows and token ids through shards; manifest lists sizes, counts and sha256', () => {
    const dir = freshDir();
    const w = writeStore(dir, 103, { bufferRows: 20 });
    expect(w.bufferedBytesBound).toBe(20 * (D * 4 + 4));
    const m = readManifest(dir);
    expect(m.complete).toBe(true);
    expect(m.tokens).toBe(103);
    expect(m.shards.map((s) => s.tokens)).toEqual([20, 20, 20, 20, 20, 3]);
    for (const s of m.shards) {
      expect(s.sha256).toBe(execFileSync('sha256sum', [join(dir, s.file)], { encoding: 'utf8' }).split(' ')[0]);
      // each shard is a plain safetensors file any reader can open
      const f = SafetensorsFile.open(join(dir, s.file));
      expect(f.entry('activations')).toMatchObject({ dtype: 'F32', shape: [s.tokens, D] });
      f.close();
    }
    const store = ActivationStore.open(dir);
    const all: number[] = [];
    const allIds: number[] = [];
    m.shards.forEach((_, i) => {
      const { activations, tokenIds } = store.readShard(i);
      all.push(...activations);
      allIds.push(...tokenIds);
    });
    expect(all).toEqual([...rows(0, 103)]);
    expect(allIds).toEqual(ids(0, 103));
    store.verify();
  });

  it('mean ‖x‖ from the manifest equals the mean over the rows', () => {
    const dir = freshDir();
    writeStore(dir, 57, { bufferRows: 16 });
    const x = rows(0, 57);
    let sum = 0;
    for (let r = 0; r < 57; r++) sum += Math.hypot(...x.subarray(r * D, (r + 1) * D));
    expect(ActivationStore.open(dir).meanNorm()).toBeCloseTo(sum / 57, 9);
  });

  it('float16 shards hold the values within f16 rounding (relative 2^-11)', () => {
    const dir = freshDir();
    writeStore(dir, 40, { bufferRows: 16, dtype: 'float16' });
    const store = ActivationStore.open(dir);
    const got = store.manifest.shards.flatMap((_, i) => [...store.readShard(i).activations]);
    const want = rows(0, 40);
    got.forEach((g, i) => {
      const v = want[i]!;
      expect(Math.abs(g - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    });
  });

  it('reopening removes a shard written after the last manifest and temp files, and resumes there', () => {
    const dir = freshDir();
    const w = ActivationStoreWriter.open(dir, identity(), { bufferBytes: 10 * (D * 4 + 4) });
    w.append(rows(0, 10), ids(0, 10), 2);
    w.flush(cursor(10));
    const manifestAfterOne = readManifest(dir);
    w.append(rows(10, 10), ids(10, 10), 2);
    w.flush(cursor(20));
    // simulate a kill between shard 2's rename and its manifest: put the old manifest back
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifestAfterOne));
    writeFileSync(join(dir, '.shard-000002.safetensors.123.abc.tmp'), 'partial');
    const again = ActivationStoreWriter.open(dir, identity(), { bufferBytes: 10 * (D * 4 + 4) });
    expect(again.manifest.position).toEqual(cursor(10));
    expect(readdirSync(dir).sort()).toEqual([MANIFEST_FILE, 'shard-000000.safetensors']);
  });

  it('refuses to resume with other settings, a non-empty foreign folder, and resume: false', () => {
    const dir = freshDir();
    writeStore(dir, 10, { bufferRows: 8 });
    expect(() => ActivationStoreWriter.open(dir, identity({ hook: 'blocks.1.hook_resid_post' }), { bufferBytes: 1000 })).toThrow(/other settings \(hook: stored "blocks.0.hook_resid_post"/);
    expect(() => ActivationStoreWriter.open(dir, identity(), { bufferBytes: 1000, resume: false })).toThrow(/already holds an activation store/);
    const foreign = freshDir();
    writeStore(foreign, 1, { bufferRows: 8 });
    rmSync(join(foreign, MANIFEST_FILE));
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    expect(() => ActivationStoreWriter.open(foreign, identity(), { bufferBytes: 1000 })).toThrow(/is not empty \(notes.txt\)/);
  });

  it('verify() and a damaged manifest are bad_file', () => {
    const dir = freshDir();
    writeStore(dir, 10, { bufferRows: 8 });
    const shard = join(dir, 'shard-000000.safetensors');
    const bytes = execFileSync('cat', [shard]);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(shard, bytes);
    expect(() => ActivationStore.open(dir).verify()).toThrow(/sha256 differs/);
    writeFileSync(join(dir, MANIFEST_FILE), '{"format": "featurescope.activations/1"}');
    expect(() => ActivationStore.open(dir)).toThrow(expect.objectContaining({ code: 'bad_file' }));
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(true);
  });
});

describe('ShuffledActivationReader', () => {
  const dir = freshDir();
  const TOTAL = 500;
  writeStore(dir, TOTAL, { bufferRows: 64, step: 7 }); // 8 shards
  const store = ActivationStore.open(dir);
  const firstColumn = (batch: Float32Array): number[] => Array.from({ length: batch.length / D }, (_, r) => batch[r * D]!);

  it('serves every row exactly once per epoch, with its values intact', () => {
    const reader = new ShuffledActivationReader(store, { seed: 3, bufferRows: 100, chunkRows: 16 });
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen: number[] = [];
      for (let served = 0; served < TOTAL; served += 50) {
        const batch = reader.nextBatch(50);
        seen.push(...firstColumn(batch));
        for (let r = 0; r < 50; r++) expect([...batch.subarray(r * D, (r + 1) * D)]).toEqual([...rows(batch[r * D]!, 1)]);
      }
      expect(reader.epoch).toBe(epoch);
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    }
  });

  it('is reproducible per seed, different across seeds, and mixes shards within a batch', () => {
    const a = firstColumn(new ShuffledActivationReader(store, { seed: 11, bufferRows: 128 }).nextBatch(64));
    const b = firstColumn(new ShuffledActivationReader(store, { seed: 11, bufferRows: 128 }).nextBatch(64));
    const c = firstColumn(new ShuffledActivationReader(store, { seed: 12, bufferRows: 128 }).nextBatch(64));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const shardSize = store.manifest.shards[0]!.tokens;
    const shardsHit = new Set(a.map((r) => Math.floor(r / shardSize)));
    expect(shardsHit.size).toBeGreaterThanOrEqual(4);
    // not the store order, and not sorted
    expect(a).not.toEqual([...a].sort((x, y) => x - y));
  });

  it('skip(n) continues exactly where a reader that served n rows is', () => {
    const full = new ShuffledActivationReader(store, { seed: 5, bufferRows: 100 });
    full.nextBatch(130);
    const next = firstColumn(full.nextBatch(40));
    const resumed = new ShuffledActivationReader(store, { seed: 5, bufferRows: 100 });
    resumed.skip(130);
    expect(resumed.rowsServed).toBe(130);
    expect(firstColumn(resumed.nextBatch(40))).toEqual(next);
  });

  it('getState/setState (the trainer checkpoint hooks) continue across epochs exactly', () => {
    const full = new ShuffledActivationReader(store, { seed: 9, bufferRows: 100 });
    full.nextBatch(730); // past the first epoch
    const saved = JSON.parse(JSON.stringify(full.getState())) as unknown;
    const next = firstColumn(full.nextBatch(120));
    const resumed = new ShuffledActivationReader(store, { seed: 9, bufferRows: 100 });
    resumed.nextBatch(3); // whatever it did before is replaced by the saved position
    resumed.setState(saved);
    expect(resumed.epoch).toBe(1);
    expect(firstColumn(resumed.nextBatch(120))).toEqual(next);
    expect(() => new ShuffledActivationReader(store, { seed: 10, bufferRows: 100 }).setState(saved)).toThrow(/seed is 9, this reader has 10/);
  });

  it('reports the store mean norm', () => {
    expect(new ShuffledActivationReader(store, { seed: 1 }).meanNorm()).toBe(store.meanNorm());
  });
});
