// Circuit pruning (issue #13, first slice): the smallest set of MLP neurons with which a model
// still does a binary next-token task, every other neuron mean-ablated (or zero-ablated). A
// learned mask (hard step forward, sigmoid derivative backward; task loss + λ · active nodes;
// AdamW), then a bisection on the score ranking to the smallest circuit whose task loss is ≤ the
// target. Logged as an experiment of kind 'circuit'; experiment.replay prunes again from the log.
import { z } from 'zod';
import { JobRef } from './common';
import { command, jobCommand } from './define';
import { ExperimentRef } from './records';
import { TaskInfo } from './tasks';

export const CircuitPruneInput = z
  .object({
    model: z.string().min(1).describe('Model folder'),
    /** A built-in task name (see tasks.list) or a task file (.jsonl). */
    task: z.string().min(1),
    /** The circuit's task loss (two-way cross-entropy, nats) must be at most this. */
    targetLoss: z.number().positive().max(10).default(0.15),
    /** Penalty per active node in the mask's objective. */
    lambda: z.number().nonnegative().max(10).default(0.001),
    steps: z.number().int().min(1).max(20_000).default(200),
    learningRate: z.number().positive().max(10).default(0.05),
    weightDecay: z.number().nonnegative().max(1).default(0.01),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** What a node outside the circuit is replaced by: its mean over the task's prompts, or 0. */
    ablation: z.enum(['mean', 'zero']).default('mean'),
    /** Random circuits of the same size to compare with. */
    randomControls: z.number().int().min(0).max(100).default(5),
  })
  .strict();

const Score = z.object({
  /** Two-way cross-entropy over {target, alternative} at the last position (nats). */
  loss: z.number(),
  accuracy: z.number(),
  /** Mean KL(full model ‖ this model) of the next-token distribution, over the task's prompts. */
  kl: z.number(),
  /** Fraction of prompts where this model's top token is the full model's. */
  exactMatch: z.number(),
});

export const CircuitPruneResult = z.object({
  experiment: z.object({ id: z.number().int(), citeId: z.string() }),
  model: z.string(),
  task: TaskInfo,
  /** The kind of node masked: MLP neurons (blocks.L.mlp.hook_post) of every layer. */
  nodeKind: z.literal('mlp-neuron'),
  ablation: z.enum(['mean', 'zero']),
  /** Where the ablation means come from: the task's prompts and paired prompts; null for zero ablation. */
  meansOver: z.literal('task-prompts').nullable(),
  examples: z.number().int(),
  full: Score,
  training: z.array(z.object({ step: z.number().int(), taskLoss: z.number(), active: z.number() })),
  trainedActive: z.number().int(),
  bisection: z.array(z.object({ k: z.number().int(), loss: z.number() })),
  reachedTarget: z.boolean(),
  circuit: Score.extend({
    nodes: z.array(z.object({ hook: z.string(), layer: z.number().int(), index: z.number().int(), score: z.number() })),
    /** Edges: pairs of kept neurons in different layers (what the residual stream can connect). */
    size: z.object({ nodes: z.number().int(), edges: z.number().int() }),
    maskable: z.number().int(),
    /** Every node of the model: MLP neurons, attention q/k/v channels, residual channels read and written per sublayer. */
    allNodes: z.number().int(),
    relativeSparsity: z.number(),
    fullSparsity: z.number(),
  }),
  verification: z.object({
    sufficient: z.boolean(),
    necessity: z.object({ loss: z.number(), accuracy: z.number(), necessary: z.boolean() }),
    randomControl: z.object({ draws: z.number().int(), meanLoss: z.number(), bestLoss: z.number(), meanAccuracy: z.number(), matches: z.boolean() }),
    /** Sufficient, and no random circuit of the same size reaches the target. */
    faithful: z.boolean(),
  }),
});

export const CircuitReplayOutput = z.object({
  replayOf: z.string(),
  matches: z.boolean(),
  /** The logged circuit's nodes and the replayed one's, as hook#index. */
  logged: z.array(z.string()),
  now: z.array(z.string()),
  /** |circuit loss now − logged|. */
  lossDifference: z.number(),
});

export const circuitCommands = {
  'circuit.prune': jobCommand({
    summary: 'Prune a model to the smallest circuit of MLP neurons that still does a task (task loss ≤ target), verified against its controls; logged as an experiment',
    input: CircuitPruneInput,
    output: JobRef,
    result: CircuitPruneResult,
  }),
  'circuit.replay': command({
    summary: 'Prune again from a logged circuit experiment (same inputs and seed) and say whether the same circuit comes out',
    runsIn: 'engine',
    input: z.object({ ref: ExperimentRef }).strict(),
    output: CircuitReplayOutput,
  }),
};

export type CircuitPruneInput = z.infer<typeof CircuitPruneInput>;
export type CircuitPruneResult = z.infer<typeof CircuitPruneResult>;
export type CircuitReplayOutput = z.infer<typeof CircuitReplayOutput>;
