// Issue #17 (interop and scripting): `featurescope run` for scripts. The built CLI as a real process
// beside a real host and engine on one workspace: a prompt as ids equals the same prompt as text;
// --logits and --dump-hooks files read back equal what the run printed and what other routes give
// (a neuron probe, the playground's experiment.run for SAE-feature steering); existing files are
// kept unless --force; a browser caller cannot make model.run write outside the workspace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/engine/formats/npy';
import { SafetensorsFile, writeSafetensors } from '../../src/engine/formats/safetensors';
import type { Host } from '../../src/host/host';
import { callOrThrow } from '../../src/shared/call';
import type { RunOutput } from '../../src/shared/contract';
import { startTestHost } from './helpers';

const MODEL = resolve(__dirname, '../fixtures/models/gpt2');
const CLI = resolve(__dirname, '../../bin/featurescope.js');
const SAE_HOOK = 'blocks.1.hook_resid_post';
const PROMPT = 'the quick brown fox';

describe('featurescope run for scripts', () => {
  let host: Host;
  let home: string;
  let dispose: () => Promise<void>;
  let out: string;
  let saeId: number;
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FEATURESCOPE_HOME: home }, timeout: 120_000 });
  const runJson = (args: string[]): RunOutput => {
    const r = cli(['run', '--model', MODEL, ...args, '--json']);
    if (r.status !== 0) throw new Error(`featurescope run ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as RunOutput;
  };

  beforeAll(async () => {
    ({ host, home, dispose } = await startTestHost());
    out = realpathSync(mkdtempSync(join(tmpdir(), 'featurescope-run-files-')));
    // A small SAE at blocks.1.hook_resid_post with a decoder that moves the residual, imported as a user would.
    const saeDir = join(out, 'sae');
    mkdirSync(saeDir);
    const dIn = 32;
    const dSae = 64;
    writeSafetensors(join(saeDir, 'sae_weights.safetensors'), [
      { name: 'W_enc', dtype: 'F32', shape: [dIn, dSae], data: new Float32Array(dIn * dSae).map((_, i) => Math.sin(i * 7.1) * 0.3) },
      { name: 'W_dec', dtype: 'F32', shape: [dSae, dIn], data: new Float32Array(dSae * dIn).map((_, i) => Math.cos(i * 3.3) * 0.5) },
      { name: 'b_enc', dtype: 'F32', shape: [dSae], data: new Float32Array(dSae) },
      { name: 'b_dec', dtype: 'F32', shape: [dIn], data: new Float32Array(dIn) },
    ]);
    writeFileSync(
      join(saeDir, 'cfg.json'),
      JSON.stringify({ architecture: 'standard', d_in: dIn, d_sae: dSae, dtype: 'float32', device: 'cpu', apply_b_dec_to_input: false, normalize_activations: 'none', reshape_activations: 'none', metadata: { hook_name: SAE_HOOK, model_name: 'gpt2-fixture' } }),
    );
    ({ saeId } = await callOrThrow(host, 'sae.import', { path: saeDir, name: 'steer-sae' }));
  }, 180_000);

  afterAll(async () => {
    await dispose?.();
    rmSync(out, { recursive: true, force: true });
  });

  it('runs a prompt given as ids (--ids, --ids-file as JSON or plain numbers) exactly as the same prompt as text', () => {
    const byText = runJson(['--prompt', PROMPT, '--top', '8']);
    const ids = byText.tokens.map((t) => t.id);
    expect(ids.length).toBeGreaterThan(2);
    const byIds = runJson(['--ids', ids.join(','), '--top', '8']);
    expect(byIds.tokens).toEqual(byText.tokens);
    expect(byIds.next).toEqual(byText.next);
    const jsonFile = join(out, 'ids.json');
    writeFileSync(jsonFile, JSON.stringify(ids));
    expect(runJson(['--ids-file', jsonFile, '--top', '8']).next).toEqual(byText.next);
    const plainFile = join(out, 'ids.txt');
    writeFileSync(plainFile, `${ids.slice(0, 2).join(' ')}\n${ids.slice(2).join(',\n')}\n`);
    expect(runJson(['--ids-file', plainFile, '--top', '8']).next).toEqual(byText.next);
  }, 120_000);

  it('refuses an id outside the vocabulary naming the id and the vocabulary size, and a bad ids file naming the item', () => {
    const r = cli(['run', '--model', MODEL, '--ids', '5,300']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("featurescope: ids.1: token id 300 is outside this model's vocabulary [0, 300).\n");
    const bad = join(out, 'bad-ids.txt');
    writeFileSync(bad, '5 6 secret-word 7');
    const b = cli(['run', '--model', MODEL, '--ids-file', bad]);
    expect(b.status).toBe(2);
    expect(b.stderr).toBe(`featurescope: --ids-file ${bad}: item 3 is not a token id (a non-negative integer).\n`);
    expect(b.stderr).not.toContain('secret-word');
    const both = cli(['run', '--model', MODEL, '--prompt', 'a', '--ids', '5']);
    expect(both.stderr).toBe('featurescope: Give the prompt once: --prompt TEXT, --ids N,N… or --ids-file FILE (not several).\n');
  }, 120_000);

  it('writes every position’s logits to .npy and .safetensors, equal to the printed top-k of each position', () => {
    const npy = join(out, 'logits.npy');
    const st = join(out, 'logits.safetensors');
    const r = runJson(['--prompt', PROMPT, '--all-positions', '--top', '5', '--logits', npy]);
    const rs = runJson(['--prompt', PROMPT, '--top', '5', '--logits', st]);
    const pos = r.tokens.length;
    const arr = parseNpy(new Uint8Array(readFileSync(npy)));
    expect(arr.dtype).toBe('<f4');
    expect(arr.shape).toEqual([1, pos, 300]);
    expect(r.files).toEqual([{ path: npy, format: 'npy', tensors: [{ name: 'logits', shape: [1, pos, 300] }] }]);
    const file = SafetensorsFile.open(st);
    expect(file.entry('logits').shape).toEqual([1, pos, 300]);
    const fromSt = file.readFloat32('logits');
    expect(Array.from(fromSt)).toEqual(Array.from(arr.data as Float32Array));
    expect(r.positions).toHaveLength(pos);
    for (let p = 0; p < pos; p++) {
      const row = Array.from((arr.data as Float32Array).subarray(p * 300, (p + 1) * 300));
      const order = row.map((v, id) => [v, id] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      const printed = r.positions![p]!.next;
      expect(printed.map((t) => t.id)).toEqual(order.slice(0, 5).map(([, id]) => id));
      printed.forEach((t) => expect(t.logit).toBe(row[t.id]));
    }
    // The last position's list is the run's own next-token list.
    expect(r.positions![pos - 1]!.next).toEqual(r.next);
    expect(rs.next).toEqual(r.next);
  }, 120_000);

  it('leaves an existing file alone unless --force, and says so', () => {
    const npy = join(out, 'kept.npy');
    writeFileSync(npy, 'my own data');
    const r = cli(['run', '--model', MODEL, '--prompt', PROMPT, '--logits', npy]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`logits: ${npy} already exists; nothing was written. Pass --force`);
    expect(readFileSync(npy, 'utf8')).toBe('my own data');
    runJson(['--prompt', PROMPT, '--logits', npy, '--force']);
    expect(parseNpy(new Uint8Array(readFileSync(npy))).shape[2]).toBe(300);
    const txt = cli(['run', '--model', MODEL, '--prompt', PROMPT, '--logits', join(out, 'logits.csv')]);
    expect(txt.stderr).toContain('must end in .npy or .safetensors');
  }, 120_000);

  it('dumps hooks under their TransformerLens names with their captured shapes and the values a neuron probe reads', async () => {
    const file = join(out, 'hooks.safetensors');
    const hooks = ['blocks.0.mlp.hook_post', 'blocks.1.hook_resid_post', 'blocks.0.hook_attn_out'];
    const r = runJson(['--prompt', PROMPT, ...hooks.flatMap((h) => ['--hook', h]), '--dump-hooks', file]);
    const st = SafetensorsFile.open(file);
    expect([...st.tensors.keys()].sort()).toEqual([...hooks].sort());
    for (const c of r.captured) expect(st.entry(c.hook).shape).toEqual(c.shape);
    const pos = r.tokens.length;
    expect(st.entry('blocks.0.mlp.hook_post').shape).toEqual([1, pos, 128]);
    // Another route to the same numbers: the playground's neuron probe through the host.
    const mlp = st.readFloat32('blocks.0.mlp.hook_post');
    for (const neuron of [0, 17, 127]) {
      const probed = await callOrThrow(host, 'model.run', { model: MODEL, prompt: PROMPT, probe: { hook: 'blocks.0.mlp.hook_post', neuron } });
      const column = Array.from({ length: pos }, (_, p) => mlp[p * 128 + neuron]!);
      column.forEach((v, p) => expect(v).toBeCloseTo(probed.probe!.values[p]!, 5));
    }
    // --hook all: every hook point of the model.
    const all = join(out, 'all.safetensors');
    runJson(['--prompt', 'hi', '--hook', 'all', '--dump-hooks', all]);
    const [info] = (await callOrThrow(host, 'model.list', {})).filter((m) => m.path === MODEL);
    const names = info?.hookNames ?? (await callOrThrow(host, 'model.open', { path: MODEL })).hookNames;
    expect([...SafetensorsFile.open(all).tensors.keys()].sort()).toEqual([...names].sort());
  }, 120_000);

  it('steers an SAE feature (--sae, --steer-feature, --ablate-feature, --clamp-feature) as the playground’s experiment.run does', async () => {
    const plain = runJson(['--prompt', PROMPT, '--top', '10']);
    const cases: Array<{ flags: string[]; interventions: unknown[] }> = [
      { flags: ['--steer-feature', '3=8'], interventions: [{ hook: SAE_HOOK, kind: 'add', target: { saeFeatures: [3] }, value: 8 }] },
      { flags: ['--clamp-feature', '5=6', '--ablate-feature', '1,2'], interventions: [{ hook: SAE_HOOK, kind: 'ablate-zero', target: { saeFeatures: [1, 2] } }, { hook: SAE_HOOK, kind: 'clamp', target: { saeFeatures: [5] }, value: 6 }] },
    ];
    for (const c of cases) {
      const steered = runJson(['--prompt', PROMPT, '--top', '10', '--sae', 'steer-sae', ...c.flags]);
      const playground = await callOrThrow(host, 'experiment.run', { model: MODEL, prompt: PROMPT, topK: 10, sae: saeId, interventions: c.interventions as never });
      expect(steered.next.map((t) => t.id)).toEqual(playground.intervened.next.map((t) => t.id));
      steered.next.forEach((t, i) => expect(t.logit).toBeCloseTo(playground.intervened.next[i]!.logit, 5));
      expect(steered.next.map((t) => t.logit)).not.toEqual(plain.next.map((t) => t.logit));
    }
    const noSae = cli(['run', '--model', MODEL, '--prompt', PROMPT, '--steer-feature', '3=8']);
    expect(noSae.stderr).toBe('featurescope: --ablate-feature, --steer-feature and --clamp-feature edit features of an SAE: give --sae ID|NAME.\n');
  }, 120_000);

  it('lets no browser caller write a run file outside the workspace; inside it, it may', async () => {
    const outside = join(out, 'browser-logits.npy');
    const r = await host.callUntrusted('model.run', { model: MODEL, prompt: PROMPT, logits: outside }, 'browser');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(`logits: ${outside} is outside the workspace`);
    expect(statSync(outside, { throwIfNoEntry: false })).toBeUndefined();
    const dump = await host.callUntrusted('model.run', { model: MODEL, prompt: PROMPT, capture: ['blocks.0.hook_resid_post'], dumpHooks: join(out, 'b.safetensors') }, 'browser');
    expect(dump.ok).toBe(false);
    const inside = join(home, 'workspaces', 'default', 'exports', 'logits.npy');
    const ok = await host.callUntrusted('model.run', { model: MODEL, prompt: PROMPT, logits: inside }, 'browser');
    expect(ok.ok).toBe(true);
    expect(parseNpy(new Uint8Array(readFileSync(inside))).shape[0]).toBe(1);
  }, 120_000);
});
