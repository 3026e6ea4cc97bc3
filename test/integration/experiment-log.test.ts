// Issue #18, finding 7: one run is logged once (a slider release then Run sent the same input twice
// and logged two rows), and the log can be filtered by kind and text. Host and engine process.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../src/host/host';
import type { CommandOutput, ExperimentRunOutput } from '../../src/shared/contract';

type Experiment = CommandOutput<'catalog.experiments'>[number];
import { startTestHost } from './helpers';

const fixture = resolve(__dirname, '../fixtures/models/gpt2');
const HOOK = 'blocks.1.hook_resid_post';

async function value<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

describe('experiment log', () => {
  let host: Host;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ host, dispose } = await startTestHost());
  });
  afterAll(() => dispose());

  const run = (prompt: string, iv: Record<string, unknown>) =>
    value<ExperimentRunOutput>(host.call('experiment.run', { model: fixture, prompt, topK: 5, generate: { maxNewTokens: 4, seed: 0 }, interventions: [{ hook: HOOK, target: { neurons: [0, 1] }, ...iv }] } as never));
  const log = (input: Record<string, unknown> = {}) => value<Experiment[]>(host.call('catalog.experiments', input as never));

  it('the same run twice is one row; another strength is another', async () => {
    const first = await run('hello world', { kind: 'add', value: 4 });
    const again = await run('hello world', { kind: 'add', value: 4 });
    expect(again.experiment.citeId).toBe(first.experiment.citeId);
    expect((await log()).filter((e) => e.citeId === first.experiment.citeId)).toHaveLength(1);
    const other = await run('hello world', { kind: 'add', value: 5 });
    expect(other.experiment.id).toBe(first.experiment.id + 1);
    // Back to the first strength after another run: a new row (a run repeated later is logged again).
    const back = await run('hello world', { kind: 'add', value: 4 });
    expect(back.experiment.id).toBe(other.experiment.id + 1);
  });

  it('filters by kind and by text in the logged inputs, % and _ taken literally', async () => {
    await run('the zebra_crossing at 50% width', { kind: 'ablate-zero' });
    const ablations = await log({ kind: 'ablation' });
    expect(ablations.length).toBeGreaterThan(0);
    expect(ablations.every((e) => e.kind === 'ablation')).toBe(true);
    expect((await log({ kind: 'steering' })).every((e) => e.kind === 'steering')).toBe(true);
    const zebra = await log({ q: 'ZEBRA' });
    expect(zebra.map((e) => (e.inputs as { prompt: string }).prompt)).toEqual(['the zebra_crossing at 50% width']);
    expect(await log({ q: 'zebra_c' })).toHaveLength(1);
    expect(await log({ q: 'zebra%c' })).toHaveLength(0);
    expect(await log({ q: '50%' })).toHaveLength(1);
    expect(await log({ q: 'hello', kind: 'ablation' })).toHaveLength(0);
    expect((await log({ q: 'hello', kind: 'steering' })).length).toBe(3);
  });
});
