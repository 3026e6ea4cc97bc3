import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInfo, RunOutput } from '../../src/shared/contract';
import type { Host } from '../../src/host/host';
import { callOrThrow } from '../../src/shared/call';
import { startTestHost } from './helpers';

const fixture = resolve(__dirname, '../fixtures/models/gpt2');
const llama = resolve(__dirname, '../fixtures/models/llama');


describe('model commands through the host and the engine process', () => {
  let host: Host;
  let home: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ host, home, dispose } = await startTestHost());
  });
  afterAll(() => dispose());

  it('opens a model folder, remembers it, and lists it beside the bundled model', async () => {
    const info = await callOrThrow(host, 'model.open', { path: fixture });
    expect(info).toMatchObject({ modelType: 'gpt2', nLayers: 2, dModel: 32, vocabSize: 300, bundled: false });
    // wte [300,32] + wpe [64,32] + per block (ln 2·2·32, attn 32·96+96+32·32+32, mlp 32·128+128+128·32+32) + ln_f 2·32
    expect(info.parameters).toBe(300 * 32 + 64 * 32 + 2 * (4 * 32 + 32 * 96 + 96 + 32 * 32 + 32 + 32 * 128 + 128 + 128 * 32 + 32) + 2 * 32);
    expect(info.hookNames).toContain('blocks.1.mlp.hook_post');
    await callOrThrow(host, 'model.open', { path: llama });
    const list = await callOrThrow(host, 'model.list', {});
    expect(list.map((m) => m.path)).toEqual(expect.arrayContaining([info.path]));
    expect(list.filter((m) => m.path === info.path)).toHaveLength(1);
  });

  it('runs a prompt, captures hooks, and an ablation changes the next-token distribution of that run only', async () => {
    const base = await callOrThrow(host, 'model.run', { model: fixture, prompt: 'hello world', capture: ['blocks.0.hook_resid_post', 'blocks.1.mlp.hook_post'], topK: 5 });
    expect(base.tokens.length).toBeGreaterThan(1);
    expect(base.captured).toEqual([
      { hook: 'blocks.0.hook_resid_post', shape: [1, base.tokens.length, 32] },
      { hook: 'blocks.1.mlp.hook_post', shape: [1, base.tokens.length, 128] },
    ]);
    const probs = base.next.map((t) => t.prob);
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);

    const neurons = Array.from({ length: 128 }, (_, i) => i);
    const ablated = await callOrThrow(host, 'model.run', { model: fixture, prompt: 'hello world', interventions: [{ hook: 'blocks.1.mlp.hook_post', kind: 'ablate-zero', target: { neurons } }] });
    expect(ablated.next[0]!.logit).not.toBeCloseTo(base.next[0]!.logit, 4);
    const again = await callOrThrow(host, 'model.run', { model: fixture, prompt: 'hello world', topK: 5 });
    expect(again.next).toEqual(base.next); // no state left behind by the ablated run
  });

  it('generates reproducibly with a seed', async () => {
    const settings = { maxNewTokens: 8, temperature: 1, topP: 0.9, seed: 7 };
    const a = await callOrThrow(host, 'model.run', { model: fixture, prompt: 'hello', generate: settings });
    const b = await callOrThrow(host, 'model.run', { model: fixture, prompt: 'hello', generate: settings });
    expect(a.continuation!.tokens.length).toBeGreaterThan(0);
    expect(b.continuation).toEqual(a.continuation);
  });

  it('names the field and the rule when the input is wrong', async () => {
    const badHook = await host.call('model.run', { model: fixture, prompt: 'hi', capture: ['blocks.9.hook_resid_post'] });
    expect(!badHook.ok && badHook.error).toMatchObject({ code: 'invalid_input', field: 'capture.0' });
    const missing = await host.call('model.open', { path: '/nonexistent/model' });
    expect(!missing.ok && missing.error).toMatchObject({ code: 'not_found', field: 'path' });
    const clampNoValue = await host.call('model.run', { model: fixture, prompt: 'hi', interventions: [{ hook: 'blocks.0.hook_resid_post', kind: 'clamp', target: { neurons: [1] } }] });
    expect(!clampNoValue.ok && clampNoValue.error).toMatchObject({ code: 'invalid_input', field: 'interventions.0.value' });
    const tooLong = await host.call('model.run', { model: fixture, prompt: 'hello '.repeat(100) });
    expect(!tooLong.ok && tooLong.error).toMatchObject({ code: 'invalid_input', field: 'prompt' });
  });

  it('ranks neurons by attribution, verifies them with real ablations, and logs the experiment', async () => {
    const run = await callOrThrow(host, 'model.run', { model: fixture, prompt: 'hello world', topK: 1 });
    const target = run.next[0]!.id;
    const r = await callOrThrow(host, 'attribution.run', { model: fixture, prompt: 'hello world', metric: { kind: 'logprob', token: target }, site: { kind: 'neurons' }, topN: 30, verify: true });
    expect(r.units).toHaveLength(30);
    const abs = r.units.map((u) => Math.abs(u.score));
    expect([...abs].sort((a, b) => b - a)).toEqual(abs);
    expect(r.units.every((u) => u.measured !== null && /^blocks\.\d\.mlp\.hook_post$/.test(u.hook))).toBe(true);
    expect(r.verification?.spearman).toBeGreaterThan(0.6);
    const logged = await callOrThrow(host, 'catalog.experiment', { ref: r.experiment.citeId });
    expect(logged.kind).toBe('attribution');
    // Text of several tokens is now a continuation; an id outside the vocabulary is still refused by field.
    const bad = await host.call('attribution.run', { model: fixture, prompt: 'hello world', metric: { kind: 'logprob', token: 'id:999999' }, site: { kind: 'neurons' } });
    expect(!bad.ok && bad.error.field).toBe('metric.token');
    // Replayed from the log: the same ranking, the same scores.
    const replay = await callOrThrow(host, 'attribution.replay', { ref: r.experiment.citeId });
    expect(replay).toMatchObject({ of: 'attribution.run', matches: true, reordered: 0 });
    expect(replay.difference).toBeLessThan(1e-4);
    const any = await callOrThrow(host, 'experiment.replay', { ref: r.experiment.citeId });
    expect(any).toMatchObject({ kind: 'attribution', of: 'attribution.run', matches: true, reordered: 0 });
    expect(any.note).toMatch(/^Re-ranked now: 0 unit\(s\) moved/);
  });

  it('patches a source prompt\'s neuron deltas into a target and moves it toward the source', async () => {
    const r = await callOrThrow(host, 'attribution.patch', { model: fixture, sourcePrompt: 'hello world', targetPrompt: 'the cat', site: { kind: 'neurons', layers: [1] }, topN: 128 });
    expect(r.units).toHaveLength(128);
    expect(r.klAfterBefore).toBeGreaterThan(0);
    expect(r.klSourceAfter).toBeLessThan(r.klSourceBefore);
    const none = await callOrThrow(host, 'attribution.patch', { model: fixture, sourcePrompt: 'hello world', targetPrompt: 'the cat', site: { kind: 'neurons', layers: [1] }, topN: 128, scale: 0 });
    expect(none.klAfterBefore).toBeLessThan(1e-9);

    expect(await callOrThrow(host, 'attribution.replay', { ref: r.experiment.citeId })).toMatchObject({ of: 'attribution.patch', matches: true, reordered: 0 });
    // A log that no longer agrees with the model is reported, not waved through: nudge one logged probability.
    const db = new Database(join(home, 'workspaces', 'default', 'catalog.sqlite'));
    try {
      const id = Number(r.experiment.citeId.slice('exp-'.length));
      const row = db.prepare('SELECT outputs FROM experiments WHERE id = ?').get(id) as { outputs: string };
      const outputs = JSON.parse(row.outputs) as { after: Array<{ prob: number }> };
      outputs.after[0]!.prob += 0.01;
      db.prepare('UPDATE experiments SET outputs = ? WHERE id = ?').run(JSON.stringify(outputs), id);
    } finally {
      db.close();
    }
    const changed = await callOrThrow(host, 'attribution.replay', { ref: r.experiment.citeId });
    expect(changed.matches).toBe(false);
    expect(changed.difference).toBeCloseTo(0.01, 6);
    const missing = await host.call('attribution.replay', { ref: 'exp-999999' });
    expect(!missing.ok && missing.error.code).toBe('not_found');
  });

  it('the CLI prints tokens, next-token probabilities and hook shapes', async () => {
    const bin = resolve(__dirname, '../../bin/featurescope.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, 'run', '--model', fixture, '--prompt', 'hello world', '--hook', 'blocks.1.mlp.hook_post', '--ablate', 'blocks.0.mlp.hook_post:1,2', '--generate', '4', '--json'],
      { env: { ...process.env, FEATURESCOPE_HOME: home }, timeout: 120_000 },
    );
    const out = JSON.parse(stdout) as RunOutput;
    expect(out.captured).toEqual([{ hook: 'blocks.1.mlp.hook_post', shape: [1, out.tokens.length, 128] }]);
    expect(out.next).toHaveLength(10);
    const c = out.continuation!;
    if (c.stop === 'max_tokens') expect(c.tokens).toHaveLength(4);
    else expect(c.tokens.length).toBeLessThanOrEqual(4);
  });
});
