// The examples a feature shows: which windows and positions were chosen (pass 1), and the compact
// token ids / per-token values filled in for them by the second pass over just those windows.

import type { ExampleKind } from '../../catalog/types';

export interface ExamplePlan {
  feature: number;
  kind: ExampleKind;
  bucket: number;
  rank: number;
  window: number;
  /** Position of the feature's peak in the window. */
  pos: number;
  /** Filled by the second pass: the shown context's token ids, the feature's value at each, where it starts. */
  ids?: Int32Array;
  values?: Float32Array;
  doc?: number;
  start?: number;
}

/**
 * The shown slice [from, to) of a window of `length` tokens around position `pos`: `size` tokens
 * (or the whole window when shorter), three quarters of them before the peak — what a feature
 * responds to is mostly behind it — and shifted inward at the window's edges.
 */
export function contextSlice(length: number, pos: number, size: number): [number, number] {
  const n = Math.min(size, length);
  const after = Math.floor(n / 4);
  let from = pos - (n - 1 - after);
  let to = pos + after + 1;
  if (from < 0) {
    to -= from;
    from = 0;
  }
  if (to > length) {
    from -= to - length;
    to = length;
  }
  return [Math.max(0, from), to];
}

/**
 * Token text for the catalog, always taken in context (ModelTokenizer.tokenText / tokenTexts):
 * an example's tokens as they read in that example, a logit table's tokens as they read in
 * running text. Decoding an id on its own drops a SentencePiece token's word-initial space.
 */
export interface TokenTextSource {
  tokenText(id: number): string;
  tokenTexts(ids: ArrayLike<number>): string[];
}

export class TokenTextCache {
  constructor(private readonly tokenizer: TokenTextSource) {}

  text(id: number): string {
    return this.tokenizer.tokenText(id);
  }

  texts(ids: ArrayLike<number>): string[] {
    return this.tokenizer.tokenTexts(ids);
  }
}
