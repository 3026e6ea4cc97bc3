// The nodes a circuit is made of. This first slice masks MLP neurons only: every neuron of every
// layer, at blocks.L.mlp.hook_post. Residual channels and attention q/k/v channels (the other node
// kinds of Gao et al. 2025) are not maskable yet, but they count in the model's node total so that
// "full sparsity" means what the paper means: kept nodes / every node of the model.
import type { ModelConfig } from '../model/config';

export interface NodeSite {
  layer: number;
  hook: string;
  width: number;
  /** Index of this site's first node in the flat list of maskable nodes. */
  offset: number;
}

export interface NodeRef {
  hook: string;
  layer: number;
  index: number;
}

export const NODE_KIND = 'mlp-neuron';

export function mlpNeuronSites(config: ModelConfig): NodeSite[] {
  return Array.from({ length: config.nLayers }, (_, layer) => ({ layer, hook: `blocks.${layer}.mlp.hook_post`, width: config.dMlp, offset: layer * config.dMlp }));
}

export const maskableCount = (sites: NodeSite[]): number => sites.reduce((n, s) => n + s.width, 0);

/**
 * Every node of the model in Gao et al.'s sense: per layer, the MLP neurons, the attention q, k
 * and v channels, and the residual channels read and written by each of the two sublayers.
 */
export function allNodeCount(config: ModelConfig): number {
  const attention = config.nHeads * config.headDim + 2 * config.nKvHeads * config.headDim;
  return config.nLayers * (config.dMlp + attention + 4 * config.dModel);
}

export function nodeAt(sites: NodeSite[], flat: number): NodeRef {
  const site = sites.find((s) => flat >= s.offset && flat < s.offset + s.width);
  if (site === undefined) throw new RangeError(`node ${flat} is outside the ${maskableCount(sites)} maskable nodes`);
  return { hook: site.hook, layer: site.layer, index: flat - site.offset };
}

/**
 * Edges of a circuit of MLP neurons: pairs of kept neurons in different layers. Through the
 * residual stream every earlier neuron can reach every later one, so this counts the edges a
 * neuron-only circuit may use (an upper bound); weight-level edges need residual-channel nodes.
 */
export function edgeCount(sites: NodeSite[], kept: number[]): number {
  const perLayer = new Map<number, number>();
  for (const flat of kept) {
    const layer = nodeAt(sites, flat).layer;
    perLayer.set(layer, (perLayer.get(layer) ?? 0) + 1);
  }
  const counts = [...perLayer.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  let edges = 0;
  let before = 0;
  for (const n of counts) {
    edges += before * n;
    before += n;
  }
  return edges;
}
