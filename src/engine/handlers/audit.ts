import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addTag, getExperiment, logExperiment } from '../../catalog';
import { z } from 'zod';
import { ProbeTrainInput, type AuditRunInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { singleTokenId } from '../attribution';
import { auditRunCount, runAudit, unitEvidence, type AuditOptions, type TokenPair } from '../audit/audit';
import { loadContrastSet } from '../audit/contrast-set';
import { renderAuditReport, type ReportFinding } from '../audit/report';
import type { LoadedModel } from '../model';
import type { ModelCache } from '../session/model-cache';
import type { SaeCache } from '../session/sae-cache';
import { trainProbe, type LabelledPrompt } from '../probes';
import { yieldToEventLoop } from '../jobs/context';
import type { EngineServices } from '../services';
import type { CallHandlers, JobHandlers } from './registry';
import { checkReportOutPath, logWithReport } from './report-out';

/** Labelled prompts given inline or as a .jsonl file of {text, label} lines. */
function readExamples(examples: ProbeTrainInput['examples']): Array<{ text: string; label: 0 | 1 }> {
  if (typeof examples !== 'string') return examples;
  const path = resolve(examples);
  if (!existsSync(path)) throw new FeaturescopeError('not_found', `examples: no file ${path}`, 'examples');
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new FeaturescopeError('bad_file', `${path}:${n}: not a JSON line`, 'examples');
      }
      const r = row as { text?: unknown; label?: unknown };
      if (typeof r.text !== 'string' || r.text === '' || (r.label !== 0 && r.label !== 1)) {
        throw new FeaturescopeError('bad_file', `${path}:${n}: needs a non-empty "text" and a "label" of 0 or 1`, 'examples');
      }
      return { text: r.text, label: r.label };
    });
}

export function auditHandlers(services: EngineServices, models: ModelCache, saes: SaeCache): { calls: Pick<CallHandlers, 'audit.contrastSets' | 'probe.train' | 'probe.replay' | 'audit.replay'>; jobs: Pick<JobHandlers, 'audit.run'> } {
  const contrastDir = () => join(services.paths.resources, 'contrast-sets');
  const version = () => appVersion(services.paths.appRoot);

  const tokenPairs = (model: LoadedModel, pairs: Array<{ a: string; b: string }>): TokenPair[] => pairs.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));

  /** Trains the probe (no logging): the outputs probe.train logs and returns. */
  async function probeOutputs(input: ProbeTrainInput, examples: Array<{ text: string; label: 0 | 1 }>) {
    const model = await models.get(input.model);
    const sae = input.sae === undefined ? undefined : saes.get(services.catalog(), input.sae);
    const prompts: LabelledPrompt[] = examples.map((e) => ({ tokens: model.tokenizer.encode(e.text), label: e.label }));
    const result = trainProbe(model, prompts, { hook: input.hook, pooling: input.pooling, testFraction: input.testFraction, seed: input.seed, targetAccuracy: input.targetAccuracy, ...(sae ? { sae } : {}) });
    return { model, outputs: { prompts: prompts.length, width: result.width, path: result.steps, smallest: result.smallest } };
  }

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

      'probe.train': async (input) => {
        const examples = readExamples(input.examples);
        const { model, outputs } = await probeOutputs(input, examples);
        const catalog = services.catalog();
        const experiment = logExperiment(catalog, {
          kind: 'probe',
          saeId: input.sae ?? null,
          inputs: { ...input, model: model.dir, examples },
          seed: input.seed,
          outputs,
          appVersion: version(),
        });
        const tagged: number[] = [];
        if (input.sae !== undefined && outputs.smallest) {
          for (const f of outputs.smallest.features) {
            addTag(catalog, input.sae, f.index, `probe:${input.name}`);
            tagged.push(f.index);
          }
        }
        services.catalogChanged(tagged.length > 0 ? ['experiments', 'tags'] : ['experiments']);
        return { experiment, ...outputs, tagged };
      },

      'probe.replay': async ({ ref }) => {
        const logged = getExperiment(services.catalog(), ref);
        if (logged.kind !== 'probe') throw new FeaturescopeError('unsupported', `${logged.citeId} is a ${logged.kind} experiment, not a probe.`, 'ref');
        const input = ProbeTrainInput.safeParse(logged.inputs);
        const before = LoggedProbe.safeParse(logged.outputs);
        if (!input.success || !before.success || typeof input.data.examples === 'string') {
          throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs or outputs no longer parse as a probe with its prompts.`, 'ref');
        }
        const { outputs: now } = await probeOutputs(input.data, input.data.examples);
        return { replayOf: logged.citeId, ...compareProbes(before.data, now) };
      },

      'audit.replay': async ({ ref }) => {
        const logged = getExperiment(services.catalog(), ref);
        const inputs = logged.inputs as { kind?: string; model?: string; sae?: number | null; hook?: string; index?: number; pooling?: 'mean' | 'last'; pairs?: Array<{ a: string; b: string }> };
        if (logged.kind !== 'audit' || inputs.kind !== 'audit-finding' || !inputs.model || !inputs.hook || inputs.index === undefined || !inputs.pairs) {
          throw new FeaturescopeError('unsupported', `${logged.citeId} is not an audit finding; replay it from its own page.`, 'ref');
        }
        const model = await models.get(inputs.model);
        const sae = inputs.sae == null ? undefined : saes.get(services.catalog(), inputs.sae);
        const again = unitEvidence(model, tokenPairs(model, inputs.pairs), inputs.hook, inputs.index, sae, inputs.pooling ?? 'mean');
        const before = logged.outputs as { valuesA?: number[]; valuesB?: number[] };
        const close = (x: number[] | undefined, y: number[]) => x !== undefined && x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) <= 1e-5 * Math.max(1, Math.abs(v)));
        return { replayOf: logged.citeId, meanDiff: again.meanDiff, t: again.t, p: again.p, matches: close(before.valuesA, again.valuesA) && close(before.valuesB, again.valuesB) };
      },
    },
    jobs: {
      'audit.run': async (input: AuditRunInput, ctx) => {
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
      },
    },
  };
}

const LoggedProbe = z.object({
  path: z.array(z.object({ lambda: z.number(), features: z.array(z.number()), trainAccuracy: z.number(), testAccuracy: z.number() })),
  smallest: z.object({ features: z.array(z.object({ index: z.number(), coef: z.number() })) }).nullable(),
});

/** Step by step: the same units and accuracies; then the smallest set's coefficients. */
function compareProbes(logged: z.infer<typeof LoggedProbe>, now: z.infer<typeof LoggedProbe>) {
  let stepsDiffering = 0;
  for (let i = 0; i < Math.max(logged.path.length, now.path.length); i++) {
    const step = logged.path[i], again = now.path[i];
    const same = step !== undefined && again !== undefined && again.features.join() === step.features.join() && again.trainAccuracy === step.trainAccuracy && again.testAccuracy === step.testAccuracy;
    if (!same) stepsDiffering++;
  }
  const a = logged.smallest?.features ?? [];
  const b = now.smallest?.features ?? [];
  const scale = Math.max(1e-12, ...a.map((f) => Math.abs(f.coef)));
  const sameUnits = a.length === b.length && a.every((f, i) => b[i]!.index === f.index);
  const coefChange = sameUnits ? Math.max(0, ...a.map((f, i) => Math.abs(b[i]!.coef - f.coef) / scale)) : null;
  return { matches: stepsDiffering === 0 && coefChange !== null && coefChange < 1e-4, stepsDiffering, coefChange };
}
