// Commands of the bias audit: audit.contrastSets, audit.run (a job: audit-job.ts) and the replay
// of one logged finding's activation evidence.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { legacyUnitEvidence, unitEvidence } from './audit';
import { contrastSetsDir, runAuditJob, tokenPairs } from './audit-job';
import { loadContrastSet } from './contrast-set';

/** What audit.run logs as a finding's inputs: everything its evidence needs to be run again. */
interface LoggedFindingInputs {
  kind?: string;
  model?: string;
  sae?: number | null;
  hook?: string;
  index?: number;
  pooling?: 'mean' | 'last';
  /** Since #18; absent in findings logged before, which pooled over every token. */
  positions?: 'context' | 'all';
  pairs?: Array<{ a: string; b: string }>;
}

export function auditCommands(deps: CommandDeps): { calls: Pick<CallHandlers, 'audit.contrastSets'>; jobs: Pick<JobHandlers, 'audit.run'>; replay: Replayers['audit'] } {
  const { services, models, saes } = deps;

  return {
    calls: {
      'audit.contrastSets': () => {
        const dir = contrastSetsDir(services);
        if (!existsSync(dir)) return [];
        return readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => {
            const set = loadContrastSet(join(dir, f), dir);
            return { id: f.slice(0, -5), title: set.title, sideA: set.sideA, sideB: set.sideB, pairs: set.pairs.length, hasMetric: set.metric !== undefined };
          });
      },
    },
    jobs: {
      'audit.run': (input, ctx) => runAuditJob(deps, input, ctx),
    },

    replay: async (logged) => {
      const inputs = logged.inputs as LoggedFindingInputs;
      if (inputs.kind !== 'audit-finding' || !inputs.model || !inputs.hook || inputs.index === undefined || !inputs.pairs) {
        throw new FeaturescopeError('unsupported', `${logged.citeId} is not an audit finding; replay it from its own page.`, 'ref');
      }
      const model = await models.get(inputs.model);
      const sae = inputs.sae == null ? undefined : saes.get(services.catalog(), inputs.sae);
      const pairs = tokenPairs(model, inputs.pairs);
      const pooling = inputs.pooling ?? 'mean';
      const legacy = inputs.positions === undefined;
      const again = legacy ? legacyUnitEvidence(model, pairs, inputs.hook, inputs.index, sae, pooling) : unitEvidence(model, pairs, inputs.hook, inputs.index, sae, pooling, inputs.positions!);
      const before = logged.outputs as { valuesA?: number[]; valuesB?: number[] };
      const close = (x: number[] | undefined, y: number[]) => x !== undefined && x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) <= 1e-5 * Math.max(1, Math.abs(v)));
      return {
        replayOf: logged.citeId,
        meanDiff: again.meanDiff,
        t: again.t,
        p: again.p,
        matches: close(before.valuesA, again.valuesA) && close(before.valuesB, again.valuesB),
        method: legacy ? ('all-legacy' as const) : inputs.positions!,
        note: legacy
          ? `Made by the old method (before #18): activations averaged over every token, the swapped words included, so it measures token identity as much as the attribute; replayed by that method: mean difference ${again.meanDiff.toPrecision(4)}, t ${again.t.toPrecision(4)}. Run the audit again for findings compared on shared context.`
          : `Replayed now (${inputs.positions === 'context' ? 'shared context after the swapped words' : 'every token'}): mean difference ${again.meanDiff.toPrecision(4)}, t ${again.t.toPrecision(4)}`,
      };
    },
  };
}
