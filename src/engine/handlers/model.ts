import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getExperiment, logExperiment } from '../../catalog';
import { RunInput, type ExperimentRunOutput, type ModelInfo, type RunOutput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { ModelCache, realFolder } from '../session/model-cache';
import { describeModel } from '../session/model-info';
import { runPrompt, type PromptRun } from '../session/run-prompt';
import type { SaeCache } from '../session/sae-cache';
import type { EngineServices } from '../services';
import type { CallHandlers } from './registry';

type ModelHandlers = Pick<CallHandlers, 'model.list' | 'model.open' | 'model.run' | 'experiment.run' | 'experiment.replay'>;

/** Models live in folders; the workspace remembers which ones were opened (catalog `models`). */
export function modelHandlers(services: EngineServices, cache: ModelCache, saes: SaeCache): ModelHandlers {
  const bundledDirs = (): string[] => {
    const root = services.paths.bundledModels;
    if (!existsSync(root)) return [];
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'config.json')))
      .map((d) => realFolder(join(root, d.name)));
  };

  /** Folders opened before; none when the catalog cannot be read (a read-only or missing workspace still lists the bundled models). */
  const rememberedDirs = (): string[] => {
    let catalog;
    try {
      catalog = services.catalogForReading();
    } catch {
      return [];
    }
    return (catalog.statement('SELECT DISTINCT path FROM models ORDER BY id').all() as Array<{ path: string }>).map((r) => r.path);
  };

  /** `bundled` is the list of bundled folders, read once by the caller rather than once per model. */
  async function info(dir: string, bundled: string[] = bundledDirs()): Promise<ModelInfo> {
    const model = await cache.get(dir);
    return describeModel(model, bundled.includes(model.dir));
  }

  async function run(input: RunInput, withInterventions: boolean): Promise<PromptRun> {
    const model = await cache.get(input.model);
    const sae = input.sae === undefined ? undefined : saes.get(services.catalog(), input.sae);
    return runPrompt(model, input, withInterventions ? input.interventions : [], sae);
  }

  /** Baseline and intervened runs of the same input, compared. */
  async function compare(input: RunInput): Promise<Omit<ExperimentRunOutput, 'experiment'>> {
    const baseline = await run(input, false);
    const intervened = await run(input, true);
    return { baseline: baseline.output, intervened: intervened.output, ...distributionShift(baseline, intervened) };
  }

  return {
    'model.list': async () => {
      const bundled = bundledDirs();
      const dirs = [...new Set([...bundled, ...rememberedDirs()])];
      const out: ModelInfo[] = [];
      // A remembered folder that was moved or deleted since is left out, not an error for the whole list.
      for (const dir of dirs) if (existsSync(dir)) out.push(await info(dir, bundled));
      return out;
    },

    'model.open': async ({ path }) => {
      const model = await cache.get(path);
      const catalog = services.catalog();
      if (!catalog.statement('SELECT id FROM models WHERE path = ?').get(model.dir)) {
        catalog
          .statement('INSERT INTO models (name, path, architecture, config, added_at) VALUES (?, ?, ?, ?, ?)')
          .run(describeModel(model, false).name, model.dir, model.config.modelType, JSON.stringify(model.config), Date.now());
        services.catalogChanged(['models']);
      }
      return info(model.dir);
    },

    'model.run': async (input) => (await run(input, true)).output,

    'experiment.run': async (input) => {
      const result = await compare(input);
      const steering = input.interventions.some((iv) => iv.kind === 'add' || iv.kind === 'clamp');
      const experiment = logExperiment(services.catalog(), {
        kind: steering ? 'steering' : 'ablation',
        saeId: input.sae ?? null,
        inputs: input,
        seed: input.generate?.seed ?? null,
        outputs: result,
        appVersion: appVersion(services.paths.appRoot),
      });
      services.catalogChanged(['experiments']);
      return { experiment, ...result };
    },

    'experiment.replay': async ({ ref }) => {
      const logged = getExperiment(services.catalog(), ref);
      if (logged.kind !== 'ablation' && logged.kind !== 'steering') {
        throw new FeaturescopeError('unsupported', `${logged.citeId} is a ${logged.kind} experiment; replay it from its own page.`, 'ref');
      }
      const parsed = RunInput.safeParse(logged.inputs);
      if (!parsed.success) throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs no longer parse (${parsed.error.issues[0]?.message}).`, 'ref');
      const result = await compare(parsed.data);
      const before = logged.outputs as unknown as Omit<ExperimentRunOutput, 'experiment'>;
      return {
        experiment: { id: logged.id, citeId: logged.citeId },
        ...result,
        replayOf: logged.citeId,
        matches: sameRun(before.baseline, result.baseline) && sameRun(before.intervened, result.intervened),
      };
    },
  };
}

/** KL(baseline ‖ intervened) over the whole vocabulary, and the tokens whose probability moved most. */
function distributionShift(baseline: PromptRun, intervened: PromptRun): Pick<ExperimentRunOutput, 'kl' | 'changes'> {
  let kl = 0;
  for (let i = 0; i < baseline.logProbs.length; i++) {
    const lp = baseline.logProbs[i]!;
    if (lp > -Infinity) kl += Math.exp(lp) * (lp - intervened.logProbs[i]!);
  }
  const text = new Map([...baseline.output.next, ...intervened.output.next].map((t) => [t.id, t.text]));
  const changes = [...text.entries()]
    .map(([id, t]) => ({ id, text: t, before: Math.exp(baseline.logProbs[id]!), after: Math.exp(intervened.logProbs[id]!) }))
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before))
    .slice(0, 10);
  return { kl: Math.max(0, kl), changes };
}

/** Same tokens, same top predictions (to float noise), same continuation and probe. */
function sameRun(a: RunOutput | undefined, b: RunOutput): boolean {
  if (!a) return false;
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(x), Math.abs(y));
  return (
    a.tokens.length === b.tokens.length &&
    a.tokens.every((t, i) => t.id === b.tokens[i]!.id) &&
    a.next.length === b.next.length &&
    a.next.every((t, i) => t.id === b.next[i]!.id && close(t.prob, b.next[i]!.prob)) &&
    (a.continuation?.tokens.map((t) => t.id).join(',') ?? '') === (b.continuation?.tokens.map((t) => t.id).join(',') ?? '') &&
    (a.probe?.values ?? []).every((v, i) => close(v, b.probe!.values[i]!))
  );
}
