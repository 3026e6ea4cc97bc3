// config.json against the weight files' headers, before any tensor or per-layer array is made.
//
// The safetensors headers say what the model really is (they are read and checked on open); a
// config.json that disagrees with them is refused here naming the config field, its value and the
// tensor that contradicts it, instead of failing later on "tensor h.5.ln_1.weight is missing".
// The complete shape check of every tensor still runs when the model is built.

import { FeaturescopeError } from '../../shared/errors';
import type { WeightStore } from '../formats/sharded';
import type { ModelConfig } from './config';

const CONFIG_FILE = 'config.json';

interface Claim {
  /** The config.json field that sets this dimension, and its value. */
  field: string;
  value: number;
  /** The dimension it implies for `tensor` along `axis`. */
  needs: number;
  tensor: string;
  axis: number;
}

/** Throws bad_file naming the first config.json field the weights contradict. */
export function checkConfigAgainstWeights(config: ModelConfig, store: WeightStore): void {
  const gpt2 = config.family === 'gpt2';
  const resolve = (name: string): string | null => {
    if (store.has(name)) return name;
    if (gpt2 && store.has(`transformer.${name}`)) return `transformer.${name}`;
    return null;
  };

  const layerPattern = gpt2 ? /^(?:transformer\.)?h\.(\d+)\./ : /^model\.layers\.(\d+)\./;
  const layerField = gpt2 ? 'n_layer' : 'num_hidden_layers';
  const stored = new Set<number>();
  for (const name of store.names()) {
    const m = layerPattern.exec(name);
    if (m) stored.add(Number(m[1]));
  }
  if (stored.size !== config.nLayers) {
    const top = stored.size === 0 ? -1 : Math.max(...stored);
    const what = stored.size === 0 ? 'no layers' : `${stored.size} layer${stored.size === 1 ? '' : 's'} (indices 0 … ${top})`;
    throw mismatch(layerField, config.nLayers, `the weight files hold ${what}`);
  }

  const claims: Claim[] = gpt2
    ? [
        { field: 'vocab_size', value: config.vocabSize, needs: config.vocabSize, tensor: 'wte.weight', axis: 0 },
        { field: 'n_embd', value: config.dModel, needs: config.dModel, tensor: 'wte.weight', axis: 1 },
        { field: 'n_positions', value: config.maxPositions ?? 0, needs: config.maxPositions ?? 0, tensor: 'wpe.weight', axis: 0 },
        { field: 'n_inner', value: config.dMlp, needs: config.dMlp, tensor: 'h.0.mlp.c_fc.weight', axis: 1 },
      ]
    : [
        { field: 'vocab_size', value: config.vocabSize, needs: config.vocabSize, tensor: 'model.embed_tokens.weight', axis: 0 },
        { field: 'hidden_size', value: config.dModel, needs: config.dModel, tensor: 'model.embed_tokens.weight', axis: 1 },
        { field: 'intermediate_size', value: config.dMlp, needs: config.dMlp, tensor: 'model.layers.0.mlp.gate_proj.weight', axis: 0 },
        { field: 'num_attention_heads', value: config.nHeads, needs: config.nHeads * config.headDim, tensor: 'model.layers.0.self_attn.q_proj.weight', axis: 0 },
        { field: 'num_key_value_heads', value: config.nKvHeads, needs: config.nKvHeads * config.headDim, tensor: 'model.layers.0.self_attn.k_proj.weight', axis: 0 },
      ];
  for (const claim of claims) {
    const name = resolve(claim.tensor);
    if (name === null) continue; // reported as missing by the full check, with the tensor's name
    const shape = store.shape(name);
    const actual = shape[claim.axis];
    if (actual !== claim.needs) {
      const perHead = claim.needs !== claim.value ? ` × head_dim ${config.headDim}` : '';
      throw mismatch(claim.field, claim.value, `tensor ${JSON.stringify(name)} has shape [${shape.join(', ')}], not ${claim.needs}${perHead ? ` (${claim.value}${perHead})` : ''} on axis ${claim.axis}`);
    }
  }
}

function mismatch(field: string, value: number, rule: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${CONFIG_FILE}: field "${field}" is ${value}, but ${rule}; config.json must describe the weights in the folder`, field);
}
