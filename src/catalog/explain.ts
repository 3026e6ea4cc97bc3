// Automatic explanation of a feature from its top examples: which tokens it fires on, and the
// bigram around them when one dominates. Deterministic and local (no LLM): the same examples
// always give the same sentence, so it can be searched and cited.

export interface ExplainExample {
  readonly tokens: readonly string[];
  /** Activation of the feature at each token. */
  readonly values: readonly number[];
}

export interface WeightedNgram {
  /** The tokens as stored (with their leading spaces), in order. */
  readonly tokens: readonly string[];
  /** Fraction of the feature's total activation weight on this n-gram. */
  readonly share: number;
}

export interface Explanation {
  /** e.g. `fires on " def" / " class"; often in "\n def"`. Empty when the feature never fires. */
  readonly text: string;
  /** Dominant tokens, biggest weight first (what search indexes as "top tokens"). */
  readonly topTokens: readonly string[];
  readonly unigrams: readonly WeightedNgram[];
  /** Bigram context for each dominant token that has a consistent neighbour. */
  readonly contexts: readonly WeightedNgram[];
}

/**
 * A position counts as "where it fires" when it reaches this fraction of its example's peak (and,
 * when an explanation is scored, of the feature's max: explanation-scores.ts).
 */
export const ACTIVE_FRACTION = 0.5;
/** A token must carry this share of all weight to be named. */
const MIN_SHARE = 0.1;
const MAX_NAMED = 3;
/** Stop naming tokens once they cover this much of the weight. */
const ENOUGH_COVERAGE = 0.8;
/** A bigram is shown as context when it carries this share of its token's weight… */
const MIN_CONTEXT_SHARE = 0.5;
/** …in at least this many different examples. */
const MIN_CONTEXT_EXAMPLES = 2;

interface Tally {
  weight: number;
  /** Weight per exact spelling, to display the most common variant of a normalized token. */
  variants: Map<string, number>;
  examples: Set<number>;
}

export function explainFeature(examples: readonly ExplainExample[]): Explanation {
  let globalMax = 0;
  for (const ex of examples) for (const v of ex.values) if (v > globalMax) globalMax = v;
  if (!(globalMax > 0)) return { text: '', topTokens: [], unigrams: [], contexts: [] };

  const unigrams = new Map<string, Tally>();
  const bigrams = new Map<string, Tally & { center: string; pair: [string, string] }>();
  let total = 0;

  examples.forEach((ex, exampleIndex) => {
    let peak = 0;
    for (const v of ex.values) if (v > peak) peak = v;
    if (!(peak > 0)) return;
    const { tokens, first, last } = byteRuns(ex.tokens);
    ex.values.forEach((v, p) => {
      if (!(v > 0) || v < ACTIVE_FRACTION * peak) return;
      const token = tokens[p];
      if (token === undefined) return;
      const weight = v / globalMax;
      total += weight;
      const key = normalize(token);
      add(unigrams, key, token, weight, exampleIndex, () => ({}));
      const prev = tokens[first[p]! - 1];
      const next = tokens[last[p]! + 1];
      if (prev !== undefined) addBigram(bigrams, key, [prev, token], weight, exampleIndex);
      if (next !== undefined) addBigram(bigrams, key, [token, next], weight, exampleIndex);
    });
  });

  const ranked = [...unigrams.entries()]
    .map(([key, t]) => ({ key, display: bestVariant(t.variants), share: t.weight / total, weight: t.weight }))
    .sort((a, b) => b.weight - a.weight || compare(a.key, b.key));

  const named: typeof ranked = [];
  let covered = 0;
  for (const u of ranked) {
    if (named.length >= MAX_NAMED || covered >= ENOUGH_COVERAGE || u.share < MIN_SHARE) break;
    named.push(u);
    covered += u.share;
  }

  const unigramList = ranked.slice(0, 10).map((u) => ({ tokens: [u.display], share: u.share }));
  if (named.length === 0) {
    const sample = ranked.slice(0, MAX_NAMED).map((u) => quote(u.display));
    return {
      text: `fires on varied tokens, e.g. ${sample.join(' / ')}`,
      topTokens: ranked.slice(0, MAX_NAMED).map((u) => u.display),
      unigrams: unigramList,
      contexts: [],
    };
  }

  const contexts: WeightedNgram[] = [];
  for (const u of named) {
    const tokenWeight = unigrams.get(u.key)!.weight;
    let best: { pair: [string, string]; weight: number; key: string } | undefined;
    for (const [key, b] of bigrams) {
      if (b.center !== u.key || b.examples.size < MIN_CONTEXT_EXAMPLES) continue;
      if (best === undefined || b.weight > best.weight || (b.weight === best.weight && compare(key, best.key) < 0)) {
        best = { pair: b.pair, weight: b.weight, key };
      }
    }
    // Two named tokens can share one bigram (" New York"): show it once.
    const seen = best !== undefined && contexts.some((c) => c.tokens.join('') === best.pair.join(''));
    if (best !== undefined && !seen && best.weight >= MIN_CONTEXT_SHARE * tokenWeight) {
      contexts.push({ tokens: best.pair, share: best.weight / total });
    }
  }

  let text = `fires on ${named.map((u) => quote(u.display)).join(' / ')}`;
  if (contexts.length > 0) text += `; often in ${contexts.map((c) => quote(c.tokens.join(''))).join(' / ')}`;
  if (covered < 0.5) text += ' (among others)';
  return { text, topTokens: named.map((u) => u.display), unigrams: unigramList, contexts };
}

/** The examples an explanation is built from: the top ones, or every example when there are none (topExamples 0). */
export function explanationExamples<E extends { kind: string }>(examples: readonly E[]): readonly E[] {
  const top = examples.filter((e) => e.kind === 'top');
  return top.length > 0 ? top : examples;
}

/**
 * What an explanation claims the feature fires on, as the keys tokenKeys gives: its named tokens
 * (for "fires on varied tokens, e.g. …", the examples it gives). Its "often in" bigrams say where
 * those tokens usually stand, not a condition, so they do not narrow the prediction.
 */
export function predictedKeys(explanation: Pick<Explanation, 'topTokens'>): string[] {
  return [...new Set(explanation.topTokens.map(normalize))];
}

/** The key of each position's token as explanations compare them: byte runs merged, case and spaces folded. */
export function tokenKeys(stored: readonly string[]): string[] {
  return byteRuns(stored).tokens.map(normalize);
}

function add<T extends object>(
  map: Map<string, Tally & T>,
  key: string,
  spelling: string,
  weight: number,
  exampleIndex: number,
  extra: () => T,
): Tally & T {
  let t = map.get(key);
  if (t === undefined) {
    t = { weight: 0, variants: new Map(), examples: new Set(), ...extra() };
    map.set(key, t);
  }
  t.weight += weight;
  t.variants.set(spelling, (t.variants.get(spelling) ?? 0) + weight);
  t.examples.add(exampleIndex);
  return t;
}

function addBigram(
  map: Map<string, Tally & { center: string; pair: [string, string] }>,
  center: string,
  pair: [string, string],
  weight: number,
  exampleIndex: number,
): void {
  // Keyed by exact spelling and by which side the firing token is on.
  const key = `${center}\u0000${JSON.stringify(pair)}`;
  add(map, key, pair.join(''), weight, exampleIndex, () => ({ center, pair }));
}

/**
 * The text each position stands for: a run of byte tokens that makes one character is stored
 * with the character on its first token and "" on the rest (ModelTokenizer.tokenTexts), so a
 * feature firing on the last byte of "€" fires on "€". Neighbours of a run are the tokens around it.
 */
export function byteRuns(stored: readonly string[]): { tokens: readonly string[]; first: number[]; last: number[] } {
  const tokens = [...stored];
  const first = tokens.map((_, p) => p);
  for (let p = 1; p < tokens.length; p++) {
    if (tokens[p] !== '') continue;
    tokens[p] = tokens[p - 1]!;
    first[p] = first[p - 1]!;
  }
  const last = tokens.map((_, p) => p);
  for (let p = tokens.length - 2; p >= 0; p--) if (first[p + 1] === first[p]) last[p] = last[p + 1]!;
  return { tokens, first, last };
}

/** " Def" and "def" are the same word to a reader; whitespace-only tokens stay as they are. */
function normalize(token: string): string {
  const t = token.trim().toLowerCase();
  return t === '' ? token : t;
}

function bestVariant(variants: Map<string, number>): string {
  let best = '';
  let bestWeight = -1;
  for (const [spelling, w] of variants) {
    if (w > bestWeight || (w === bestWeight && compare(spelling, best) < 0)) {
      best = spelling;
      bestWeight = w;
    }
  }
  return best;
}

/** JSON quoting shows leading spaces and escapes newlines: `" def"`, `"\n"`. */
function quote(s: string): string {
  return JSON.stringify(s);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
