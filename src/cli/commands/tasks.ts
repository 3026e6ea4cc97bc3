// The task suite: featurescope tasks list, featurescope tasks eval.
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { JSON_FLAG } from '../args';
import { resolveModel } from '../host-calls';
import { handFlags, mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import type { TaskInfo, TaskScore } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';

const TASK_FLAGS = handFlags({
  model: { type: 'string', value: 'DIR|NAME', description: 'The model to score (default: the bundled model)' },
  task: { type: 'string', multiple: true, value: 'NAME|FILE.jsonl', description: 'A built-in task or a task file (repeatable; default: every built-in task)' },
});

/** A built-in task is a bare name; anything else is a file, relative to where the user stands. */
const taskRef = (t: string) => (/^[a-z0-9][a-z0-9-]*$/.test(t) ? t : resolve(t));
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function printList(tasks: TaskInfo[]): void {
  const w = Math.max(4, ...tasks.map((t) => t.name.length));
  for (const t of tasks) process.stdout.write(`${t.name.padEnd(w)}  v${t.version}  ${t.domain.padEnd(5)}  ${String(t.rows).padStart(4)} rows  ${t.title}\n`);
}

function printScores(model: string, scores: TaskScore[]): void {
  process.stdout.write(`${model}\n`);
  const w = Math.max(4, ...scores.map((s) => s.task.name.length));
  process.stdout.write(`${'task'.padEnd(w)}  ${'loss'.padStart(6)}  ${'acc'.padStart(6)}  ${'prompts'.padStart(7)}  ${'paired'.padStart(7)}\n`);
  for (const s of scores) {
    process.stdout.write(`${s.task.name.padEnd(w)}  ${s.loss.toFixed(3).padStart(6)}  ${pct(s.accuracy).padStart(6)}  ${pct(s.prompts.accuracy).padStart(7)}  ${pct(s.paired.accuracy).padStart(7)}\n`);
  }
  process.stdout.write('loss: two-way cross-entropy (nats) over {target, alternative} at the last position; acc: target logit above the alternative’s; chance is 0.693 and 50%\n');
}

export const taskCliCommands: Record<string, CliCommand> = {
  tasks: {
    summary: 'Binary next-token tasks: list the built-in ones, or score a model on them (two-way loss and accuracy)',
    usage: [
      'featurescope tasks list [--json]',
      'featurescope tasks eval [--model DIR|NAME] [--task NAME|FILE.jsonl]… [--json]',
      '',
      'A task file is JSON Lines: a header {"task": name, "version": n, "title"?, "domain"?: code|prose|other},',
      'then one row per line {"prompt", "target", "alternative", "pairedPrompt"}; the paired prompt differs',
      'only in what the task is about, so its answers are the row’s swapped. Each answer must be one token',
      'of the model right after its prompt; a row that is not is refused, naming its line.',
    ].join('\n'),
    positionals: true,
    flags: mergeFlags(TASK_FLAGS, JSON_FLAG),
    async run(values, host, positionals) {
      const [action, ...extra] = positionals;
      if (extra.length > 0 || (action !== 'list' && action !== 'eval')) {
        throw new FeaturescopeError('invalid_input', `Say what to do: featurescope tasks list|eval (got "${positionals.join(' ')}").`);
      }
      const h = await host();
      if (action === 'list') {
        const tasks = await callOrThrow(h, 'tasks.list', {});
        if (values.json) process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
        else printList(tasks);
        return 0;
      }
      const model = await resolveModel(h, values.model as string | undefined);
      const given = (values.task as string[] | undefined) ?? [];
      const r = await runJob(h, 'tasks.evaluate', { model, ...(given.length > 0 ? { tasks: given.map(taskRef) } : {}) }, progressToStderr());
      clearProgress();
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else printScores(r.model, r.scores);
      return 0;
    },
  },
};
