// Binary next-token tasks (the shape of Gao et al. 2025's task suite): each row is a prompt, the
// token that should come next (target) and the one a model that missed the point would pick
// (alternative), with a paired prompt that differs only in what the task is about, so its target
// and alternative are the row's swapped. Task loss is the two-way cross-entropy over {target,
// alternative} at the last position; accuracy is how often the target's logit is the higher.
import { z } from 'zod';
import { JobRef } from './common';
import { command, jobCommand } from './define';
import { Intervention } from './model';

export const TaskInfo = z.object({
  name: z.string(),
  version: z.number().int(),
  title: z.string(),
  domain: z.enum(['code', 'prose', 'other']),
  rows: z.number().int(),
  /** The file it was read from (a built-in task's file under resources/tasks/). */
  path: z.string(),
});

export const TaskScore = z.object({
  task: TaskInfo,
  /** Prompts scored: every row's prompt and its paired prompt. */
  examples: z.number().int(),
  /** Mean two-way cross-entropy (nats) over {target, alternative} at the last position. */
  loss: z.number(),
  /** Fraction of examples whose target logit beats the alternative's. */
  accuracy: z.number(),
  /** The same over the rows' prompts only, and over the paired prompts only. */
  prompts: z.object({ loss: z.number(), accuracy: z.number() }),
  paired: z.object({ loss: z.number(), accuracy: z.number() }),
});

export const TasksEvaluateInput = z
  .object({
    model: z.string().min(1).describe('Model folder'),
    /** Built-in task names (see tasks.list) or paths to task files (.jsonl); every built-in task when left out. */
    tasks: z.array(z.string().min(1)).min(1).max(100).optional(),
    sae: z.number().int().positive().optional().describe('The SAE whose features saeFeatures interventions name'),
    /** Applied in every forward (e.g. a circuit's ablations), as in model.run. */
    interventions: z.array(Intervention).max(4096).default([]),
  })
  .strict();

export const taskCommands = {
  'tasks.list': command({
    summary: 'The built-in binary next-token tasks (resources/tasks/): name, version, title, domain and row count',
    runsIn: 'engine',
    input: z.object({}).strict(),
    output: z.array(TaskInfo),
  }),
  'tasks.evaluate': jobCommand({
    summary: 'Score a model on binary next-token tasks: two-way cross-entropy and accuracy over {target, alternative} at the last position, on each prompt and its pair',
    input: TasksEvaluateInput,
    output: JobRef,
    result: z.object({ model: z.string(), scores: z.array(TaskScore) }),
  }),
};

export type TaskInfo = z.infer<typeof TaskInfo>;
export type TaskScore = z.infer<typeof TaskScore>;
export type TasksEvaluateInput = z.infer<typeof TasksEvaluateInput>;
