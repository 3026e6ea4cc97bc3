// Capture's progress total is an estimate (tokens per corpus byte). It used to be re-estimated only
// when a shard was flushed, so a capture that fits one shard kept its first guess of 0.25 tokens a
// byte and, on a denser corpus, counted past it: "100.0 % 116716/94691 tokens" for its last
// quarter. Every progress line must have done ≤ total, and the last one done = total = tokens stored.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/shared/contract';
import { initBackend } from '../../../src/engine/backend';
import { type CaptureContext, captureActivations } from '../../../src/engine/capture/capture-job';
import { ProgressMeter } from '../../../src/engine/jobs/progress';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';

const GPT2 = resolve(__dirname, '../../fixtures/models/gpt2');
const HOOK = 'blocks.0.hook_resid_post';
const root = mkdtempSync(join(tmpdir(), 'fs-capture-progress-'));
let model: LoadedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  model = await loadModel(GPT2);
});
afterAll(() => {
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Every progress report, unthrottled, as the CLI and the Jobs view receive them. */
function recordingCtx(): CaptureContext & { reports: Progress[] } {
  const reports: Progress[] = [];
  return { signal: new AbortController().signal, reports, meter: (unit, total) => new ProgressMeter(unit, total, (p) => reports.push(p), 0) };
}

/** Digits and punctuation: the fixture tokenizer spends about a token per byte on them. */
function denseCorpus(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `${(i * 7919) % 10007}-${(i * 104729) % 99991};${i % 13}.`).join('\n');
}

describe('capture progress', () => {
  const corpus = join(root, 'dense.txt');
  const lines = 2000; // ~28 KB: two of the 16 KiB pieces the corpus is read in, one shard
  beforeAll(() => writeFileSync(corpus, denseCorpus(lines)));

  it('never shows more tokens done than its total, on a corpus denser than the first guess', async () => {
    const ctx = recordingCtx();
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'txt', path: corpus }, hooks: [HOOK], outDir: join(root, 'all'), contextLength: 16, batchSize: 4 }, ctx, { model });
    const tokens = ctx.reports.filter((p) => p.unit === 'tokens');
    expect(res.shards).toBe(1); // one shard: no flush before the end
    const bytes = Buffer.byteLength(denseCorpus(lines));
    expect(res.tokens / bytes).toBeGreaterThan(0.4); // denser than the 0.25 first guess
    expect(tokens.length).toBeGreaterThan(10);
    for (const p of tokens) expect(p.done, `${p.done}/${p.total}`).toBeLessThanOrEqual(p.total);
    for (const p of tokens.slice(0, -1)) expect(p.fraction, `${p.done}/${p.total}`).toBeLessThan(1);
    expect(tokens.at(-1)).toMatchObject({ done: res.tokens, total: res.tokens, fraction: 1 });
  });

  it('on a corpus read in many pieces, the total follows the tokens per byte seen so far', async () => {
    const ctx = recordingCtx();
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'txt', path: corpus }, hooks: [HOOK], outDir: join(root, 'pieces'), contextLength: 16, batchSize: 4, maxPieceBytes: 256 }, ctx, { model });
    const tokens = ctx.reports.filter((p) => p.unit === 'tokens');
    for (const p of tokens) expect(p.done, `${p.done}/${p.total}`).toBeLessThanOrEqual(p.total);
    // From a quarter of the way on, the estimate is within 10 % of the final count (the first guess is ~45 % short).
    for (const p of tokens.filter((q) => q.done >= res.tokens / 4)) expect(Math.abs(p.total - res.tokens) / res.tokens).toBeLessThan(0.1);
    expect(tokens.at(-1)).toMatchObject({ done: res.tokens, total: res.tokens });
  });

  it('with --max-tokens above the first guess, the total is the cap and the last report reaches it', async () => {
    const ctx = recordingCtx();
    const res = await captureActivations({ modelDir: GPT2, corpus: { kind: 'txt', path: corpus }, hooks: [HOOK], outDir: join(root, 'capped'), contextLength: 16, batchSize: 4, maxTokens: 10_000 }, ctx, { model });
    const tokens = ctx.reports.filter((p) => p.unit === 'tokens');
    expect(res.tokens).toBe(10_000); // the first guess is ~7,000
    for (const p of tokens) expect(p.done, `${p.done}/${p.total}`).toBeLessThanOrEqual(p.total);
    expect(tokens.at(-1)).toMatchObject({ done: 10_000, total: 10_000 });
  });
});
