// Commands of models and prompt runs: model.list, model.open, model.run, experiment.run, and the
// replay of ablation and steering experiments.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { logExperiment, rememberedModelPaths } from '../../catalog';
import { sameAsLatest } from './same-run';
import type { ModelInfo, ModelRunInput, RunInput } from '../../shared/contract';
import { appVersion } from '../../node/versions';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps } from '../handlers/registry';
import { BaselineCache } from './baseline-cache';
import { compareWithLog, distributionShift, loggedRunInput, type RunComparison } from './compare-runs';
import { planModelFolder } from '../model';
import { realFolder } from './model-cache';
import { describeModel } from './model-info';
import { rememberModelOf } from './remember-model';
import { runPrompt, type PromptRun } from './run-prompt';
import { checkRunFiles, type RunFileTargets } from './run-files';

/** The bundled model the project trains itself: the default wherever no model is named. */
export const DEFAULT_BUNDLED_MODEL = 'featurescope-tiny';

type SessionCalls = Pick<CallHandlers, 'model.list' | 'model.open' | 'model.plan' | 'model.run' | 'experiment.run'>;

/** Models live in folders; the workspace remembers which ones were opened (catalog `models`). */
export function sessionCommands({ services, models, saes }: CommandDeps): { calls: SessionCalls; replay: Replayers['ablation'] } {
  const bundledDirs = (): string[] => {
    const root = services.paths.bundledModels;
    if (!existsSync(root)) return [];
    // The default model (what --model and Get started fall back to) comes first, the rest by name.
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'config.json')))
      .map((d) => d.name)
      .sort((a, b) => Number(b === DEFAULT_BUNDLED_MODEL) - Number(a === DEFAULT_BUNDLED_MODEL) || a.localeCompare(b))
      .map((name) => realFolder(join(root, name)));
  };

  /** Folders opened before; none when the catalog cannot be read (a read-only or missing workspace still lists the bundled models). */
  const rememberedDirs = (): string[] => {
    let catalog;
    try {
      catalog = services.catalogForReading();
    } catch {
      return [];
    }
    return rememberedModelPaths(catalog);
  };

  /** `bundled` is the list of bundled folders, read once by the caller rather than once per model. */
  async function info(dir: string, bundled: string[] = bundledDirs()): Promise<ModelInfo> {
    const model = await models.get(dir);
    return describeModel(model, bundled.includes(model.dir));
  }

  const baselines = new BaselineCache();
  /** `reuseBaseline`: a run without interventions may come from the baseline cache (not for replays). */
  async function run(input: RunInput, withInterventions: boolean, reuseBaseline = false, files: RunFileTargets = {}): Promise<PromptRun> {
    const model = await models.get(input.model, { allowNonFinite: input.allowNonFinite === true });
    const sae = input.sae === undefined ? undefined : saes.get(services.catalog(), input.sae);
    if (!withInterventions && reuseBaseline) return baselines.get(model, sae, input, () => runPrompt(model, input, [], sae));
    return runPrompt(model, input, withInterventions ? input.interventions : [], sae, files);
  }

  /** Baseline and intervened runs of the same input, compared. */
  async function compare(input: RunInput, reuseBaseline = false): Promise<RunComparison> {
    const baseline = await run(input, false, reuseBaseline);
    const intervened = await run(input, true);
    return { baseline: baseline.output, intervened: intervened.output, ...distributionShift(baseline, intervened) };
  }

  return {
    calls: {
      'model.list': async () => {
        const bundled = bundledDirs();
        const dirs = [...new Set([...bundled, ...rememberedDirs()])];
        const out: ModelInfo[] = [];
        // A remembered folder that was moved or deleted since is left out, not an error for the whole list.
        for (const dir of dirs) if (existsSync(dir)) out.push(await info(dir, bundled));
        return out;
      },

      'model.open': async ({ path }) => {
        const model = await models.get(path);
        rememberModelOf(services, model);
        return info(model.dir);
      },

      // Headers only, so a model too big to load still gets its plan (doctor --model).
      'model.plan': ({ path }) => planModelFolder(realFolder(path)),

      'model.run': async (input: ModelRunInput, caller) => {
        // Checked before the run: a browser writes only into the workspace, nothing is replaced unasked.
        const { logits, dumpHooks, force, ...runInput } = input;
        const files = checkRunFiles({ logits, dumpHooks, force }, caller, services.paths.workspace);
        return (await run(runInput, true, false, files)).output;
      },

      'experiment.run': async (input) => {
        const result = await compare(input, true);
        const steering = input.interventions.some((iv) => iv.kind === 'add' || iv.kind === 'clamp');
        const kind = steering ? 'steering' : 'ablation';
        const catalog = services.catalog();
        const logged = sameAsLatest(catalog, kind, input.sae ?? null, input);
        if (logged) return { experiment: logged, ...result };
        const experiment = logExperiment(catalog, {
          kind,
          saeId: input.sae ?? null,
          inputs: input,
          seed: input.generate?.seed ?? null,
          outputs: result,
          appVersion: appVersion(services.paths.appRoot),
        });
        services.catalogChanged(['experiments']);
        return { experiment, ...result };
      },
    },

    replay: async (logged) => {
      const now = await compare(loggedRunInput(logged));
      return { experiment: { id: logged.id, citeId: logged.citeId }, ...now, replayOf: logged.citeId, ...compareWithLog(logged, now) };
    },
  };
}
