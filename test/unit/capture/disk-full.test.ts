// Issue #19, finding 10: a full disk during a capture keeps the shards already written, says how
// much space is needed where, and the same capture resumes from there once there is room. The
// disk is a real small tmpfs mounted for this test (root only; skipped and said so otherwise).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { captureActivations, type CaptureContext } from '../../../src/engine/capture/capture-job';
import { readManifest } from '../../../src/engine/capture/store';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';

const GPT2 = resolve(__dirname, '../../fixtures/models/gpt2');
const HOOK = 'blocks.0.hook_resid_post';

const root = mkdtempSync(join(tmpdir(), 'fs-disk-full-'));
const disk = join(root, 'disk');
mkdirSync(disk);

function mount(opts: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', disk], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = process.platform === 'linux' && process.getuid?.() === 0 && mount('size=256k');

const ctx = (): CaptureContext => ({ signal: new AbortController().signal, meter: () => ({ update: () => {}, setTotal: () => {} }) });

let gpt2: LoadedModel;
beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  gpt2 = await loadModel(GPT2);
});
afterAll(() => {
  gpt2?.dispose();
  if (mounted) execFileSync('umount', [disk]);
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!mounted)('a capture that fills the disk (a 256 KiB tmpfs)', () => {
  it('keeps its shards, names the folder and the space, and resumes to the same rows', async () => {
    const words = 'the a cat dog sat ran on under mat tree blue green quickly slowly and with far away house river stone light'.split(' ');
    const text = join(root, 'corpus.txt');
    writeFileSync(text, Array.from({ length: 2000 }, (_, i) => `${Array.from({ length: 8 }, (_, j) => words[(i * 5 + j * 3) % words.length]).join(' ')}.`).join('\n'));
    // d_model 32 × 4 bytes: a 40 KB buffer is ~300 rows a shard, so a few shards fit before the disk is full.
    const opts = { modelDir: GPT2, corpus: { kind: 'txt' as const, path: text }, hooks: [HOOK], outDir: join(disk, 'cap'), contextLength: 16, bufferBytes: 40_000, maxTokens: 6000 };
    const store = join(disk, 'cap', HOOK);

    const failure = await captureActivations(opts, ctx(), { model: gpt2 }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure?.message).toMatch(new RegExp(`^No space left on the disk of ${store.replace(/\./g, '\\.')} \\([\\d.]+ (KiB|bytes) free\\): shard-\\d{6}\\.safetensors needs [\\d.]+ KiB, the rest of the capture about [\\d.]+ (KiB|MiB)\\.`));
    const kept = readManifest(store);
    expect(kept.shards.length).toBeGreaterThan(0);
    expect(kept.complete).toBe(false);
    expect(failure?.message).toContain(`The ${kept.tokens.toLocaleString('en-US')} tokens already in shards are kept`);

    // Room again: the same capture resumes from its last shard, leaving the kept ones as they were.
    execFileSync('mount', ['-o', 'remount,size=8m', disk]);
    const done = await captureActivations(opts, ctx(), { model: gpt2 });
    expect(done.tokens).toBe(6000);
    const after = readManifest(store);
    expect(after.complete).toBe(true);
    expect(after.shards.slice(0, kept.shards.length)).toEqual(kept.shards);
  }, 240_000);
});
