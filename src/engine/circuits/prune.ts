// Pruning a model to the smallest circuit that still does a task (issue #13, first slice: nodes
// are MLP neurons). Train a mask (train-mask.ts), rank nodes by score, bisect to the smallest
// circuit whose task loss is ≤ the target (bisect.ts), then verify it:
//   sufficiency  the circuit alone (every other node ablated) reaches the target loss
//   necessity    the full model with only the circuit's nodes ablated: accuracy should fall toward
//                chance (necessary = the drop covers at least half of the way from full to 50%)
//   random       circuits of the same size drawn at random (seeded): if one of them also reaches
//                the target, the pruned circuit says nothing a random one would not
// faithful = sufficient and no random control reaches the target. The shuffled-weights control
// of the issue is not done in this slice.
import type { LoadedModel } from '../model';
import { Rng } from '../random';
import type { TokenizedExample } from '../tasks/task-file';
import { type Ablation, ablationValues } from './ablation-values';
import { type BisectionStep, rankByScore, smallestUnderTarget } from './bisect';
import { type CircuitScore, CircuitScorer } from './circuit-metrics';
import { allNodeCount, edgeCount, maskableCount, mlpNeuronSites, NODE_KIND, nodeAt } from './nodes';
import { taskBatches } from './task-batches';
import { type MaskTrainingResult, trainMask } from './train-mask';

export interface PruneOptions {
  targetLoss: number;
  lambda: number;
  steps: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
  ablation: Ablation;
  randomControls: number;
}

export const PRUNE_DEFAULTS = { targetLoss: 0.15, lambda: 0.001, steps: 200, learningRate: 0.05, weightDecay: 0.01, seed: 0, ablation: 'mean', randomControls: 5 } as const;

export interface PruneResult {
  nodeKind: typeof NODE_KIND;
  ablation: Ablation;
  meansOver: 'task-prompts' | null;
  examples: number;
  full: CircuitScore;
  training: MaskTrainingResult['curve'];
  /** Nodes with a positive score at the end of training (the trained mask's own circuit). */
  trainedActive: number;
  bisection: BisectionStep[];
  /** False when neither the whole model nor the trained mask reaches the target (the circuit is then the trained mask's). */
  reachedTarget: boolean;
  circuit: CircuitScore & {
    nodes: Array<{ hook: string; layer: number; index: number; score: number }>;
    size: { nodes: number; edges: number };
    maskable: number;
    allNodes: number;
    relativeSparsity: number;
    fullSparsity: number;
  };
  verification: {
    sufficient: boolean;
    necessity: { loss: number; accuracy: number; necessary: boolean };
    randomControl: { draws: number; meanLoss: number; bestLoss: number; meanAccuracy: number; matches: boolean };
    faithful: boolean;
  };
}

export async function prune(model: LoadedModel, examples: TokenizedExample[], opts: PruneOptions, onStep: (step: number) => Promise<void> | void = () => {}): Promise<PruneResult> {
  const sites = mlpNeuronSites(model.config);
  const n = maskableCount(sites);
  const batches = taskBatches(examples);
  const values = ablationValues(model, sites, batches, opts.ablation);
  const scorer = new CircuitScorer(model, sites, batches, values);
  try {
    const trained = await trainMask(model, sites, batches, values, opts, onStep);
    const order = rankByScore(trained.scores);
    const keepTop = (k: number) => {
      const keep = new Float32Array(n);
      for (const i of order.slice(0, k)) keep[i] = 1;
      return keep;
    };
    const trainedActive = trained.scores.reduce((c, s) => c + (s > 0 ? 1 : 0), 0);
    const { k, steps } = smallestUnderTarget([n, trainedActive], opts.targetLoss, (kk) => scorer.score(keepTop(kk)).loss);
    // Out of reach: the trained mask's own circuit, flagged by reachedTarget = false.
    const size = k ?? trainedActive;
    const kept = order.slice(0, size).sort((a, b) => a - b);
    const keep = keepTop(size);
    const alone = scorer.score(keep);
    const without = scorer.score(keep.map((v) => 1 - v));
    const rng = Rng.fromSeed(opts.seed ^ 0x5eed);
    const controls = Array.from({ length: opts.randomControls }, () => scorer.score(randomKeep(n, size, rng)));
    const sufficient = alone.loss <= opts.targetLoss;
    const matches = controls.some((c) => c.loss <= opts.targetLoss);
    const all = allNodeCount(model.config);
    return {
      nodeKind: NODE_KIND,
      ablation: opts.ablation,
      meansOver: opts.ablation === 'mean' ? 'task-prompts' : null,
      examples: examples.length,
      full: scorer.full,
      training: trained.curve,
      trainedActive,
      bisection: steps,
      reachedTarget: k !== null,
      circuit: {
        ...alone,
        nodes: kept.map((i) => ({ ...nodeAt(sites, i), score: trained.scores[i]! })),
        size: { nodes: size, edges: edgeCount(sites, kept) },
        maskable: n,
        allNodes: all,
        relativeSparsity: size / n,
        fullSparsity: size / all,
      },
      verification: {
        sufficient,
        necessity: { loss: without.loss, accuracy: without.accuracy, necessary: without.accuracy <= (scorer.full.accuracy + 0.5) / 2 },
        randomControl: {
          draws: controls.length,
          meanLoss: mean(controls.map((c) => c.loss)),
          bestLoss: Math.min(...controls.map((c) => c.loss)),
          meanAccuracy: mean(controls.map((c) => c.accuracy)),
          matches,
        },
        faithful: sufficient && !matches,
      },
    };
  } finally {
    scorer.dispose();
  }
}

/** `size` distinct nodes of `n`, uniformly (a partial Fisher–Yates shuffle). */
function randomKeep(n: number, size: number, rng: Rng): Float32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.below(n - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const keep = new Float32Array(n);
  for (const i of idx.slice(0, size)) keep[i] = 1;
  return keep;
}

const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
