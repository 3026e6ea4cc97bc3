// A metric's target as the contract takes it, resolved to token ids. Attribution, delta patching
// and the audit's contrast-set metric all take targets this way, so they share one rule and one
// set of error messages:
//   - a number is one token id;
//   - "id:401" (or "id:401,29871" for several) is ids, written as text (contrast-set files, forms);
//   - other text is what the model reads: text that is one token on its own is that token (the
//     rule before targets could span tokens, kept as it was); longer text is the continuation the
//     tokenizer writes for it after the prompt — the tokens of prompt + text beyond the prompt's
//     own (lm-eval-harness splits context and continuation the same way). Encoding the text on
//     its own would be wrong for SentencePiece tokenizers: their dummy prefix writes " his" alone
//     as "▁" "▁his", but after a word as "▁his".

import { FeaturescopeError } from '../../shared/errors';
import type { ModelTokenizer } from '../model/tokenizer';
import { type AttributionMetric, differenceMetric, logprobMetric } from './metric';

export type TargetRef = string | number;

export interface TargetContext {
  tokenizer: Pick<ModelTokenizer, 'encodeMany' | 'tokenStrings'>;
  vocabSize: number;
  /** The prompts the metric is read after (at least one); text must continue each the same way. */
  prompts: string[];
}

const IDS = /^id:\s*(\d+(?:\s*,\s*\d+)*)\s*$/;

/** The target's token ids (one or more), or a clear error naming `field`. */
export function targetTokens(ref: TargetRef, field: string, ctx: TargetContext): number[] {
  if (typeof ref === 'number') return [checkId(ref, field, ctx.vocabSize)];
  const ids = IDS.exec(ref);
  if (ids) return (ids[1] as string).split(',').map((s) => checkId(Number(s.trim()), field, ctx.vocabSize));
  const [alone = []] = ctx.tokenizer.encodeMany([ref], { addSpecialTokens: false });
  if (alone.length === 0) throw new FeaturescopeError('invalid_input', `${field}: "${ref}" is no token at all for this model; give text or ids (id:…).`, field);
  if (alone.length === 1) return alone;
  return continuationTokens(ref, field, ctx);
}

/** The metric of `target` after ctx.prompts: log p of one token or of a continuation. */
export function logprobMetricOf(target: TargetRef, field: string, ctx: TargetContext): AttributionMetric {
  return logprobMetric(targetTokens(target, field, ctx));
}

/** The metric `a` minus `b` after ctx.prompts: a logit difference, or of continuations' log-probabilities. */
export function differenceMetricOf(a: TargetRef, b: TargetRef, fields: [string, string], ctx: TargetContext): AttributionMetric {
  return differenceMetric(targetTokens(a, fields[0], ctx), targetTokens(b, fields[1], ctx));
}

/** A token id inside the vocabulary, else an error naming the field, the id and the vocabulary size. */
export function checkId(id: number, field: string, vocabSize: number): number {
  if (!Number.isSafeInteger(id) || id < 0 || id >= vocabSize) throw new FeaturescopeError('invalid_input', `${field}: token id ${id} is outside this model's vocabulary [0, ${vocabSize}).`, field);
  return id;
}

/** The tokens of prompt + text beyond the prompt's own, the same after every prompt. */
function continuationTokens(text: string, field: string, ctx: TargetContext): number[] {
  const { prompts, tokenizer } = ctx;
  if (prompts.length === 0) throw new FeaturescopeError('internal', `${field}: a target of several tokens is resolved after a prompt, and none was given`, field);
  const encoded = tokenizer.encodeMany([...prompts, ...prompts.map((p) => p + text)], { addSpecialTokens: false });
  const pieces = (ids: number[]) => tokenizer.tokenStrings(ids).map((s) => JSON.stringify(s)).join(' ');
  const which = (i: number) => (prompts.length === 1 ? 'the prompt' : `prompt ${i + 1}`);
  let found: number[] | null = null;
  let foundAt = 0;
  prompts.forEach((_, i) => {
    const base = encoded[i] ?? [];
    const whole = encoded[prompts.length + i] ?? [];
    if (whole.length <= base.length || base.some((id, j) => whole[j] !== id)) {
      throw new FeaturescopeError(
        'invalid_input',
        `${field}: "${text}" merges with the end of ${which(i)}, so it does not start at a token of its own there; start it at a word boundary (e.g. with its leading space) or give its ids (id:…).`,
        field,
      );
    }
    const continuation = whole.slice(base.length);
    if (found === null) {
      found = continuation;
      foundAt = i;
    } else if (found.join() !== continuation.join()) {
      throw new FeaturescopeError(
        'invalid_input',
        `${field}: "${text}" is written as different tokens after different prompts (${pieces(found)} after ${which(foundAt)}, ${pieces(continuation)} after ${which(i)}); give its ids (id:…) to read one continuation.`,
        field,
      );
    }
  });
  return found ?? [];
}
