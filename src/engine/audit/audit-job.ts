// The audit.run job: every unit's paired test over a contrast set, attribution and probe weight;
// each finding logged (replayable) and SAE features tagged `bias` or `<attribute>-sensitive`, with the HTML report written as
// one unit with the log (report-out.ts).
import { join } from 'node:path';
import { addTag, logExperiment } from '../../catalog';
import type { AuditRunInput, AuditRunResult } from '../../shared/contract';
import { appVersion } from '../../node/versions';
import { differenceMetricOf, type AttributionMetric } from '../attribution';
import { FeaturescopeError } from '../../shared/errors';
import type { CommandDeps } from '../handlers/registry';
import { checkReportOutPath, logWithReport } from '../handlers/report-out';
import { yieldToEventLoop, type JobContext } from '../jobs/context';
import type { LoadedModel } from '../model';
import type { EngineServices } from '../services';
import { AUDIT_DEFAULTS, auditRunCount, runAudit, type AuditOptions, type TokenPair } from './audit';
import { loadContrastSet, setAttribute, setOutcome } from './contrast-set';
import { auditSaeInfo, featureLabel } from './provenance';
import { renderAuditReport, type ReportFinding } from './report';

/** The built-in contrast sets (resources/contrast-sets), which audit.run can name by id. */
export const contrastSetsDir = (services: EngineServices) => join(services.paths.resources, 'contrast-sets');

export const tokenPairs = (model: LoadedModel, pairs: Array<{ a: string; b: string }>): TokenPair[] => pairs.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));

/**
 * The outcome contrast as a metric. A word that is several tokens for this model (" nurse" in a
 * small vocabulary) cannot be read as one next token yet: the audit then still measures which
 * units encode the attribute, tags none `bias`, and says why.
 */
function outcomeMetric(model: LoadedModel, ref: ReturnType<typeof setOutcome>, prompts: string[]): { metric: AttributionMetric | null; outcomeNote: string | null } {
  if (!ref) return { metric: null, outcomeNote: 'The set names no outcome contrast, so no unit can be shown to drive a biased prediction; nothing is tagged bias.' };
  const context = { tokenizer: model.tokenizer, vocabSize: model.config.vocabSize, prompts };
  try {
    return { metric: differenceMetricOf(ref.tokenA, ref.tokenB, ['contrastSet.outcome.tokenA', 'contrastSet.outcome.tokenB'], context), outcomeNote: null };
  } catch (e) {
    // An id outside the vocabulary is the file's error; words that cannot be read the same way after
    // every prompt leave the outcome unmeasured, and the audit says why.
    if (!(e instanceof FeaturescopeError) || /is outside/.test(e.message)) throw e;
    return { metric: null, outcomeNote: `The outcome (${ref.label}) was not measured: ${e.message}; nothing is tagged bias.` };
  }
}

export async function runAuditJob({ services, models, saes }: CommandDeps, input: AuditRunInput, ctx: JobContext): Promise<AuditRunResult> {
  const contrastDir = () => contrastSetsDir(services);
  const version = appVersion(services.paths.appRoot);
  if (input.outPath !== undefined) checkReportOutPath(input.outPath, { caller: ctx.caller, workspace: services.paths.workspace, force: input.force });
  const set = loadContrastSet(input.contrastSet, contrastDir());
  const model = await models.get(input.model);
  const catalog = services.catalog();
  const sae = input.sae === undefined ? undefined : saes.get(catalog, input.sae);
  const saeInfo = input.sae === undefined ? null : auditSaeInfo(catalog, input.sae);
  const pairs = tokenPairs(model, set.pairs);
  const outcomeRef = setOutcome(set);
  // Read after each pair's side a (attribution patches side b into it); outcome words may span tokens.
  const { metric, outcomeNote } = outcomeMetric(model, outcomeRef, set.pairs.map((p) => p.a));
  const attribute = setAttribute(set);
  const options: AuditOptions = {
    site: sae ? { kind: 'sae', sae } : { kind: 'neurons', ...(input.layers ? { layers: input.layers } : {}) },
    pooling: input.pooling,
    positions: input.positions,
    metric,
    topN: input.topN,
    alpha: input.alpha,
    minEffect: input.minEffect,
    permutations: input.permutations,
    seed: input.seed,
    attributionPairs: input.attributionPairs,
  };
  const method: AuditRunResult['method'] = {
    positions: input.positions,
    pooling: input.pooling,
    test: 'paired sign-flip permutation test of the mean difference, Benjamini–Hochberg over every unit',
    permutations: input.permutations,
    alpha: input.alpha,
    minEffect: input.minEffect,
    minShare: AUDIT_DEFAULTS.minShare,
    seed: input.seed,
    appVersion: version,
  };
  // Counts model runs: a prompt's forward, a pair's attribution, a pair's verifying patches.
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
  const contrastSet = { id: set.id, title: set.title, sideA: set.sideA, sideB: set.sideB, version: set.version, attribute };
  const outcome = result.outcome && outcomeRef ? { label: outcomeRef.label, ...result.outcome } : null;
  const comparedPairs = result.comparedPairs.map((i) => set.pairs[i]!);
  // The figures the report and the job's result both state, in one place.
  const summary = {
    sae: saeInfo,
    method,
    pairs: result.pairs,
    unitsTested: result.unitsTested,
    significantBeforeFloor: result.significantBeforeFloor,
    significant: result.significant,
    biasDrivers: result.biasDrivers,
    outcome,
    outcomeNote: outcome ? null : (outcomeNote ?? 'No pair lines up token by token, so the outcome was not measured; nothing is tagged bias.'),
  };
  const { logged: findings, reportPath, exportedTo } = logWithReport(
    catalog,
    () =>
      result.findings.map((f): ReportFinding => {
        const tag = input.sae !== undefined && f.unitKind === 'sae-feature' ? (f.role === 'bias' ? 'bias' : `${attribute}-sensitive`) : null;
        const label = input.sae !== undefined && f.unitKind === 'sae-feature' ? featureLabel(catalog, input.sae, f.index) : null;
        const experiment = logExperiment(catalog, {
          kind: 'audit',
          saeId: input.sae ?? null,
          // Everything the finding's evidence needs to be re-run by audit.replay; `positions` marks the method of #18.
          inputs: { kind: 'audit-finding', model: model.dir, sae: input.sae ?? null, hook: f.hook, index: f.index, pooling: input.pooling, positions: input.positions, contrastSet: set.id, contrastSetVersion: set.version, pairs: set.pairs.map((p) => ({ a: p.a, b: p.b })) },
          seed: input.seed,
          outputs: { ...f, label, tag, contrastSet: set.id, unitsTested: result.unitsTested, comparedPairs: result.comparedPairs.length, method, sae: saeInfo, outcome },
          appVersion: version,
        });
        if (tag !== null) addTag(catalog, input.sae!, f.index, tag);
        return { ...f, citeId: experiment.citeId, tagged: tag !== null, tag, label };
      }),
    (findings) => {
      const createdAt = Date.now();
      return {
        reportPath: join(services.paths.workspace, 'audits', `audit-${set.id}-${new Date(createdAt).toISOString().replace(/[:.]/g, '-')}.html`),
        html: renderAuditReport({
          title: `Bias audit: ${set.title || set.id}`,
          model: model.dir,
          contrastSet,
          ...summary,
          comparedPairs: comparedPairs.length,
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
    contrastSet,
    model: model.dir,
    ...summary,
    reportPath,
    exportedTo,
    comparedPairs: result.comparedPairs.length,
    findings: findings.map(({ valuesA: _a, valuesB: _b, ...f }) => ({ ...f, tagged: f.tagged ?? false, tag: f.tag ?? null, label: f.label ?? null })),
  };
}
