// Byte-level BPE as GPT-2 defines it: text is split by GPT-2's pre-tokenizer regex, each piece
// is taken as UTF-8 bytes, and merges learned greedily by pair frequency join adjacent symbols.
// Symbol ids: 0-255 are the bytes themselves, merge i creates id 256 + i.

/** GPT-2's pre-tokenizer pattern (the one HF's ByteLevel pre-tokenizer uses with use_regex). */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100
 * onwards, so every byte is a visible character and a token is an ordinary string.
 */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  const isPrintable = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = isPrintable.has(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + next++);
  }
  return map;
}

export function preTokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

export interface BpeModel {
  /** merges[i] = [left id, right id]; creates id 256 + i. */
  merges: [number, number][];
}

/** Max-heap of (count, pair key) with lazy deletion: stale entries are skipped on pop. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } | undefined {
    if (this.counts.length === 0) return undefined;
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.before(l, best)) best = l;
        if (r < this.counts.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  /** Higher count first; ties go to the smaller key so training is deterministic. */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
}

/**
 * Learns `vocabSize - 256` merges from pre-tokenized texts. Pair counts are kept up to date
 * incrementally (only words containing the merged pair are rewritten), so a few thousand
 * merges over ~10 MB take seconds.
 */
export function trainBpe(texts: Iterable<string>, numMerges: number, onProgress?: (done: number) => void): BpeModel {
  const wordCounts = new Map<string, number>();
  for (const text of texts) for (const piece of preTokenize(text)) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);

  const encoder = new TextEncoder();
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Array.from(encoder.encode(word)));
    freq.push(count);
  }

  const maxId = 256 + numMerges;
  const key = (a: number, b: number): number => a * maxId + b;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: number): void => {
    const symbols = words[w]!;
    const f = freq[w]! * sign;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const k = key(symbols[i]!, symbols[i + 1]!);
      pairCount.set(k, (pairCount.get(k) ?? 0) + f);
      if (sign > 0) {
        let set = pairWords.get(k);
        if (set === undefined) pairWords.set(k, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);

  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);

  const merges: [number, number][] = [];
  while (merges.length < numMerges) {
    const top = heap.pop();
    if (top === undefined) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) continue; // stale heap entry
    if (current <= 0) break;
    const a = Math.floor(top.key / maxId);
    const b = top.key % maxId;
    const merged = 256 + merges.length;
    merges.push([a, b]);

    const touched = new Set<number>();
    for (const w of pairWords.get(top.key) ?? []) {
      const symbols = words[w]!;
      let found = false;
      for (let i = 0; i + 1 < symbols.length; i++) if (symbols[i] === a && symbols[i + 1] === b) found = true;
      if (!found) continue;
      addPairs(w, -1);
      const next: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(symbols[i]!);
      }
      words[w] = next;
      addPairs(w, 1);
      for (let i = 0; i + 1 < next.length; i++) touched.add(key(next[i]!, next[i + 1]!));
      for (let i = 0; i + 1 < symbols.length; i++) touched.add(key(symbols[i]!, symbols[i + 1]!));
    }
    pairWords.delete(top.key);
    pairCount.delete(top.key);
    for (const k of touched) {
      const c = pairCount.get(k) ?? 0;
      if (c > 0) heap.push(c, k);
    }
    onProgress?.(merges.length);
  }
  return { merges };
}

/**
 * Encodes text with learned merges the way HF's BPE model does: per pre-token, repeatedly
 * apply the lowest-ranked merge present. Used to tokenize the corpus fast (with a cache).
 */
export class BpeEncoder {
  private readonly rank = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();
  private readonly maxId: number;

  constructor(private readonly model: BpeModel) {
    this.maxId = 256 + model.merges.length;
    model.merges.forEach(([a, b], i) => this.rank.set(a * this.maxId + b, i));
  }

  encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    let symbols = Array.from(this.encoder.encode(word));
    for (;;) {
      let bestRank = Infinity;
      let bestAt = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.rank.get(symbols[i]! * this.maxId + symbols[i + 1]!);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      const [a, b] = this.model.merges[bestRank]!;
      const next: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(256 + bestRank);
          i++;
        } else next.push(symbols[i]!);
      }
      symbols = next;
    }
    if (this.cache.size < 500_000) this.cache.set(word, symbols);
    return symbols;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of preTokenize(text)) for (const id of this.encodeWord(piece)) ids.push(id);
    return ids;
  }
}
