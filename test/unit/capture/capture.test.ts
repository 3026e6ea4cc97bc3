// captureActivations end to end on the tiny GPT-2 and Llama fixtures (wasm backend):
//   - stored rows equal a direct model.run of the same windows, built here from the rules;
//   - f16 stores are within f16 rounding of those values;
//   - memory stays bounded by the buffer setting while the corpus is many times larger;
//   - cancel after N shards + resume, and a real kill -9 of a child process + resume, both give
//     bit-identical rows to an uninterrupted capture.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type CaptureContext, type CaptureOptions, captureActivations } from '../../../src/engine/capture/capture-job';
import { ActivationStore, readManifest, type StoreManifest } from '../../../src/engine/capture/store';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const GPT2 = join(FIXTURES, 'gpt2');
const LLAMA = join(FIXTURES, 'llama');
const EOT = 298; // <|endoftext|> in the fixture tokenizers
const BOS = 299; // <s>

const root = mkdtempSync(join(tmpdir(), 'fs-capture-'));
let gpt2: LoadedModel;
let llama: LoadedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  gpt2 = await loadModel(GPT2);
  llama = await loadModel(LLAMA);
});
afterAll(() => {
  gpt2.dispose();
  llama.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Deterministic English-like text (LCG), `sentences` sentences, one per line. */
function prose(sentences: number, seed: number): string {
  const words = 'the a cat dog sat ran on under mat tree blue green quickly slowly and with far away house river stone light'.split(' ');
  let s = seed >>> 0;
  const next = (n: number): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
  const lines: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const n = 4 + next(10);
    lines.push(`${Array.from({ length: n }, () => words[next(words.length)]).join(' ')}.`);
  }
  return lines.join('\n');
}

function quietCtx(signal = new AbortController().signal): CaptureContext & { updates: { unit: string; done: number; metrics?: Record<string, number> }[] } {
  const updates: { unit: string; done: number; metrics?: Record<string, number> }[] = [];
  return { signal, updates, meter: (unit) => ({ update: (done, extra) => updates.push({ unit, done, ...(extra?.metrics ? { metrics: extra.metrics } : {}) }), setTotal: () => {} }) };
}

/** All rows and token ids of a store, shard by shard. */
function readAll(dir: string): { values: Float32Array; ids: number[]; manifest: StoreManifest } {
  const store = ActivationStore.open(dir);
  const parts = store.manifest.shards.map((_, i) => store.readShard(i));
  const values = new Float32Array(store.tokens * store.dIn);
  let at = 0;
  for (const p of parts) {
    values.set(p.activations, at);
    at += p.activations.length;
  }
  store.close();
  return { values, ids: parts.flatMap((p) => [...p.tokenIds]), manifest: store.manifest };
}

/** The reference: each window run alone through model.run, special positions dropped. */
function directRows(model: LoadedModel, windows: number[][], hook: string, special: Set<number>): { values: number[]; ids: number[] } {
  const values: number[] = [];
  const ids: number[] = [];
  for (const w of windows) {
    const { logits, captured } = model.run([w], { capture: [hook] });
    logits.dispose();
    const t = captured.get(hook)!;
    const data = t.dataSync();
    const d = t.shape[2]!;
    t.dispose();
    w.forEach((tok, p) => {
      if (special.has(tok)) return;
      ids.push(tok);
      for (let j = 0; j < d; j++) values.push(data[p * d + j]!);
    });
  }
  return { values, ids };
}

function chunk(stream: number[], L: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < stream.length; i += L) out.push(stream.slice(i, i + L));
  return out;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe('stored activations equal the model on the same windows', () => {
  const records = Array.from({ length: 24 }, (_, i) => prose(1 + (i % 3), 100 + i));
  const jsonl = join(root, 'docs.jsonl');
  writeFileSync(jsonl, `${records.map((t, i) => JSON.stringify({ id: i, content: t })).join('\n')}\n`);
  const hooks = ['blocks.0.hook_resid_post', 'blocks.1.mlp.hook_post'];

  it('GPT-2 (separator mode, default): rows and token ids match direct runs, for every hook', async () => {
    const outDir = join(root, 'gpt2-f32');
    const ctx = quietCtx();
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'jsonl', path: jsonl, textField: 'content' }, hooks, outDir, contextLength: 16, batchSize: 3, bufferBytes: 60_000 }, ctx, { model: gpt2 });

    // Independent stream: <|endoftext|> before each record, cut into 16-token windows.
    const stream = records.flatMap((t) => [EOT, ...gpt2.tokenizer.encode(t, { addSpecialTokens: false })]);
    const windows = chunk(stream, 16);
    for (const [i, hook] of hooks.entries()) {
      const want = directRows(gpt2, windows, hook, new Set([EOT, BOS]));
      const got = readAll(join(outDir, hook));
      expect(got.ids).toEqual(want.ids);
      expect(maxRelDiff(got.values, want.values)).toBeLessThan(1e-5);
      expect(got.manifest).toMatchObject({ hook, complete: true, dtype: 'float32', windows: windows.length, window_settings: { bos: 'separator', bosTokenId: EOT, contextLength: 16 } });
      expect(got.manifest.shards.length).toBeGreaterThan(1);
      expect(res.stores[i]).toEqual({ hook, storeDir: join(outDir, hook), tokens: want.ids.length, shards: got.manifest.shards.length });
    }
    expect(res.storeDir).toBe(join(outDir, hooks[0]!));
    // progress: tokens, with a rate, ending at the stored count
    const last = ctx.updates.filter((u) => u.unit === 'tokens').at(-1)!;
    expect(last.done).toBe(res.tokens);
    expect(last.metrics?.tokensPerSecond).toBeGreaterThan(0);
  });

  it('float16 store: every value within f16 rounding of the f32 one', async () => {
    const f32 = readAll(join(root, 'gpt2-f32', hooks[1]!));
    const outDir = join(root, 'gpt2-f16');
    await captureActivations({ modelDir: GPT2, corpus: { kind: 'jsonl', path: jsonl, textField: 'content' }, hooks: [hooks[1]!], outDir, contextLength: 16, batchSize: 3, bufferBytes: 60_000, dtype: 'float16' }, quietCtx(), { model: gpt2 });
    const f16 = readAll(join(outDir, hooks[1]!));
    expect(f16.ids).toEqual(f32.ids);
    let worst = 0;
    f16.values.forEach((g, i) => {
      const v = f32.values[i]!;
      // half an ulp of f16 (2^-11 relative), or half the smallest subnormal step near zero
      worst = Math.max(worst, Math.abs(g - v) / Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    });
    expect(worst).toBeLessThanOrEqual(1.0001);
    expect(f16.values.some((g, i) => g !== f32.values[i])).toBe(true); // it really is narrowed
  });

  it('Llama (prepend mode, default): every window starts with <s>, text tokens stored once each', async () => {
    const outDir = join(root, 'llama');
    const hook = 'blocks.1.hook_resid_post';
    await captureActivations({ modelDir: LLAMA, corpus: { kind: 'jsonl', path: jsonl, textField: 'content' }, hooks: [hook], outDir, contextLength: 16 }, quietCtx(), { model: llama });
    const got = readAll(join(outDir, hook));
    expect(got.manifest.window_settings).toMatchObject({ bos: 'prepend', bosTokenId: BOS });
    // Independent windows: <s> + 15 stream tokens, a record's own <s> opening a window is shared.
    const stream = records.flatMap((t) => [BOS, ...llama.tokenizer.encode(t, { addSpecialTokens: false })]);
    const windows: number[][] = [];
    for (let i = 0; i < stream.length; ) {
      if (stream[i] === BOS) i++;
      windows.push([BOS, ...stream.slice(i, i + 15)]);
      i += 15;
    }
    const want = directRows(llama, windows, hook, new Set([EOT, BOS]));
    expect(got.ids).toEqual(want.ids);
    expect(maxRelDiff(got.values, want.values)).toBeLessThan(1e-5);
  });

  it('a folder corpus: each file is a document, in name order', async () => {
    const folder = join(root, 'folder-corpus');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'b.md'), records[1]!);
    writeFileSync(join(folder, 'a.txt'), records[0]!);
    writeFileSync(join(folder, 'sub', 'c.txt'), records[2]!); // not read: recursive is off
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'folder', path: folder }, hooks: [hooks[0]!], outDir: join(root, 'folder-store'), contextLength: 16 }, quietCtx(), { model: gpt2 });
    const want = [records[0]!, records[1]!].flatMap((t) => gpt2.tokenizer.encode(t, { addSpecialTokens: false }));
    expect(readAll(res.storeDir).ids).toEqual(want);
    expect(readManifest(res.storeDir).corpus.kind).toBe('folder');
  });

  it('maxTokens stops at exactly that many tokens', async () => {
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'jsonl', path: jsonl, textField: 'content' }, hooks: [hooks[0]!], outDir: join(root, 'capped'), contextLength: 16, maxTokens: 100 }, quietCtx(), { model: gpt2 });
    expect(res.tokens).toBe(100);
    expect(readManifest(res.storeDir).complete).toBe(true);
    expect(readAll(res.storeDir).ids).toEqual(readAll(join(root, 'gpt2-f32', hooks[0]!)).ids.slice(0, 100));
  });

  it('errors: unknown hook, buffer smaller than a window, bad jsonl line before any shard', async () => {
    const base: CaptureOptions = { modelDir: GPT2, corpus: { kind: 'jsonl', path: jsonl, textField: 'content' }, hooks: ['blocks.9.hook_resid_post'], outDir: join(root, 'err') };
    await expect(captureActivations(base, quietCtx(), { model: gpt2 })).rejects.toMatchObject({ code: 'invalid_input', field: 'hooks' });
    await expect(captureActivations({ ...base, hooks: ['blocks.0.hook_resid_post'], contextLength: 64, bufferBytes: 4000 }, quietCtx(), { model: gpt2 })).rejects.toMatchObject({ code: 'invalid_input', field: 'bufferBytes' });
    await expect(captureActivations({ ...base, hooks: ['blocks.0.hook_resid_post'], contextLength: 65 }, quietCtx(), { model: gpt2 })).rejects.toMatchObject({ code: 'invalid_input', field: 'contextLength' });
    const bad = join(root, 'bad.jsonl');
    writeFileSync(bad, '{"text": "fine"}\n{"text": "fine"}\n{"txt": "typo"}\n');
    await expect(captureActivations({ ...base, hooks: ['blocks.0.hook_resid_post'], corpus: { kind: 'jsonl', path: bad }, outDir: join(root, 'bad') }, quietCtx(), { model: gpt2 })).rejects.toThrow('bad.jsonl: line 3: has no "text" field');
    expect(existsSync(join(root, 'bad'))).toBe(false);
  });
});

describe('bounded memory', () => {
  it('a corpus producing 20× the buffer goes through one buffer-sized shard at a time, leaking no tensors', async () => {
    const path = join(root, 'big.txt');
    writeFileSync(path, prose(600, 7));
    const bufferBytes = 256 * 1024;
    const hook = 'blocks.1.mlp.hook_post'; // 128 wide: 516 bytes a row
    const ctx = quietCtx();
    const tfBefore = tf.memory();
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'txt', path }, hooks: [hook], outDir: join(root, 'bounded'), contextLength: 64, bufferBytes }, ctx, { model: gpt2 });
    // The writer's rows live in one buffer allocated up front from bufferBytes; a shard is that
    // buffer written out, so shards bounded by it mean the activations never piled up in memory.
    const m = readManifest(res.storeDir);
    const totalBytes = m.tokens * 128 * 4;
    expect(totalBytes).toBeGreaterThan(20 * bufferBytes);
    // every shard came out of one buffer: rows ≤ floor(buffer / row bytes)
    for (const s of m.shards) {
      expect(s.tokens).toBeLessThanOrEqual(Math.floor(bufferBytes / (128 * 4 + 4)));
      expect(statSync(join(res.storeDir, s.file)).size).toBeLessThan(bufferBytes + 4096);
    }
    // The process did not keep the activations: growth is a fraction of what was written.
    // Nothing accumulates on the tfjs side either: every captured tensor and logit was disposed.
    expect(tf.memory().numTensors).toBe(tfBefore.numTensors);
    expect(tf.memory().numBytes).toBe(tfBefore.numBytes);
  });
});

describe('resume', () => {
  const path = join(root, 'resume.txt');
  writeFileSync(path, prose(500, 99));
  const hooks = ['blocks.0.hook_resid_post', 'blocks.1.mlp.hook_post'];
  const opts = (outDir: string): CaptureOptions => ({ modelDir: GPT2, corpus: { kind: 'txt', path }, hooks, outDir, contextLength: 32, batchSize: 4, bufferBytes: 600_000, maxPieceBytes: 2048 });
  let reference: ReturnType<typeof readAll>[];

  beforeAll(async () => {
    await captureActivations(opts(join(root, 'uninterrupted')), quietCtx(), { model: gpt2 });
    reference = hooks.map((h) => readAll(join(root, 'uninterrupted', h)));
  });

  it('cancel after 2 shards, then resume: the same rows as an uninterrupted capture', async () => {
    const outDir = join(root, 'cancelled');
    const controller = new AbortController();
    const ctx = quietCtx(controller.signal);
    const meter = ctx.meter;
    ctx.meter = (unit, total) => {
      const m = meter(unit, total);
      return { ...m, update: (done, extra) => ((extra?.metrics?.shards ?? 0) >= 2 && controller.abort(), m.update(done, extra)) };
    };
    await expect(captureActivations(opts(outDir), ctx, { model: gpt2 })).rejects.toMatchObject({ code: 'cancelled' });
    const partial = readManifest(join(outDir, hooks[0]!));
    expect(partial.complete).toBe(false);
    expect(partial.shards.length).toBeGreaterThanOrEqual(2);
    expect(partial.tokens).toBeLessThan(reference[0]!.ids.length);

    await captureActivations(opts(outDir), quietCtx(), { model: gpt2 });
    hooks.forEach((h, i) => {
      const got = readAll(join(outDir, h));
      expect(got.manifest.complete).toBe(true);
      expect(got.ids).toEqual(reference[i]!.ids);
      expect(maxRelDiff(got.values, reference[i]!.values)).toBe(0);
    });
  });

  it('kill -9 of a capturing child process, then resume: the same rows as an uninterrupted capture', async () => {
    const outDir = join(root, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'capture-child.ts'), JSON.stringify(opts(outDir))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const manifestPath = join(outDir, hooks[1]!, 'manifest.json');
    const exit = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
    // Kill as soon as the second hook's store lists 2 shards: mid-capture, at an arbitrary point.
    let shardsAtKill = -1;
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        if (child.exitCode !== null) {
          clearInterval(timer);
          fail(new Error(`child exited before the kill: ${stderr}`));
        }
        if (!existsSync(manifestPath)) return;
        const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as StoreManifest;
        if (m.shards.length >= 2) {
          child.kill('SIGKILL');
          shardsAtKill = m.shards.length;
          clearInterval(timer);
          done();
        }
      }, 5);
    });
    expect(await exit).toBe('SIGKILL');
    expect(shardsAtKill).toBeGreaterThanOrEqual(2);
    expect(readManifest(join(outDir, hooks[1]!)).complete).toBe(false);

    await captureActivations(opts(outDir), quietCtx(), { model: gpt2 });
    hooks.forEach((h, i) => {
      const got = readAll(join(outDir, h));
      expect(got.ids).toEqual(reference[i]!.ids);
      expect(maxRelDiff(got.values, reference[i]!.values)).toBe(0);
      ActivationStore.open(join(outDir, h)).verify();
    });
  });

  it('a store made with other settings is not resumed', async () => {
    await expect(captureActivations({ ...opts(join(root, 'uninterrupted')), contextLength: 16 }, quietCtx(), { model: gpt2 })).rejects.toThrow(/other settings \(window_settings/);
  });
});
