// Commands of the bias audit: audit.contrastSets, audit.run (a job: findings logged, SAE features
// tagged bias, an HTML report) and the replay of one logged finding's activation evidence.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { addTag, logExperiment } from '../../catalog';
import type { AuditRunInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { singleTokenId } from '../attribution';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { checkReportOutPath, logWithReport } from '../handlers/report-out';
import { yieldToEventLoop } from '../jobs/context';
import type { LoadedModel } from '../model';
import { auditRunCount, runAudit, unitEvidence, type AuditOptions, type TokenPair } from './audit';
import { loadContrastSet } from './contrast-set';
import { renderAuditReport, type ReportFinding } from './report';

/** What audit.run logs as a finding's inputs: everything its evidence needs to be run again. */
interface LoggedFindingInputs {
  kind?: string;
  model?: string;
  sae?: number | null;
  hook?: string;
  index?: number;
  pooling?: 'mean' | 'last';
  pairs?: Array<{ a: string; b: string }>;
}

export function auditCommands({ services, models, saes }: CommandDeps): { calls: Pick<CallHandlers, 'audit.contrastSets'>; jobs: Pick<JobHandlers, 'audit.run'>; replay: Replayers['audit'] } {
  const contrastDir = () => join(services.paths.resources, 'contrast-sets');
  const version = () => appVersion(services.paths.appRoot);
  const tokenPairs = (model: LoadedModel, pairs: Array<{ a: string; b: string }>): TokenPair[] => pairs.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));

  return {
    calls: {
      'audit.contrastSets': () => {
        const dir = contrastDir();
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
      'audit.run': async (input: AuditRunInput, ctx) => {
        if (input.outPath !== undefined) checkReportOutPath(input.outPath);
        const set = loadContrastSet(input.contrastSet, contrastDir());
        const model = await models.get(input.model);
        const catalog = services.catalog();
        const sae = input.sae === undefined ? undefined : saes.get(catalog, input.sae);
        const pairs = tokenPairs(model, set.pairs);
        const metric = set.metric ? { kind: 'logit-diff' as const, tokenA: singleTokenId(model.tokenizer, set.metric.tokenA, 'contrastSet.metric.tokenA'), tokenB: singleTokenId(model.tokenizer, set.metric.tokenB, 'contrastSet.metric.tokenB') } : null;
        const options: AuditOptions = {
          site: sae ? { kind: 'sae', sae } : { kind: 'neurons', ...(input.layers ? { layers: input.layers } : {}) },
          pooling: input.pooling,
          metric,
          topN: input.topN,
          alpha: input.alpha,
          seed: input.seed,
          attributionPairs: input.attributionPairs,
        };
        // Counts model runs: a prompt's forward, a pair's attribution.
        const runs = auditRunCount(model, pairs, options);
        const meter = ctx.meter('runs', runs);
        meter.update(0, { message: `audit over ${set.pairs.length} pairs`, force: true });
        ctx.throwIfCancelled();
        const result = await runAudit(model, pairs, {
          ...options,
          onProgress: async (done, _total, message) => {
            meter.update(done, { message });
            await yieldToEventLoop();
            ctx.throwIfCancelled();
          },
        });
        meter.update(runs, { message: 'logging findings and writing the report', force: true });
        ctx.throwIfCancelled();
        const { logged: findings, reportPath, exportedTo } = logWithReport(
          catalog,
          () =>
            result.findings.map((f): ReportFinding => {
              const experiment = logExperiment(catalog, {
                kind: 'audit',
                saeId: input.sae ?? null,
                // Everything the finding's evidence needs to be re-run by audit.replay.
                inputs: { kind: 'audit-finding', model: model.dir, sae: input.sae ?? null, hook: f.hook, index: f.index, pooling: input.pooling, contrastSet: set.id, pairs: set.pairs.map((p) => ({ a: p.a, b: p.b })) },
                seed: input.seed,
                outputs: { ...f, contrastSet: set.id, unitsTested: result.unitsTested },
                appVersion: version(),
              });
              const tagged = input.sae !== undefined && f.unitKind === 'sae-feature';
              if (tagged) addTag(catalog, input.sae!, f.index, 'bias');
              return { ...f, citeId: experiment.citeId, tagged };
            }),
          (findings) => {
            const createdAt = Date.now();
            return {
              reportPath: join(services.paths.workspace, 'audits', `audit-${set.id}-${new Date(createdAt).toISOString().replace(/[:.]/g, '-')}.html`),
              html: renderAuditReport({
                title: `Bias audit: ${set.title || set.id}`,
                model: model.dir,
                contrastSet: { id: set.id, title: set.title, sideA: set.sideA, sideB: set.sideB },
                pairs: result.pairs,
                unitsTested: result.unitsTested,
                significant: result.significant,
                alpha: input.alpha,
                attributionPairs: result.attributionPairs,
                probe: result.probe,
                createdAt,
                findings,
              }),
            };
          },
          input.outPath,
        );
        ctx.catalogChanged(['experiments', 'tags']);
        meter.update(runs, { force: true });
        return {
          contrastSet: { id: set.id, title: set.title, sideA: set.sideA, sideB: set.sideB },
          reportPath,
          exportedTo,
          pairs: result.pairs,
          unitsTested: result.unitsTested,
          significant: result.significant,
          findings: findings.map(({ valuesA: _a, valuesB: _b, ...f }) => ({ ...f, tagged: f.tagged ?? false })),
        };
      },
    },

    replay: async (logged) => {
      const inputs = logged.inputs as LoggedFindingInputs;
      if (inputs.kind !== 'audit-finding' || !inputs.model || !inputs.hook || inputs.index === undefined || !inputs.pairs) {
        throw new FeaturescopeError('unsupported', `${logged.citeId} is not an audit finding; replay it from its own page.`, 'ref');
      }
      const model = await models.get(inputs.model);
      const sae = inputs.sae == null ? undefined : saes.get(services.catalog(), inputs.sae);
      const again = unitEvidence(model, tokenPairs(model, inputs.pairs), inputs.hook, inputs.index, sae, inputs.pooling ?? 'mean');
      const before = logged.outputs as { valuesA?: number[]; valuesB?: number[] };
      const close = (x: number[] | undefined, y: number[]) => x !== undefined && x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) <= 1e-5 * Math.max(1, Math.abs(v)));
      return {
        replayOf: logged.citeId,
        meanDiff: again.meanDiff,
        t: again.t,
        p: again.p,
        matches: close(before.valuesA, again.valuesA) && close(before.valuesB, again.valuesB),
        note: `Replayed now: mean difference ${again.meanDiff.toPrecision(4)}, t ${again.t.toPrecision(4)}, p ${again.p.toPrecision(3)}`,
      };
    },
  };
}
