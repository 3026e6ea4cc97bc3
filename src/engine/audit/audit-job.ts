// The audit.run job: every unit's paired test over a contrast set, attribution and probe weight;
// each finding logged (replayable) and SAE features tagged bias, with the HTML report written as
// one unit with the log (report-out.ts).
import { join } from 'node:path';
import { addTag, logExperiment } from '../../catalog';
import type { AuditRunInput, AuditRunResult } from '../../shared/contract';
import { appVersion } from '../../node/versions';
import { singleTokenId } from '../attribution';
import type { CommandDeps } from '../handlers/registry';
import { checkReportOutPath, logWithReport } from '../handlers/report-out';
import { yieldToEventLoop, type JobContext } from '../jobs/context';
import type { LoadedModel } from '../model';
import type { EngineServices } from '../services';
import { auditRunCount, runAudit, type AuditOptions, type TokenPair } from './audit';
import { loadContrastSet } from './contrast-set';
import { renderAuditReport, type ReportFinding } from './report';

/** The built-in contrast sets (resources/contrast-sets), which audit.run can name by id. */
export const contrastSetsDir = (services: EngineServices) => join(services.paths.resources, 'contrast-sets');

export const tokenPairs = (model: LoadedModel, pairs: Array<{ a: string; b: string }>): TokenPair[] => pairs.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));

export async function runAuditJob({ services, models, saes }: CommandDeps, input: AuditRunInput, ctx: JobContext): Promise<AuditRunResult> {
  const contrastDir = () => contrastSetsDir(services);
  const version = () => appVersion(services.paths.appRoot);
  if (input.outPath !== undefined) checkReportOutPath(input.outPath, { caller: ctx.caller, workspace: services.paths.workspace, force: input.force });
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
}
