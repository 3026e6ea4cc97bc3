// What a masked node is replaced by. Mean ablation (the default): each node's mean activation
// over every position of the reference prompts — this slice takes the task's own prompts and
// paired prompts (a corpus of pretraining-like text is not an input yet). Zero ablation: 0.
import type { LoadedModel } from '../model';
import { readback } from '../readback';
import type { NodeSite } from './nodes';
import type { TaskBatch } from './task-batches';

export type Ablation = 'mean' | 'zero';

/** Flat [nodes] ablation values, in node order. */
export function ablationValues(model: LoadedModel, sites: NodeSite[], batches: TaskBatch[], ablation: Ablation): Float32Array {
  const total = sites.reduce((n, s) => n + s.width, 0);
  const out = new Float32Array(total);
  if (ablation === 'zero') return out;
  let positions = 0;
  const sums = sites.map((s) => new Float64Array(s.width));
  for (const b of batches) {
    const { logits, captured } = model.run(b.tokens, { capture: sites.map((s) => s.hook), lastPositionOnly: true });
    logits.dispose();
    try {
      sites.forEach((site, i) => {
        const act = captured.get(site.hook)!;
        const sum = readback(() => act.reshape([-1, site.width]).sum(0));
        const into = sums[i]!;
        for (let j = 0; j < site.width; j++) into[j]! += sum[j]!;
      });
    } finally {
      for (const t of captured.values()) t.dispose();
    }
    positions += b.tokens.length * (b.tokens[0]?.length ?? 0);
  }
  sites.forEach((site, i) => sums[i]!.forEach((v, j) => (out[site.offset + j] = v / positions)));
  return out;
}
