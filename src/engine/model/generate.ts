// Autoregressive generation with a KV cache: the prompt runs once, then one position per step.
// Interventions apply at every step (their positions count from the prompt's first token).

import { FeaturescopeError } from '../../shared/errors';
import type { SaeInterventionHandler, HookBinding } from './interventions';
import { KvCache } from './kvcache';
import type { TransformerModel } from './model';
import { chooseToken } from './sampling';
import { SeededRandom } from '../random';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 or absent → greedy. */
  temperature?: number;
  topP?: number;
  /** PRNG seed for sampling (default 0). */
  seed?: number;
  /** Tokens that end generation (kept in the output). Default: the config's EOS ids. */
  stopTokens?: number[];
  interventions?: unknown[];
  hooks?: HookBinding[];
  saeHandler?: SaeInterventionHandler;
  signal?: AbortSignal;
}

export interface GeneratedToken {
  token: number;
  /** 0 for the first generated token. */
  index: number;
  logProb: number;
}

export type StopReason = 'eos' | 'max_tokens';

/** Yields each new token as soon as it is chosen; returns why it stopped. */
export async function* generateTokens(model: TransformerModel, prompt: number[], opts: GenerateOptions): AsyncGenerator<GeneratedToken, StopReason> {
  model.checkTokens([prompt], 'prompt');
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) {
    throw new FeaturescopeError('invalid_input', 'maxNewTokens: must be a non-negative integer', 'maxNewTokens');
  }
  const temperature = opts.temperature ?? 0;
  const topP = opts.topP ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new FeaturescopeError('invalid_input', 'temperature: must be ≥ 0', 'temperature');
  if (!(topP > 0 && topP <= 1)) throw new FeaturescopeError('invalid_input', 'topP: must be in (0, 1]', 'topP');
  const bindings = model.bindHooks(opts);
  const stop = new Set(opts.stopTokens ?? model.config.eosTokenIds);
  const rng = new SeededRandom(opts.seed ?? 0);
  const cache = new KvCache(model.config.nLayers);
  const sequence = [...prompt];
  try {
    let fresh = prompt; // positions not yet in the cache
    for (let index = 0; index < opts.maxNewTokens; index++) {
      if (opts.signal?.aborted) throw new FeaturescopeError('cancelled', 'generation was cancelled');
      const start = sequence.length - fresh.length;
      const { logits, captured } = model.step({
        tokens: [fresh],
        layout: { keyValid: [sequence.map(() => 1)], queryStart: start, queryCount: fresh.length },
        cache,
        bindings,
        capture: new Set(),
        lastPositionOnly: true,
      });
      for (const t of captured.values()) t.dispose();
      const row = logits.dataSync();
      logits.dispose();
      const choice = chooseToken(row, { temperature, topP }, rng);
      sequence.push(choice.token);
      fresh = [choice.token];
      yield { token: choice.token, index, logProb: choice.logProb };
      if (stop.has(choice.token)) return 'eos';
      // Let other work (IPC, cancel messages) run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return 'max_tokens';
  } finally {
    cache.dispose();
  }
}
