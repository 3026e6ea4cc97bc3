// The engine's model cache: a model a running command holds is not disposed under it when other
// commands load more models than the cache keeps (a capture job failed with "this model was
// unloaded" while the playground opened two others); evicted models go once nothing is at work.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { IdleDisposer } from '../../../src/engine/session/idle-disposer';
import { ModelCache } from '../../../src/engine/session/model-cache';

const fixture = (name: string) => resolve(__dirname, '../../fixtures/models', name);
const run = (m: Awaited<ReturnType<ModelCache['get']>>) => {
  const r = m.run([[1, 2, 3]]);
  r.logits.dispose();
};

describe('IdleDisposer', () => {
  it('disposes at once when idle, else when the last command at work ends', () => {
    const idle = new IdleDisposer();
    const done: string[] = [];
    idle.retire(() => done.push('now'));
    idle.begin();
    idle.begin();
    idle.retire(() => done.push('later'));
    idle.end();
    expect(done).toEqual(['now']);
    idle.end();
    expect(done).toEqual(['now', 'later']);
  });
});

describe('ModelCache', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
  });

  it('keeps an evicted model usable while a command is at work, and disposes it once none is', async () => {
    const idle = new IdleDisposer();
    const cache = new ModelCache(idle, 1);
    idle.begin(); // a capture job holds gpt2 …
    const held = await cache.get(fixture('gpt2'));
    idle.begin(); // … while another command loads a second model, evicting it from the cache
    await cache.get(fixture('llama'));
    idle.end();
    await new Promise((r) => setTimeout(r, 0));
    expect(() => run(held)).not.toThrow();
    idle.end(); // nothing at work: the evicted model goes (disposed once its load promise settles)
    await new Promise((r) => setTimeout(r, 0));
    expect(() => run(held)).toThrow(/unloaded/);
  });

  it('gives back a retired model asked for again instead of loading it twice', async () => {
    const idle = new IdleDisposer();
    const cache = new ModelCache(idle, 1);
    idle.begin();
    const first = await cache.get(fixture('gpt2'));
    await cache.get(fixture('llama'));
    const again = await cache.get(fixture('gpt2'));
    expect(again).toBe(first);
    idle.end();
    expect(() => run(again)).not.toThrow();
  });
});
