import type { StoredExample } from './types';

/**
 * A prompt for "Try in playground": the feature's best top example up to and including its peak
 * token, so the feature fires at the prompt's end (a code feature gets code, not the playground's
 * prose default). Undefined when the feature has no top example.
 */
export function examplePrompt(examples: StoredExample[]): string | undefined {
  const top = examples.filter((e) => e.kind === 'top').sort((a, b) => b.maxAct - a.maxAct || a.rank - b.rank)[0];
  if (!top || top.tokens.length === 0) return undefined;
  let peak = 0;
  top.values.forEach((v, i) => {
    if (v > top.values[peak]!) peak = i;
  });
  const text = top.tokens.slice(0, peak + 1).join('');
  return text.trim() === '' ? undefined : text;
}
