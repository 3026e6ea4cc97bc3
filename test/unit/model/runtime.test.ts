// The runtime around the forwards: tensor memory over many runs, generation (streaming, stop
// tokens, seeded sampling, interventions), input validation and folder loading errors.

import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { SafetensorsFile, writeSafetensors } from '../../../src/engine/formats/safetensors';
import { topTokens } from '../../../src/engine/model/sampling';
import { FeaturescopeError } from '../../../src/shared/errors';
import { asyncErrorOf as errorOf } from '../error-of';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const NAMES = ['gpt2', 'llama', 'qwen2', 'gemma2'];

async function collect(it: AsyncGenerator<{ token: number }, string>): Promise<{ tokens: number[]; reason: string }> {
  const tokens: number[] = [];
  for (;;) {
    const next = await it.next();
    if (next.done === true) return { tokens, reason: next.value };
    tokens.push(next.value.token);
  }
}

describe('model runtime', () => {
  const models = new Map<string, LoadedModel>();
  const prompt = [116, 257, 32, 285, 269, 259]; // "the cat sa…" in the fixture tokenizer

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    for (const n of NAMES) models.set(n, await loadModel(join(FIXTURES, n)));
  });
  afterAll(() => {
    for (const m of models.values()) m.dispose();
  });
  const model = (n: string): LoadedModel => {
    const m = models.get(n);
    if (m === undefined) throw new Error(n);
    return m;
  };

  it('100 forward passes (capture, interventions, padding) and a generation leave no tensor behind', async () => {
    // Warm-up loads the weights, which the model keeps until dispose().
    for (const m of models.values()) m.run([prompt]).logits.dispose();
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const m = model(NAMES[i % NAMES.length] ?? 'gpt2');
      const { logits, captured } = m.run([prompt, [...prompt.slice(2), 298, 298]], {
        attentionMask: [prompt.map(() => 1), [1, 1, 1, 1, 0, 0]],
        capture: m.hookNames().filter((_, j) => j % 3 === i % 3),
        interventions: [
          { hook: 'blocks.1.mlp.hook_post', kind: 'ablate-zero', target: { neurons: [i % 7] } },
          { hook: 'blocks.0.hook_resid_post', kind: 'add', target: { vector: new Array(m.config.dModel).fill(0.1) }, positions: [1] },
        ],
      });
      logits.dispose();
      for (const t of captured.values()) t.dispose();
    }
    expect(tf.memory().numTensors).toBe(baseline);
    await collect(model('gemma2').generate(prompt, { maxNewTokens: 5, temperature: 0.8, seed: 3, stopTokens: [] }));
    expect(tf.memory().numTensors).toBe(baseline);
    // A run that fails inside the forward (bad neuron index) must not leak either.
    expect((await errorOf(() => model('llama').run([prompt], { capture: ['hook_embed'], interventions: [{ hook: 'blocks.1.mlp.hook_post', kind: 'ablate-zero', target: { neurons: [999] } }] }))).code).toBe('invalid_input');
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('captured activations are copies the caller may dispose independently', () => {
    const m = model('gpt2');
    const { logits, captured } = m.run([prompt], { capture: ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre'] });
    const post = captured.get('blocks.0.hook_resid_post');
    const pre = captured.get('blocks.1.hook_resid_pre');
    post?.dispose();
    expect(pre?.shape).toEqual([1, prompt.length, m.config.dModel]);
    expect(pre?.isDisposed).toBe(false);
    pre?.dispose();
    logits.dispose();
  });

  it('lastPositionOnly gives the last row of the full logits', () => {
    const m = model('llama');
    const full = m.run([prompt]);
    const last = m.run([prompt], { lastPositionOnly: true });
    expect(last.logits.shape).toEqual([1, 1, m.config.vocabSize]);
    const a = full.logits.arraySync()[0]?.[prompt.length - 1] ?? [];
    const b = last.logits.arraySync()[0]?.[0] ?? [];
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i] ?? NaN, 5));
    full.logits.dispose();
    last.logits.dispose();
  });

  it('sampling is reproducible for a seed and differs across seeds; top-p → 0 is greedy', async () => {
    const m = model('qwen2');
    const opts = { maxNewTokens: 12, temperature: 1.5, stopTokens: [] };
    const a = await collect(m.generate(prompt, { ...opts, seed: 42 }));
    const b = await collect(m.generate(prompt, { ...opts, seed: 42 }));
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).toHaveLength(12);
    const others = await Promise.all([1, 2, 3].map((seed) => collect(m.generate(prompt, { ...opts, seed }))));
    expect(others.some((o) => o.tokens.join() !== a.tokens.join())).toBe(true);
    const greedy = await collect(m.generate(prompt, { maxNewTokens: 6, stopTokens: [] }));
    const nucleus = await collect(m.generate(prompt, { maxNewTokens: 6, temperature: 1, topP: 1e-6, seed: 9, stopTokens: [] }));
    expect(nucleus.tokens).toEqual(greedy.tokens);
  });

  it('stops at a stop token (kept in the output) and reports why', async () => {
    const m = model('gpt2');
    const free = await collect(m.generate(prompt, { maxNewTokens: 4, stopTokens: [] }));
    expect(free.reason).toBe('max_tokens');
    const stopAt = free.tokens[1] ?? -1;
    const stopped = await collect(m.generate(prompt, { maxNewTokens: 4, stopTokens: [stopAt] }));
    expect(stopped.reason).toBe('eos');
    expect(stopped.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(stopAt) + 1));
  });

  it('applies interventions during generation like in a full forward', async () => {
    const m = model('gemma2');
    const iv = { hook: 'blocks.0.hook_resid_post', kind: 'add', target: { vector: new Array(m.config.dModel).fill(0).map((_, i) => (i % 5) - 2) }, value: 3 };
    const generated = await collect(m.generate(prompt, { maxNewTokens: 4, interventions: [iv], stopTokens: [] }));
    // Reference: greedy by full forwards with the same intervention at every position.
    const seq = [...prompt];
    for (let i = 0; i < 4; i++) {
      const { logits } = m.run([seq], { interventions: [iv], lastPositionOnly: true });
      seq.push(topTokens(logits.dataSync(), 1)[0]?.token ?? -1);
      logits.dispose();
    }
    expect(generated.tokens).toEqual(seq.slice(prompt.length));
    const plain = await collect(m.generate(prompt, { maxNewTokens: 4, stopTokens: [] }));
    expect(plain.tokens).not.toEqual(generated.tokens);
  });

  it('raw hook functions (the SAE module\'s entry point) run like interventions and see step offsets', async () => {
    const m = model('llama');
    const vector = new Array(m.config.dModel).fill(0).map((_, i) => Math.sin(i));
    const viaIntervention = m.run([prompt], { interventions: [{ hook: 'blocks.0.hook_resid_post', kind: 'add', target: { vector } }] });
    const viaHook = m.run([prompt], { hooks: [{ hook: 'blocks.0.hook_resid_post', fn: (act) => act.add(tf.tensor1d(vector)) }] });
    expect(viaHook.logits.arraySync()).toEqual(viaIntervention.logits.arraySync());
    viaIntervention.logits.dispose();
    viaHook.logits.dispose();

    const seen: [number, number][] = [];
    const recorder = { hook: 'blocks.1.mlp.hook_post', fn: (act: tf.Tensor, ctx: { positionOffset: number }) => (seen.push([ctx.positionOffset, act.shape[1] ?? -1]), act) };
    await collect(m.generate(prompt, { maxNewTokens: 3, stopTokens: [], hooks: [recorder] }));
    // The prompt in one step from position 0, then one new position per step.
    const P = prompt.length;
    expect(seen).toEqual([[0, P], [P, 1], [P + 1, 1]]);
  });

  it('topTokens returns probabilities that sum to ≤ 1, most likely first', () => {
    const top = topTokens([0, Math.log(3), 0, -Infinity], 3);
    expect(top.map((t) => t.token)).toEqual([1, 0, 2]);
    expect(top[0]?.prob).toBeCloseTo(0.6, 12);
    expect(top[1]?.prob).toBeCloseTo(0.2, 12);
  });

  it('validates run inputs with invalid_input naming the field', async () => {
    const m = model('gpt2');
    const cases: [() => unknown, string][] = [
      [() => m.run([[1, 2], [3]]), 'tokens.1'],
      [() => m.run([[1, 300]]), 'tokens.0'],
      [() => m.run([]), 'tokens'],
      [() => m.run([[1, 2]], { attentionMask: [[1, 2]] }), 'attentionMask.0'],
      [() => m.run([[1, 2]], { attentionMask: [[0, 0]] }), 'attentionMask.0'],
      [() => m.run([[1, 2]], { capture: ['blocks.9.hook_resid_pre'] }), 'capture'],
      [() => m.run([[1, 2]], { interventions: [{ hook: 'blocks.0.attn.hook_z', kind: 'ablate-zero', target: { neurons: [0] } }] }), 'hook'],
      [() => m.run([new Array(65).fill(1)]), 'tokens'],
    ];
    for (const [fn, field] of cases) {
      const err = await errorOf(fn);
      expect(err.code, field).toBe('invalid_input');
      expect(err.field).toBe(field);
    }
  });
});

describe('loadModel folder checks', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    dir = mkdtempSync(join(tmpdir(), 'fs-model-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const copyOf = (name: string, label: string): string => {
    const to = join(dir, label);
    cpSync(join(FIXTURES, name), to, { recursive: true });
    return to;
  };

  it('reports a missing folder or missing files as not_found, naming what is missing', async () => {
    expect((await errorOf(() => loadModel(join(dir, 'nope')))).code).toBe('not_found');
    const noTok = copyOf('gpt2', 'no-tokenizer');
    rmSync(join(noTok, 'tokenizer.json'));
    const err = await errorOf(() => loadModel(noTok));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('tokenizer.json');
    const noWeights = copyOf('gpt2', 'no-weights');
    rmSync(join(noWeights, 'model.safetensors'));
    expect((await errorOf(() => loadModel(noWeights))).code).toBe('not_found');
  });

  it('refuses a file linked from outside the folder', async () => {
    const linked = copyOf('gpt2', 'linked');
    rmSync(join(linked, 'config.json'));
    const outside = join(dir, 'outside-config.json');
    writeFileSync(outside, readFileSync(join(FIXTURES, 'gpt2', 'config.json')));
    symlinkSync(outside, join(linked, 'config.json'));
    const err = await errorOf(() => loadModel(linked));
    expect(err.code).toBe('bad_file');
    expect(err.message).toContain('config.json');
  });

  it('refuses weights that do not fit config.json, naming the tensor', async () => {
    const wrong = copyOf('llama', 'wrong-shape');
    const cfg = JSON.parse(readFileSync(join(wrong, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(wrong, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 48 }));
    const err = await errorOf(() => loadModel(wrong));
    expect(err.code).toBe('bad_file');
    // Checked against the weight headers before the model is built: names the field and the tensor.
    expect(err.field).toBe('intermediate_size');
    expect(err.message).toContain('config.json: field "intermediate_size" is 48');
    expect(err.message).toContain('"model.layers.0.mlp.gate_proj.weight" has shape [64, 32]');

    writeFileSync(join(wrong, 'config.json'), JSON.stringify({ ...cfg, tie_word_embeddings: true }));
    const loaded = await loadModel(wrong); // tied head: lm_head.weight present but unused is fine
    loaded.dispose();
    writeFileSync(join(wrong, 'config.json'), JSON.stringify({ ...cfg, model_type: 'falcon' }));
    expect((await errorOf(() => loadModel(wrong))).code).toBe('unsupported');
  });

  it('loads GPT-2 checkpoints with or without the "transformer." prefix, to the same logits', async () => {
    const a = await loadModel(join(FIXTURES, 'gpt2'));
    const bare = copyOf('gpt2', 'bare-names');
    const src = SafetensorsFile.open(join(FIXTURES, 'gpt2', 'model.safetensors'));
    const tensors = [...src.tensors.keys()].map((name) => ({
      name: name.replace(/^transformer\./, ''),
      dtype: 'F32' as const,
      shape: [...src.entry(name).shape],
      data: src.readFloat32(name).slice(),
    }));
    src.close();
    expect(tensors.some((t) => t.name === 'h.0.attn.c_attn.weight')).toBe(true);
    writeSafetensors(join(bare, 'model.safetensors'), tensors);
    const b = await loadModel(bare);
    const la = a.run([[1, 2, 3]]).logits;
    const lb = b.run([[1, 2, 3]]).logits;
    expect(lb.arraySync()).toEqual(la.arraySync());
    la.dispose();
    lb.dispose();
    expect(a.hookNames()).toContain('hook_pos_embed');
    a.dispose();
    b.dispose();
    const err = await errorOf(() => a.run([[1]]));
    expect(err.message).toContain('unloaded');
  });
});
