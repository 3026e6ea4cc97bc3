// What a scan writes to the experiment log (outputs of kind 'scan'), and how scan.replay finds a
// logged flag's tokens again.
//
// A flag is replayed from its context's token ids up to its peak (the model is causal). The log
// keeps those ids once per context, not once per flag:
//   - prompt scans keep no ids at all: a flag's `doc` is its prompt's index in the logged inputs
//     and `position` its peak's token index, so replay encodes the prompt again and cuts it there;
//   - corpus scans keep each flagged window once in `windows` (up to the furthest peak any kept
//     flag has in it), and a flag names its window by index and its peak by `at`.
//
// Size bound of the whole logged JSON (V8's strings stop at 2^29 − 24 ≈ 537M characters, and the
// log entry is one string): the windows hold at most LOG_MAX_IDS ids (≤ 7 characters each with the
// comma: ≤ 7M characters), taken best rank first across features; a flag whose window does not fit
// is logged with `window: null` and is not replayable. The flags are at most 1000 watched features
// (a watchlist's cap) × 100 kept per feature (topPerFeature's cap) at ≤ ~120 characters each:
// ≤ 12M characters. The inputs hold the prompts, at most PROMPT_CHARS_MAX characters in all by the
// contract (≤ 6 JSON characters per character escaped: ≤ 24M); the rest of the inputs is small. So a scan log is under ~45M
// characters whatever the scan, an order of magnitude below the limit.

import type { FeatureScan, ScanOutcome } from './scan';
import { prefixOf } from './scan';

/** Token ids the log keeps for corpus windows, over every flag of the scan. */
export const LOG_MAX_IDS = 1_000_000;

export interface LoggedFlag {
  doc: number;
  position: number;
  peak: number;
  /** Corpus scans: the flag's window in `windows` (null: over the log's budget, not replayable) and its peak's index in it. */
  window?: number | null;
  at?: number;
  /** Logs written before windows were shared: the ids up to the peak, per flag. Read, never written. */
  prefixIds?: number[];
}

export interface LoggedFeature {
  idx: number;
  threshold: number;
  flagged: number;
  flaggedTokens: number;
  maxAct: number;
  top: LoggedFlag[];
}

// A type, not an interface: it is stored as the log's Record<string, unknown> outputs.
export type LoggedScan = {
  hook: string;
  tokens: number;
  contexts: number;
  /** Corpus scans: each flagged window's ids once, up to the furthest logged peak in it. */
  windows?: number[][];
  features: LoggedFeature[];
};

/** The log's outputs for a finished scan; `source` says whether flags point at prompts or windows. */
export function scanLogOutputs(outcome: ScanOutcome, source: 'corpus' | 'prompts', maxIds = LOG_MAX_IDS): LoggedScan {
  const base = { hook: outcome.hook, tokens: outcome.tokens, contexts: outcome.contexts };
  const numbers = (f: FeatureScan) => ({ idx: f.idx, threshold: f.threshold, flagged: f.flagged, flaggedTokens: f.flaggedTokens, maxAct: f.maxAct });
  if (source === 'prompts') {
    return { ...base, features: outcome.features.map((f) => ({ ...numbers(f), top: f.top.map((t) => ({ doc: t.doc, position: t.position, peak: t.peak })) })) };
  }
  // Which windows the log keeps and how far: best rank first across features, until the budget is spent.
  const length = new Map<number, number>(); // scanned context → ids kept
  const fits = outcome.features.map((f) => f.top.map(() => false));
  let spent = 0;
  const ranks = Math.max(0, ...outcome.features.map((f) => f.top.length));
  for (let rank = 0; rank < ranks; rank++) {
    outcome.features.forEach((f, j) => {
      const flag = f.top[rank];
      if (!flag) return;
      const need = flag.scanned.at + 1;
      const have = length.get(flag.scanned.context) ?? 0;
      const cost = Math.max(0, need - have);
      if (spent + cost > maxIds) return;
      spent += cost;
      length.set(flag.scanned.context, Math.max(have, need));
      fits[j]![rank] = true;
    });
  }
  const windowOf = new Map<number, number>(); // scanned context → index in windows
  const windows: number[][] = [];
  const features = outcome.features.map((f, j) => ({
    ...numbers(f),
    top: f.top.map((t, rank): LoggedFlag => {
      const flag = { doc: t.doc, position: t.position, peak: t.peak };
      if (!fits[j]![rank]) return { ...flag, window: null };
      let w = windowOf.get(t.scanned.context);
      if (w === undefined) {
        w = windows.push(t.scanned.ids.slice(0, length.get(t.scanned.context)!)) - 1;
        windowOf.set(t.scanned.context, w);
      }
      return { ...flag, window: w, at: t.scanned.at };
    }),
  }));
  return { ...base, windows, features };
}

/**
 * The ids that re-run a logged flag, or a sentence saying why there are none. Prompt flags are cut
 * from their prompt (`prompts`, from the logged inputs) encoded again with `encode`.
 */
export function loggedPrefix(outputs: LoggedScan, flag: LoggedFlag, prompts: readonly string[] | undefined, encode: (text: string) => number[]): number[] | string {
  if (Array.isArray(flag.prefixIds)) return flag.prefixIds;
  if (flag.window === null) return `the log kept no tokens for it (over its budget of ${LOG_MAX_IDS.toLocaleString('en-US')} token ids); run the scan again to replay it`;
  if (flag.window !== undefined) {
    const ids = outputs.windows?.[flag.window];
    if (!ids || flag.at === undefined || flag.at >= ids.length) return `its window #${flag.window} is missing from the log`;
    return prefixOf({ scanned: { context: flag.window, ids, at: flag.at } });
  }
  const prompt = prompts?.[flag.doc];
  if (prompt === undefined) return `prompt ${flag.doc} is missing from the logged inputs`;
  const ids = encode(prompt);
  if (flag.position >= ids.length) return `prompt ${flag.doc} encodes to ${ids.length} tokens now, not past ${flag.position}; the tokenizer changed`;
  return ids.slice(0, flag.position + 1);
}
