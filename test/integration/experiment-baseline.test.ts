// experiment.run through the host and the engine process: a steering experiment re-run with another
// strength reuses the baseline it computed (the playground's slider release), while a replay
// recomputes both runs. A reused baseline is the same output, `seconds` included; a recomputed one
// has its own timing.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../src/host/host';
import type { ExperimentRunOutput } from '../../src/shared/contract';
import { startTestHost } from './helpers';

const fixture = resolve(__dirname, '../fixtures/models/gpt2');
const HOOK = 'blocks.1.hook_resid_post';

async function value<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

describe('experiment baselines', () => {
  let host: Host;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ host, dispose } = await startTestHost());
  });
  afterAll(() => dispose());

  const steer = (value: number, seed = 0) =>
    value === 0
      ? host.call('experiment.run', { model: fixture, prompt: 'hello world', topK: 5, generate: { maxNewTokens: 6, seed }, interventions: [{ hook: HOOK, kind: 'ablate-zero', target: { neurons: [0, 1, 2] } }] })
      : host.call('experiment.run', { model: fixture, prompt: 'hello world', topK: 5, generate: { maxNewTokens: 6, seed }, interventions: [{ hook: HOOK, kind: 'add', target: { neurons: [0, 1, 2] }, value }] });

  it('reuses the baseline across interventions, recomputes for another seed and on replay', async () => {
    const first = await value<ExperimentRunOutput>(steer(4));
    const second = await value<ExperimentRunOutput>(steer(-4));
    const ablated = await value<ExperimentRunOutput>(steer(0));
    expect(second.intervened).not.toEqual(first.intervened);
    expect(second.baseline).toEqual(first.baseline);
    expect(ablated.baseline).toEqual(first.baseline);

    const otherSeed = await value<ExperimentRunOutput>(steer(4, 1));
    expect(otherSeed.baseline.seconds).not.toBe(first.baseline.seconds);

    const replay = await value<ExperimentRunOutput & { matches: boolean }>(host.call('experiment.replay', { ref: second.experiment.citeId }));
    expect(replay.matches).toBe(true);
    expect(replay.baseline.seconds).not.toBe(first.baseline.seconds);
    expect({ ...replay.baseline, seconds: 0 }).toEqual({ ...first.baseline, seconds: 0 });
  });
});
