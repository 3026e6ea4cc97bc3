// Commands of circuit pruning: circuit.prune (a job; the result is logged as a 'circuit'
// experiment in one insert at the end, so a run killed mid-way leaves nothing in the catalog) and
// the replay of a logged run from its inputs and seed.
import { getExperiment, logExperiment } from '../../catalog';
import { CircuitPruneInput, type CircuitReplayOutput } from '../../shared/contract/circuits';
import type { CallerKind } from '../../shared/engine-protocol';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { yieldToEventLoop } from '../jobs/context';
import { resolveTaskRef } from '../tasks/commands';
import { tokenizeTask } from '../tasks/task-file';
import { prune, type PruneResult } from './prune';

const nodeNames = (r: Pick<PruneResult, 'circuit'>) => r.circuit.nodes.map((n) => `${n.hook}#${n.index}`);

export function circuitCommands({ services, models }: CommandDeps): { calls: Pick<CallHandlers, 'circuit.replay'>; jobs: Pick<JobHandlers, 'circuit.prune'>; replay: Replayers['circuit'] } {
  /** Prunes (no logging); onStep sees each training step. */
  async function pruneOutputs(input: CircuitPruneInput, caller: CallerKind, onStep: (step: number) => Promise<void> | void = () => {}) {
    const file = resolveTaskRef(services, input.task, caller, 'task');
    const model = await models.get(input.model);
    const { prompts, paired } = tokenizeTask(file, model.tokenizer);
    const examples = [...prompts, ...paired];
    const max = model.config.maxPositions;
    const long = max === null ? -1 : examples.findIndex((e) => e.tokens.length > max);
    if (long !== -1) throw new FeaturescopeError('bad_file', `${file.info.path}:${file.rows[long % file.rows.length]!.line}: a prompt is longer than the ${max} tokens this model reads.`, 'task');
    const result = await prune(model, examples, input, onStep);
    return { model, file, result };
  }

  async function replay(logged: Parameters<Replayers['circuit']>[0]): Promise<CircuitReplayOutput & { note: string }> {
    const input = CircuitPruneInput.safeParse(logged.inputs);
    const before = logged.outputs as Partial<PruneResult>;
    if (!input.success || !Array.isArray(before.circuit?.nodes)) {
      throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs or outputs no longer parse as a circuit pruning run.`, 'ref');
    }
    const { result } = await pruneOutputs(input.data, 'cli');
    const was = nodeNames(before as PruneResult);
    const now = nodeNames(result);
    const lossDifference = Math.abs(result.circuit.loss - (before.circuit.loss ?? Number.NaN));
    const same = was.length === now.length && was.every((n, i) => n === now[i]);
    const matches = same && lossDifference < 1e-4;
    const note = `Pruned again: ${now.length} node(s) ${same ? 'the same as logged' : `where ${was.length} were logged (${now.filter((n) => !was.includes(n)).length} new)`}, circuit loss ${lossDifference < 1e-4 ? 'unchanged' : `changed by ${lossDifference.toPrecision(2)}`}`;
    return { replayOf: logged.citeId, matches, logged: was, now, lossDifference, note };
  }

  return {
    jobs: {
      'circuit.prune': async (input, ctx) => {
        const meter = ctx.meter('steps', input.steps);
        const { model, file, result } = await pruneOutputs(input, ctx.caller, async (step) => {
          meter.update(step, { message: `training the mask on ${input.task}` });
          await yieldToEventLoop();
          ctx.throwIfCancelled();
        });
        ctx.throwIfCancelled();
        const inputs = { ...input, model: model.dir, task: file.info.path };
        const experiment = logExperiment(services.catalog(), { kind: 'circuit', saeId: null, inputs, seed: input.seed, outputs: { ...result }, appVersion: appVersion(services.paths.appRoot) });
        ctx.catalogChanged(['experiments']);
        meter.update(input.steps, { force: true });
        return { experiment, model: model.dir, task: file.info, ...result };
      },
    },
    calls: {
      'circuit.replay': async ({ ref }) => {
        const logged = getExperiment(services.catalog(), ref);
        if (logged.kind !== 'circuit') throw new FeaturescopeError('unsupported', `${logged.citeId} is a ${logged.kind} experiment, not a circuit; experiment.replay replays any kind.`, 'ref');
        const { note: _note, ...out } = await replay(logged);
        return out;
      },
    },
    replay,
  };
}
