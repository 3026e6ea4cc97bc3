// Where the two sides of a pair are compared. A pair differs in a span of tokens (he/she, his/her,
// a name); a unit that reads those tokens differs between the sides whatever it means, so pooling
// over every token measures token identity as much as the attribute (issue #18: an indentation
// feature came out as "bias"). The honest comparison is at positions whose tokens are the same on
// both sides: the shared context after the swapped span, aligned from the end (the sides may have
// different lengths). Positions before the span are identical in a causal model and carry nothing.

import type { TokenPair } from './audit';

/** 'context': the shared tokens after the swapped span; 'all': every token (the method before #18). */
export type AuditPositions = 'context' | 'all';

export interface PairAlignment {
  /** Tokens equal at the start of both sides. */
  prefix: number;
  /** Tokens equal at the end of both sides, after the swapped span (never overlapping the prefix). */
  suffix: number;
}

export function alignPair(p: TokenPair): PairAlignment {
  const shorter = Math.min(p.a.length, p.b.length);
  let prefix = 0;
  while (prefix < shorter && p.a[prefix] === p.b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && p.a[p.a.length - 1 - suffix] === p.b[p.b.length - 1 - suffix]) suffix++;
  return { prefix, suffix };
}

/** The positions of one side the audit pools over: the last `suffix` tokens, or every token. */
export function comparedPositions(length: number, alignment: PairAlignment, positions: AuditPositions): number[] {
  if (positions === 'all') return Array.from({ length }, (_, i) => i);
  return Array.from({ length: alignment.suffix }, (_, i) => length - alignment.suffix + i);
}
