// experiment.replay dispatches on the logged kind through one registry; the per-kind commands are
// aliases of the same replays that keep their old outputs and refuse other kinds. A real catalog
// file holds the log; the replays are stand-ins that record what they were asked.
import { afterAll, describe, expect, it } from 'vitest';
import { logExperiment, openCatalog } from '../../../src/catalog';
import type { Experiment, ExperimentKind } from '../../../src/shared/contract/records';
import { FeaturescopeError } from '../../../src/shared/errors';
import { replayCommands, type ReplayChoice, type Replayers } from '../../../src/engine/experiments/replay';
import { tempDir } from '../catalog/helpers';

const tmp = tempDir('fs-replay-');
afterAll(() => tmp.cleanup());

describe('replayCommands', () => {
  const catalog = openCatalog(tmp.file('log.db'));
  afterAll(() => catalog.close());
  const asked: Array<{ kind: ExperimentKind; citeId: string; choice: ReplayChoice }> = [];
  // A stand-in answers with a few figures of its kind, not a whole replay: typed as its kind's answer.
  const stand =
    <K extends ExperimentKind>(kind: K, figures: Record<string, unknown>) =>
    async (logged: Experiment, choice: ReplayChoice): Promise<Awaited<ReturnType<Replayers[K]>>> => {
      asked.push({ kind, citeId: logged.citeId, choice });
      return { replayOf: logged.citeId, matches: true, note: `${kind} note`, ...figures } as Awaited<ReturnType<Replayers[K]>>;
    };
  const replayers: Replayers = {
    ablation: stand('ablation', { kl: 0.5 }),
    steering: stand('steering', { kl: 0.25 }),
    attribution: stand('attribution', { of: 'attribution.run', difference: 0, reordered: 0 }),
    probe: stand('probe', { stepsDiffering: 0, coefChange: 0 }),
    audit: stand('audit', { meanDiff: 1, t: 2, p: 0.01 }),
    scan: stand('scan', { idx: 3, rank: 0, logged: 4, value: 4 }),
    circuit: stand('circuit', { logged: ['blocks.0.mlp.hook_post#1'], now: ['blocks.0.mlp.hook_post#1'], lossDifference: 0 }),
  };
  const commands = replayCommands(() => catalog, replayers);
  const log = (kind: ExperimentKind) => logExperiment(catalog, { kind, saeId: null, inputs: {}, seed: null, outputs: {}, appVersion: '0.1.0' }).citeId;
  const cites = Object.fromEntries((['ablation', 'steering', 'attribution', 'probe', 'audit', 'scan', 'circuit'] as const).map((k) => [k, log(k)])) as Record<ExperimentKind, string>;

  it('replays every kind through its own replay, with the kind and the note', async () => {
    for (const [kind, citeId] of Object.entries(cites)) {
      const out = await commands['experiment.replay']({ ref: citeId }, 'cli');
      expect(out).toMatchObject({ kind, replayOf: citeId, matches: true, note: `${kind} note` });
      expect(asked.at(-1)).toMatchObject({ kind, citeId });
    }
    await commands['experiment.replay']({ ref: cites.scan, idx: 3, rank: 1 }, 'cli');
    expect(asked.at(-1)).toEqual({ kind: 'scan', citeId: cites.scan, choice: { idx: 3, rank: 1 } });
  });

  it('the per-kind aliases answer as before, without the note', async () => {
    expect(await commands['audit.replay']({ ref: cites.audit }, 'cli')).toEqual({ replayOf: cites.audit, matches: true, meanDiff: 1, t: 2, p: 0.01 });
    expect(await commands['probe.replay']({ ref: cites.probe }, 'cli')).not.toHaveProperty('note');
    expect(await commands['attribution.replay']({ ref: cites.attribution }, 'cli')).toMatchObject({ of: 'attribution.run' });
    expect(await commands['scan.replay']({ ref: cites.scan, rank: 0 }, 'cli')).toMatchObject({ idx: 3, rank: 0 });
  });

  it('refuses another kind on an alias, and a scan context on other kinds, naming the field', async () => {
    const refusal = async (p: Promise<unknown>) => p.then(() => expect.unreachable('should refuse'), (e: unknown) => e as FeaturescopeError);
    expect(await refusal(Promise.resolve(commands['probe.replay']({ ref: cites.audit }, 'cli')))).toMatchObject({ code: 'unsupported', field: 'ref', message: `${cites.audit} is an audit experiment, not a probe; experiment.replay replays any kind.` });
    expect(await refusal(Promise.resolve(commands['scan.replay']({ ref: cites.ablation, rank: 0 }, 'cli')))).toMatchObject({ code: 'unsupported', field: 'ref' });
    expect(await refusal(Promise.resolve(commands['experiment.replay']({ ref: cites.probe, idx: 2 }, 'cli')))).toMatchObject({ code: 'invalid_input', field: 'idx' });
    expect(await refusal(Promise.resolve(commands['experiment.replay']({ ref: 'exp-999999' }, 'cli')))).toMatchObject({ code: 'not_found', field: 'ref' });
  });
});
