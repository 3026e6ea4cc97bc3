// Commands of the task suite: tasks.list (the built-in tasks under resources/tasks/) and
// tasks.evaluate (a job: each task's loss and accuracy on a model, optionally under interventions).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskScore } from '../../shared/contract/tasks';
import { FeaturescopeError } from '../../shared/errors';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { allowedCorpus } from '../handlers/workspace';
import type { EngineServices } from '../services';
import { saeInterventionHandler } from '../sae/intervene';
import { readTaskFile, type TaskFile, tokenizeTask } from './task-file';
import { scoreExamples, summarise } from './task-eval';

export const tasksDir = (services: EngineServices) => join(services.paths.resources, 'tasks');

function builtInFiles(services: EngineServices): string[] {
  const dir = tasksDir(services);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => join(dir, f));
}

/** A built-in task by name, or a task file a caller may read (a browser: inside a corpus folder). */
export function resolveTaskRef(services: EngineServices, ref: string, caller: Parameters<typeof allowedCorpus>[2], field = 'tasks'): TaskFile {
  if (/^[a-z0-9][a-z0-9-]*$/.test(ref)) {
    const builtIn = join(tasksDir(services), `${ref}.jsonl`);
    if (existsSync(builtIn)) return readTaskFile(builtIn);
    const known = builtInFiles(services).map((f) => f.slice(f.lastIndexOf('/') + 1, -'.jsonl'.length));
    throw new FeaturescopeError('not_found', `${field}: "${ref}" is not a built-in task (${known.join(', ') || 'none installed'}) and not a file path.`, field);
  }
  const { path } = allowedCorpus(services, { kind: 'jsonl', path: ref }, caller, field);
  return readTaskFile(path);
}

export function taskCommands({ services, models, saes }: CommandDeps): { calls: Pick<CallHandlers, 'tasks.list'>; jobs: Pick<JobHandlers, 'tasks.evaluate'> } {
  const resolveTask = (ref: string, caller: Parameters<typeof allowedCorpus>[2]): TaskFile => resolveTaskRef(services, ref, caller);

  return {
    calls: {
      'tasks.list': () => builtInFiles(services).map((f) => readTaskFile(f).info),
    },
    jobs: {
      'tasks.evaluate': async (input, ctx) => {
        // Every file is read and checked against the model's tokenizer before the first forward.
        const files = (input.tasks ?? builtInFiles(services)).map((ref) => resolveTask(ref, ctx.caller));
        if (files.length === 0) throw new FeaturescopeError('not_found', 'tasks: no built-in tasks are installed; give a task file.', 'tasks');
        const model = await models.get(input.model);
        const sae = input.sae === undefined ? undefined : saes.get(services.catalog(), input.sae);
        const run = { interventions: input.interventions, ...(sae ? { saeHandler: saeInterventionHandler(sae) } : {}) };
        const maxPositions = model.config.maxPositions;
        const tokenized = files.map((file) => {
          const t = tokenizeTask(file, model.tokenizer);
          if (maxPositions !== null) {
            const long = [...t.prompts, ...t.paired].findIndex((e) => e.tokens.length > maxPositions);
            if (long !== -1) {
              const row = file.rows[long % file.rows.length]!;
              throw new FeaturescopeError('bad_file', `${file.info.path}:${row.line}: a prompt is longer than the ${maxPositions} tokens this model reads.`, 'tasks');
            }
          }
          return t;
        });
        const total = tokenized.reduce((n, t) => n + t.prompts.length + t.paired.length, 0);
        const meter = ctx.meter('prompts', total);
        let before = 0;
        const scores: TaskScore[] = [];
        for (const [k, file] of files.entries()) {
          const { prompts, paired } = tokenized[k]!;
          const examples = [...prompts, ...paired];
          ctx.throwIfCancelled();
          const scored = scoreExamples(model, examples, {
            run,
            onBatch: (done) => {
              ctx.throwIfCancelled();
              meter.update(before + done, { message: `task ${k + 1} / ${files.length}: ${file.info.name}` });
            },
          });
          before += examples.length;
          scores.push({
            task: file.info,
            examples: examples.length,
            ...summarise(scored),
            prompts: summarise(scored.slice(0, prompts.length)),
            paired: summarise(scored.slice(prompts.length)),
          });
        }
        meter.update(total, { force: true });
        return { model: model.dir, scores };
      },
    },
  };
}
