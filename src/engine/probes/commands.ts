// Commands of sparse probes: probe.train (logged; chosen SAE features tagged probe:<name>) and the
// replay of a logged probe on its logged prompts and seed.
import { addTag, logExperiment } from '../../catalog';
import { ProbeTrainInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps } from '../handlers/registry';
import { readExamples, type LabelledText } from './examples-file';
import { compareProbes, LoggedProbe } from './logged-probe';
import { trainProbe, type LabelledPrompt } from './probe';

export function probeCommands({ services, models, saes }: CommandDeps): { calls: Pick<CallHandlers, 'probe.train'>; replay: Replayers['probe'] } {
  /** Trains the probe (no logging): the outputs probe.train logs and returns. */
  async function probeOutputs(input: ProbeTrainInput, examples: LabelledText[]) {
    const model = await models.get(input.model);
    const sae = input.sae === undefined ? undefined : saes.get(services.catalog(), input.sae);
    const prompts: LabelledPrompt[] = examples.map((e) => ({ tokens: model.tokenizer.encode(e.text), label: e.label }));
    const result = trainProbe(model, prompts, { hook: input.hook, pooling: input.pooling, testFraction: input.testFraction, seed: input.seed, targetAccuracy: input.targetAccuracy, ...(sae ? { sae } : {}) });
    return { model, outputs: { prompts: prompts.length, width: result.width, path: result.steps, smallest: result.smallest } };
  }

  return {
    calls: {
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
          appVersion: appVersion(services.paths.appRoot),
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
    },

    replay: async (logged) => {
      const input = ProbeTrainInput.safeParse(logged.inputs);
      const before = LoggedProbe.safeParse(logged.outputs);
      if (!input.success || !before.success || typeof input.data.examples === 'string') {
        throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs or outputs no longer parse as a probe with its prompts.`, 'ref');
      }
      const { outputs: now } = await probeOutputs(input.data, input.data.examples);
      return { replayOf: logged.citeId, ...compareProbes(before.data, now) };
    },
  };
}
