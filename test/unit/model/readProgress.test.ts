// Issue #15: a big model's weight reads print bytes, rate and ETA (on the engine's stderr), at most
// every 2 s; small models print nothing.
import { describe, expect, it } from 'vitest';
import { ReadProgress } from '../../../src/engine/model/readProgress';

function meter(total: number): { lines: string[]; tick: (ms: number) => void; p: ReadProgress } {
  const lines: string[] = [];
  let t = 0;
  const p = new ReadProgress(total, (l) => lines.push(l), () => t);
  return { lines, tick: (ms) => (t += ms), p };
}

describe('ReadProgress', () => {
  it('reports bytes read, rate and ETA every 2 s for a 5.2 GB model', () => {
    const { lines, tick, p } = meter(5.2e9);
    p.begin();
    tick(1000);
    p.add(0.5e9, 'model.layers.0.mlp.up_proj.weight');
    expect(lines).toEqual([]); // within 2 s of the start
    tick(1000);
    p.add(0.5e9, 'model.layers.1.mlp.up_proj.weight');
    expect(lines).toEqual(['model weights: read 1.0 GB of 5.2 GB (500 MB/s, ETA 8s), at model.layers.1.mlp.up_proj.weight']);
    tick(500);
    p.add(0.1e9, 'x');
    expect(lines).toHaveLength(1);
    p.begin(); // the next forward of a streamed model reads from the start again
    tick(2000);
    p.add(2.6e9, 'model.layers.13.self_attn.q_proj.weight');
    expect(lines[1]).toBe('model weights: read 2.6 GB of 5.2 GB (1.3 GB/s, ETA 2s), at model.layers.13.self_attn.q_proj.weight');
  });

  it('is silent for a model under 1 GB', () => {
    const { lines, tick, p } = meter(0.9e9);
    p.begin();
    tick(5000);
    p.add(0.9e9, 'wte.weight');
    expect(lines).toEqual([]);
  });
});
