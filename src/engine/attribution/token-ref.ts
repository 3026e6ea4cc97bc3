// A metric's token as the contract takes it (an id, or text that must be exactly one token of
// the model's vocabulary) resolved to an id. Attribution and the audit's contrast-set metric
// both take tokens this way, so they share one rule and one error message.

import { FeaturescopeError } from '../../shared/errors';
import type { ModelTokenizer } from '../model/tokenizer';

/** An id passes through (the metric checks it against the vocabulary); text must encode to one token. */
export function singleTokenId(tokenizer: Pick<ModelTokenizer, 'encode' | 'decode'>, ref: string | number, field: string): number {
  if (typeof ref === 'number') return ref;
  const ids = tokenizer.encode(ref, { addSpecialTokens: false });
  if (ids.length !== 1) {
    const pieces = ids.map((id) => JSON.stringify(tokenizer.decode([id]))).join(' ');
    throw new FeaturescopeError('invalid_input', `${field}: "${ref}" is ${ids.length} tokens for this model (${pieces}); give one token or its id.`, field);
  }
  return ids[0]!;
}
