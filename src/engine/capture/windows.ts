// Corpus pieces → fixed-length token windows for the model, with the positions whose activations
// go to the store (special tokens are context for the model but not SAE training data).
//
// BOS handling is an explicit choice because models differ (SAELens/TransformerLens do the same):
//   'prepend'   every window starts with BOS, and each document starts with BOS (Llama, Gemma:
//               tokenizer_config add_bos_token). A document starting a window shares that BOS.
//   'separator' each document is preceded by one separator token (GPT-2's <|endoftext|>); windows
//               are cut from the running stream wherever they fall.
//   'none'      documents are concatenated as they are.
// The window builder's state between two windows is just "piece cursor + tokens of that piece
// already used", so a capture can restart after any window from that cursor alone.

import { readFileSync, statSync } from 'node:fs';
import { FeaturescopeError } from '../../shared/errors';
import { jsonSyntaxProblem } from '../formats/jsonProblem';
import type { CorpusCursor, CorpusPiece } from './corpus';

export type BosMode = 'prepend' | 'separator' | 'none';

export interface WindowSettings {
  /** Tokens per window (the last window of a corpus may be shorter). */
  contextLength: number;
  bos: BosMode;
  /** The BOS (prepend) or separator token; null only with bos 'none'. */
  bosTokenId: number | null;
  /** Leave special-token positions out of the store (default true). */
  maskSpecialTokens: boolean;
  /** Ids treated as special: tokenizer.json's special added tokens plus BOS/EOS. */
  specialTokenIds: number[];
}

/** Where the next window starts: a piece, and how many of its tokens earlier windows used. */
export interface WindowCursor {
  corpus: CorpusCursor;
  tokenOffset: number;
}

export interface TokenWindow {
  tokens: number[];
  /** 1 where the activation goes to the store, 0 where it is masked (special tokens). */
  keep: Uint8Array;
  /** Cursor of the window that follows this one. */
  next: WindowCursor;
}

/** What the model folder says about BOS, for choosing the default mode. */
export interface TokenizerFacts {
  family: string;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** tokenizer_config.json add_bos_token is true (the tokenizer prepends BOS). */
  addsBos: boolean;
}

/**
 * Default BOS mode per model: 'prepend' when the tokenizer adds BOS (Llama, Gemma); GPT-2 style
 * models (no add_bos_token) separate documents with their end-of-text token; otherwise 'none'.
 */
export function defaultBos(facts: TokenizerFacts): { bos: BosMode; bosTokenId: number | null } {
  if (facts.addsBos && facts.bosTokenId !== null) return { bos: 'prepend', bosTokenId: facts.bosTokenId };
  const separator = facts.eosTokenId ?? facts.bosTokenId;
  if (separator !== null) return { bos: 'separator', bosTokenId: separator };
  return { bos: 'none', bosTokenId: null };
}

const MAX_TOKENIZER_JSON_BYTES = 256 * 1024 * 1024;

/** Ids of tokenizer.json's added tokens marked special (e.g. <|endoftext|>, <s>, <pad>). */
export function readSpecialTokenIds(tokenizerJsonPath: string): number[] {
  if (statSync(tokenizerJsonPath).size > MAX_TOKENIZER_JSON_BYTES) {
    throw new FeaturescopeError('bad_file', `${tokenizerJsonPath}: larger than ${MAX_TOKENIZER_JSON_BYTES} bytes; not a tokenizer`);
  }
  let json: unknown;
  const text = readFileSync(tokenizerJsonPath, 'utf8');
  try {
    json = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('bad_file', `${tokenizerJsonPath}: ${jsonSyntaxProblem(text)}`);
  }
  const added = (json as { added_tokens?: unknown }).added_tokens;
  if (added === undefined) return [];
  if (!Array.isArray(added)) throw new FeaturescopeError('bad_file', `${tokenizerJsonPath}: added_tokens must be a list`);
  const ids: number[] = [];
  for (const t of added as unknown[]) {
    const entry = t as { id?: unknown; special?: unknown };
    if (entry.special === true && Number.isInteger(entry.id) && (entry.id as number) >= 0) ids.push(entry.id as number);
  }
  return ids;
}

export function checkWindowSettings(s: WindowSettings, maxPositions: number | null): void {
  if (!Number.isInteger(s.contextLength) || s.contextLength < 2) {
    throw new FeaturescopeError('invalid_input', 'contextLength: must be an integer ≥ 2', 'contextLength');
  }
  if (maxPositions !== null && s.contextLength > maxPositions) {
    throw new FeaturescopeError('invalid_input', `contextLength: ${s.contextLength} is more than the model's ${maxPositions} positions`, 'contextLength');
  }
  if (s.bos !== 'none' && s.bosTokenId === null) {
    throw new FeaturescopeError('invalid_input', `bos: '${s.bos}' needs a BOS/separator token, and this tokenizer names none; use 'none'`, 'bos');
  }
}

/**
 * Windows from `pieces`, which must start at `from.corpus` (readCorpus(…, from.corpus)).
 * `encode` turns text into ids without adding special tokens.
 */
export function* makeWindows(pieces: Iterable<CorpusPiece>, encode: (text: string) => number[], s: WindowSettings, from?: WindowCursor): Generator<TokenWindow> {
  const L = s.contextLength;
  const special = new Set(s.specialTokenIds);
  if (s.bosTokenId !== null && s.bos !== 'none') special.add(s.bosTokenId);
  const bos = s.bosTokenId ?? -1;
  const toWindow = (tokens: number[], next: WindowCursor): TokenWindow => {
    const keep = new Uint8Array(tokens.length);
    for (let j = 0; j < tokens.length; j++) keep[j] = s.maskSpecialTokens && special.has(tokens[j]!) ? 0 : 1;
    return { tokens, keep, next };
  };

  let pending: number[] = [];
  let firstPiece = true;
  let last: CorpusCursor | null = null;
  for (const piece of pieces) {
    const tokens = encode(piece.text);
    if (piece.startsDocument && s.bos !== 'none') tokens.unshift(bos);
    let i = firstPiece && from !== undefined ? from.tokenOffset : 0;
    firstPiece = false;
    last = piece.next;
    while (i < tokens.length) {
      if (pending.length === 0 && s.bos === 'prepend') {
        pending.push(bos);
        if (tokens[i] === bos) i++; // the document's own BOS opens this window
        continue;
      }
      const take = Math.min(L - pending.length, tokens.length - i);
      for (let k = 0; k < take; k++) pending.push(tokens[i + k]!);
      i += take;
      if (pending.length === L) {
        const next = i < tokens.length ? { corpus: piece.start, tokenOffset: i } : { corpus: piece.next, tokenOffset: 0 };
        yield toWindow(pending, next);
        pending = [];
      }
    }
  }
  // A final short window, unless it holds nothing but the BOS this builder added.
  const onlyAddedBos = s.bos === 'prepend' && pending.length === 1;
  if (pending.length > 0 && !onlyAddedBos) {
    yield toWindow(pending, { corpus: last ?? from?.corpus ?? { file: 0, offset: 0, line: 0, part: 0 }, tokenOffset: 0 });
  }
}
