import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { analysisIdRange, buildSearchSql, ensureSearchHitsTable, getExperiment, rankWindowOf, getFeaturePage, listExperiments, listTags, searchFeatures, toFtsQuery } from '../../../src/catalog/queries';
import { SearchQuery, type FeatureRecord } from '../../../src/catalog/types';
import {
  addNote,
  addTag,
  beginAnalysis,
  commitAnalysis,
  logExperiment,
  removeTag,
  setUserLabel,
  writeFeatures,
} from '../../../src/catalog/writes';
import { addSae, example, feature, tempDir } from './helpers';

const tmp = tempDir();
const N = 60;
const WORDS = [' python', ' banana', ' zebra'];
let cat: Catalog;
let saeId: number;
let features: FeatureRecord[];

/** The independent reference: what each feature is, as plain data. */
function spec(idx: number) {
  return { idx, word: WORDS[idx % 3]!, density: (idx + 1) / 100, maxAct: N - idx + (idx % 7) * 0.5 };
}

function analyse(c: Catalog, sae: number, records: FeatureRecord[]): number {
  const a = beginAnalysis(c, { saeId: sae, corpusId: null });
  for (let i = 0; i < records.length; i += 25) writeFeatures(c, a, records.slice(i, i + 25));
  commitAnalysis(c, a);
  return a;
}

const idxs = (q: SearchQuery) => searchFeatures(cat, q).rows.map((r) => r.idx);

beforeAll(() => {
  cat = openCatalog(tmp.file('search.db'));
  saeId = addSae(cat, 128);
  features = Array.from({ length: N }, (_, i) => {
    const s = spec(i);
    return feature(i, s.word, { density: s.density, maxAct: s.maxAct, context: i === 11 ? [' quantum', ' field'] : undefined });
  });
  analyse(cat, saeId, features);
  setUserLabel(cat, saeId, 7, 'legal contracts');
  for (const i of [0, 3, 6, 9]) addTag(cat, saeId, i, 'code');
  for (const i of [3, 9, 12]) addTag(cat, saeId, i, 'review');
});
afterAll(() => {
  cat.close();
  tmp.cleanup();
});

describe('searchFeatures: full-text', () => {
  it('finds a feature by its user label, its top token and its example text', () => {
    expect(idxs({ saeId, q: 'contracts' })).toEqual([7]);
    const bananas = Array.from({ length: N }, (_, i) => i).filter((i) => spec(i).word === ' banana');
    const r = searchFeatures(cat, { saeId, q: 'banana', sort: 'idx', limit: 500 });
    expect(r.total).toBe(bananas.length);
    expect(r.rows.map((x) => x.idx)).toEqual(bananas);
    expect(idxs({ saeId, q: 'quantum' })).toEqual([11]); // only in feature 11's example text
    expect(idxs({ saeId, q: 'quant*' })).toEqual([11]);
    expect(idxs({ saeId, q: 'QUANTUM field' })).toEqual([11]); // case-folded, words ANDed
    expect(idxs({ saeId, q: 'quantum banana' })).toEqual([]);
  });

  it('ranks a label hit above example-only hits', () => {
    setUserLabel(cat, saeId, 40, 'zebra crossings');
    const r = searchFeatures(cat, { saeId, q: 'zebra' });
    expect(r.rows[0]!.idx).toBe(40);
    expect(r.rows[0]!.userLabel).toBe('zebra crossings');
    // After the label hit, best (most negative) bm25 first.
    expect(r.rows.slice(1).every((row, i, rest) => i === 0 || rest[i - 1]!.score! <= row.score!)).toBe(true);
    setUserLabel(cat, saeId, 40, null);
  });

  it('follows label edits: a changed or cleared label is no longer found', () => {
    setUserLabel(cat, saeId, 20, 'first name');
    expect(idxs({ saeId, q: 'first' })).toEqual([20]);
    setUserLabel(cat, saeId, 20, 'second name');
    expect(idxs({ saeId, q: 'first' })).toEqual([]);
    expect(idxs({ saeId, q: 'second' })).toEqual([20]);
    setUserLabel(cat, saeId, 20, null);
    expect(idxs({ saeId, q: 'second' })).toEqual([]);
    expect(idxs({ saeId, q: 'zebra' })).toContain(20); // the rest of its document is still indexed
  });

  it('treats FTS5 syntax in what people type as plain words', () => {
    expect(toFtsQuery('a "b" OR (c')).toBe('"a" """b""" "OR" "(c"');
    expect(toFtsQuery('  ... ')).toBeNull();
    expect(() => searchFeatures(cat, { saeId, q: 'NEAR( "banana' })).not.toThrow();
    expect(searchFeatures(cat, { saeId, q: '(((' }).total).toBe(0); // a symbol search (migration 0009): no top token holds "("
    expect(searchFeatures(cat, { saeId, q: '  ' }).total).toBe(N); // nothing searchable: no text filter
  });
});

describe('searchFeatures: filters, sorts and paging', () => {
  const all = Array.from({ length: N }, (_, i) => spec(i));

  it('honours density and max-activation ranges, with and without text', () => {
    const expected = all.filter((s) => s.density >= 0.1 && s.density <= 0.3 && s.maxAct >= 35).map((s) => s.idx);
    const r = searchFeatures(cat, { saeId, densityMin: 0.1, densityMax: 0.3, maxActMin: 35, sort: 'idx', limit: 500 });
    expect(r.rows.map((x) => x.idx)).toEqual(expected);
    expect(r.total).toBe(expected.length);

    // One-column ranges, narrow and wide (wide ones are counted as N minus the tails).
    for (const [lo, hi] of [[0.05, 0.07], [0.02, undefined], [undefined, 0.58], [0.015, 0.595], [0.3, 0.6], [undefined, 0.001]] as const) {
      const want = all.filter((s) => (lo === undefined || s.density >= lo) && (hi === undefined || s.density <= hi));
      expect(searchFeatures(cat, { saeId, densityMin: lo, densityMax: hi, limit: 500 }).total).toBe(want.length);
      const m = lo === undefined ? undefined : lo * 100;
      const wantAct = all.filter((s) => m === undefined || s.maxAct >= m);
      expect(searchFeatures(cat, { saeId, maxActMin: m, limit: 500 }).total).toBe(wantAct.length);
    }

    const withText = all.filter((s) => s.word === ' python' && s.maxAct <= 30).map((s) => s.idx);
    const t = searchFeatures(cat, { saeId, q: 'python', maxActMax: 30, sort: 'idx', limit: 500 });
    expect(t.rows.map((x) => x.idx)).toEqual(withText);
    expect(t.total).toBe(withText.length);
  });

  it('requires every listed tag, case-insensitively; an unknown tag matches nothing', () => {
    expect(idxs({ saeId, tags: ['code'] })).toEqual([0, 3, 6, 9]);
    expect(idxs({ saeId, tags: ['CODE', 'review'] })).toEqual([3, 9]);
    expect(idxs({ saeId, tags: ['review'], q: 'python' })).toEqual([3, 9, 12]);
    expect(searchFeatures(cat, { saeId, tags: ['nope'] })).toEqual({ total: 0, totalIsLowerBound: false, rows: [] });
    // An SAE whose analysis covers every idx counts a tag from feature_tags alone: same answer.
    const full = addSae(cat, 6, 'complete-coverage');
    analyse(cat, full, Array.from({ length: 6 }, (_, i) => feature(i, ' all')));
    for (const i of [1, 4, 5]) addTag(cat, full, i, 'few');
    expect(searchFeatures(cat, { saeId: full, tags: ['few'], limit: 2 })).toMatchObject({ total: 3, rows: [{ idx: 1 }, { idx: 4 }] });
    expect(searchFeatures(cat, { saeId: full, tags: ['few'], densityMin: 0.5 }).total).toBe(0);
    expect(listTags(cat, saeId)).toEqual([
      { name: 'code', count: 4 },
      { name: 'review', count: 3 },
    ]);
  });

  it('sorts by idx, density and max activation in either direction', () => {
    const byDensityDesc = [...all].sort((a, b) => b.density - a.density || a.idx - b.idx).map((s) => s.idx);
    expect(idxs({ saeId, sort: 'density', limit: 500 })).toEqual(byDensityDesc);
    const byMaxAsc = [...all].sort((a, b) => a.maxAct - b.maxAct || a.idx - b.idx).map((s) => s.idx);
    expect(idxs({ saeId, sort: 'max_act', order: 'asc', limit: 500 })).toEqual(byMaxAsc);
    expect(idxs({ saeId, sort: 'idx', order: 'desc', limit: 3 })).toEqual([59, 58, 57]);
  });

  it('pages without gaps or repeats, with a stable total', () => {
    for (const q of [undefined, 'python']) {
      const full = searchFeatures(cat, { saeId, q, sort: 'max_act', limit: 500 });
      const seen: number[] = [];
      for (let offset = 0; offset < full.total + 7; offset += 7) {
        const page = searchFeatures(cat, { saeId, q, sort: 'max_act', limit: 7, offset });
        expect(page.total).toBe(full.total);
        seen.push(...page.rows.map((r) => r.idx));
      }
      expect(seen).toEqual(full.rows.map((r) => r.idx));
      expect(searchFeatures(cat, { saeId, q, offset: 1000 })).toEqual({ total: full.total, totalIsLowerBound: false, rows: [] });
    }
  });

  it('returns the same rows whether a page walks the sort index or sorts the filtered range', () => {
    const tagId = cat.db.prepare(`SELECT id FROM tags WHERE name = 'code'`).pluck().get() as number;
    const analysisId = cat.db.prepare(`SELECT active_analysis_id FROM saes WHERE id = ?`).pluck().get(saeId) as number;
    const sorts = ['idx', 'density', 'max_act'] as const;
    let compared = 0;
    for (let i = 0; i < 60; i++) {
      const query = SearchQuery.parse({
        saeId,
        sort: sorts[i % 3],
        order: i % 2 ? 'asc' : 'desc',
        ...(i % 4 === 0 ? { densityMin: 0.05 + (i % 5) * 0.05, densityMax: 0.5 } : {}),
        ...(i % 3 === 1 ? { maxActMin: 10 + (i % 7) * 3 } : {}),
        limit: 1 + (i % 9),
        offset: i % 11,
      });
      const tags = i % 5 === 0 ? [tagId] : [];
      const run = (walk: boolean) => {
        const sql = buildSearchSql(query, analysisId, tags, { walk });
        return cat.db.prepare(sql.rowsSql).all(sql.params);
      };
      expect(run(true)).toEqual(run(false));
      compared++;
    }
    expect(compared).toBe(60);
  });

  it('counts a total only up to its reach and says when it is a lower bound; deeper pages count further', () => {
    const small = { totalStep: 10, exampleHitBudget: 1_000_000 };
    for (const q of [undefined, 'quick']) {
      // 59 features match " quick" (all but feature 11); the first page counts to 10 and stops.
      const matching = q ? N - 1 : N;
      const first = searchFeatures(cat, { saeId, q, limit: 5 }, small);
      expect(first.rows).toHaveLength(5);
      if (q === undefined) expect(first).toMatchObject({ total: N, totalIsLowerBound: false }); // kept on the analysis row
      else expect(first).toMatchObject({ total: 10, totalIsLowerBound: true });
      // A page ending at row 28 counts to the next step past it.
      expect(searchFeatures(cat, { saeId, q, offset: 20, limit: 8 }, small)).toMatchObject({ total: q ? 30 : N, totalIsLowerBound: !!q });
      // Near the end the count is exact again.
      expect(searchFeatures(cat, { saeId, q, offset: 50, limit: 8 }, small)).toMatchObject({ total: matching, totalIsLowerBound: false });
    }
    // A filtered browse stops counting the same way.
    const wide = searchFeatures(cat, { saeId, densityMin: 0.05, limit: 5 }, small);
    expect(wide).toMatchObject({ total: 10, totalIsLowerBound: true });
    expect(wide.rows.map((r) => r.idx)).toEqual([4, 5, 6, 7, 8]);
    expect(searchFeatures(cat, { saeId, densityMin: 0.05, limit: 500 }, small)).toMatchObject({ total: N - 4, totalIsLowerBound: false });
  });

  it('reads a common word\'s example text only up to the budget, and flags the total as incomplete', () => {
    // Each feature has 3 examples containing " quick": a budget of 30 postings reaches 10 features.
    const r = searchFeatures(cat, { saeId, q: 'quick', limit: 500 }, { totalStep: 10_000, exampleHitBudget: 30 });
    expect(r.totalIsLowerBound).toBe(true);
    expect(r.total).toBeGreaterThanOrEqual(10);
    expect(r.total).toBeLessThan(N);
    const full = searchFeatures(cat, { saeId, q: 'quick', limit: 500 });
    expect(full).toMatchObject({ total: N - 1, totalIsLowerBound: false }); // feature 11's examples lack " quick"
    // Words in a feature's own document are always found, whatever the example budget.
    const python = searchFeatures(cat, { saeId, q: 'python', limit: 500 }, { totalStep: 10_000, exampleHitBudget: 1 });
    expect(python.rows.map((x) => x.idx).sort((a, b) => a - b)).toEqual(all.filter((s) => s.word === ' python').map((s) => s.idx));
  });

  it('returns the same text-search rows in every plan form (walk or sort, with or without the id range)', () => {
    const tagId = cat.db.prepare(`SELECT id FROM tags WHERE name = 'code'`).pluck().get() as number;
    const analysisId = cat.db.prepare(`SELECT active_analysis_id FROM saes WHERE id = ?`).pluck().get(saeId) as number;
    const range = analysisIdRange(cat, analysisId, N);
    expect(range).not.toBeNull();
    ensureSearchHitsTable(cat);
    const sorts = ['relevance', 'idx', 'density', 'max_act'] as const;
    let nonEmpty = 0;
    for (let i = 0; i < 40; i++) {
      const query = SearchQuery.parse({
        saeId,
        q: ['python', 'quick', 'zebra end', 'ban*'][i % 4],
        sort: sorts[i % 4],
        order: i % 3 ? 'asc' : 'desc',
        ...(i % 5 === 0 ? { densityMin: 0.1, densityMax: 0.45 } : {}),
        limit: 1 + (i % 9),
        offset: i % 7,
      });
      const tags = i % 6 === 0 ? [tagId] : [];
      const run = (plan: Parameters<typeof buildSearchSql>[3]) => {
        const sql = buildSearchSql(query, analysisId, tags, plan);
        cat.db.prepare('DELETE FROM temp.search_hits').run();
        cat.db.prepare(sql.fillSql!).run(sql.params);
        return { rows: cat.db.prepare(sql.rowsSql).all(sql.params), count: cat.db.prepare(sql.countSql!).pluck().get(sql.params) };
      };
      const reference = run({});
      if (reference.rows.length > 0) nonEmpty++;
      for (const plan of [{ walk: true }, { idRange: range! }, { walk: true, idRange: range! }]) expect({ i, plan, ...run(plan) }).toEqual({ i, plan, ...reference });
    }
    expect(nonEmpty).toBeGreaterThan(25);
  });

  it('keeps text search right when two analyses were written interleaved (no contiguous id range)', () => {
    const [a, b] = [addSae(cat, 16, 'interleaved-a'), addSae(cat, 16, 'interleaved-b')];
    const [runA, runB] = [beginAnalysis(cat, { saeId: a, corpusId: null }), beginAnalysis(cat, { saeId: b, corpusId: null })];
    for (let i = 0; i < 4; i++) {
      writeFeatures(cat, runA, [feature(i, ' mingled')]);
      writeFeatures(cat, runB, [feature(i, ' mingled'), feature(i + 4, ' mingled')].sort((x, y) => x.idx - y.idx));
    }
    commitAnalysis(cat, runA);
    commitAnalysis(cat, runB);
    expect(analysisIdRange(cat, runA, 4)).toBeNull();
    expect(searchFeatures(cat, { saeId: a, q: 'mingled' })).toMatchObject({ total: 4, totalIsLowerBound: false });
    expect(searchFeatures(cat, { saeId: b, q: 'mingled', sort: 'idx' }).rows.map((r) => r.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('seeks an unfiltered idx page of a dense analysis: same rows as stepping over the offset', () => {
    const dense = addSae(cat, 40, 'dense');
    analyse(cat, dense, Array.from({ length: 40 }, (_, i) => feature(i, ' dense')));
    for (const order of ['asc', 'desc'] as const) {
      const rows = searchFeatures(cat, { saeId: dense, order, offset: 13, limit: 9 }).rows.map((r) => r.idx);
      expect(rows).toEqual(order === 'asc' ? [13, 14, 15, 16, 17, 18, 19, 20, 21] : [26, 25, 24, 23, 22, 21, 20, 19, 18]);
    }
  });

  it('pages a density or max_act browse by its stored ranks: same rows and exact totals as sorting, ties included', () => {
    // Many ties (dead features at 0, a few shared values): ranks break them by idx in both directions.
    const tied = addSae(cat, 50, 'tied-ranks');
    const stat = (i: number) => ({ density: i % 3 === 0 ? 0 : ((i % 5) + 1) / 10, maxAct: i % 4 === 0 ? 0 : (i % 6) + 1 });
    const tiedAnalysis = analyse(cat, tied, Array.from({ length: 50 }, (_, i) => feature(i, ' tie', stat(i))));
    const ranks = cat.db
      .prepare(`SELECT idx, density_rank AS d, density_desc_rank AS dd, max_act_rank AS m, max_act_desc_rank AS md FROM features WHERE analysis_id = ?`)
      .all(tiedAnalysis) as Array<{ idx: number; d: number; dd: number; m: number; md: number }>;
    const listBy = (key: 'density' | 'maxAct', dir: 1 | -1) => Array.from({ length: 50 }, (_, i) => i).sort((a, b) => dir * (stat(a)[key] - stat(b)[key]) || a - b);
    const byDensityAsc = listBy('density', 1);
    expect(ranks.map((r) => [r.d, r.dd, r.m, r.md])).toEqual(
      ranks.map((r) => [byDensityAsc.indexOf(r.idx), listBy('density', -1).indexOf(r.idx), listBy('maxAct', 1).indexOf(r.idx), listBy('maxAct', -1).indexOf(r.idx)]),
    );

    let seeks = 0;
    const bounds = [undefined, 0, 0.1, 0.15, 0.3, 0.5, 0.6];
    for (let i = 0; i < 120; i++) {
      const sort = i % 2 ? 'density' : 'max_act';
      const [lo, hi] = [bounds[i % 7], bounds[(i * 3 + 1) % 7]];
      const scale = sort === 'density' ? 1 : 10;
      const range =
        sort === 'density'
          ? { densityMin: lo, densityMax: hi }
          : { maxActMin: lo === undefined ? undefined : lo * scale, maxActMax: hi === undefined ? undefined : hi * scale };
      const order = i % 3 ? 'asc' : 'desc';
      const query = SearchQuery.parse({ saeId: tied, sort, order, ...range, limit: 1 + (i % 8), offset: i % 13 });
      const window = rankWindowOf(cat, tiedAnalysis, 50, sort, order === 'desc', sort === 'density' ? range.densityMin : range.maxActMin, sort === 'density' ? range.densityMax : range.maxActMax);
      expect(window).not.toBeNull();
      const run = (plan: Parameters<typeof buildSearchSql>[3]) => {
        const sql = buildSearchSql(query, tiedAnalysis, [], plan);
        return cat.db.prepare(sql.rowsSql).all(sql.params);
      };
      const reference = run({});
      expect({ i, rows: run({ rankWindow: window! }) }).toEqual({ i, rows: reference });
      expect({ i, rows: run({ walk: true }) }).toEqual({ i, rows: reference });
      // The window's size is the exact number of matches.
      const want = Array.from({ length: 50 }, (_, k) => stat(k)[sort === 'density' ? 'density' : 'maxAct']).filter(
        (v) => (lo === undefined || v >= lo * scale) && (hi === undefined || v <= hi * scale),
      ).length;
      expect({ i, size: Math.max(0, window!.hi - window!.lo + 1) }).toEqual({ i, size: want });
      const result = searchFeatures(cat, query);
      expect({ i, total: result.total, lowerBound: result.totalIsLowerBound }).toEqual({ i, total: want, lowerBound: false });
      expect(result.rows.map((r) => r.idx)).toEqual((reference as Array<{ idx: number }>).map((r) => r.idx));
      if (result.rows.length > 0) seeks++;
    }
    expect(seeks).toBeGreaterThan(60);
    // An analysis without ranks (rows written around commitAnalysis) has no window: searches fall back to sorting.
    cat.db.prepare(`UPDATE features SET density_rank = NULL WHERE analysis_id = ?`).run(tiedAnalysis);
    expect(rankWindowOf(cat, tiedAnalysis, 50, 'density', false)).toBeNull();
    expect(searchFeatures(cat, { saeId: tied, sort: 'density', order: 'asc', limit: 3 }).rows.map((r) => r.idx)).toEqual(byDensityAsc.slice(0, 3));
  });

  it('ranks document matches by bm25 alone, then example-only matches by how many examples match; pages agree across that boundary', () => {
    // 12 features fire on " wolf" (their own document matches); 18 others only mention it in
    // 1-3 of their examples.
    const pack = addSae(cat, 30, 'wolves');
    const records = Array.from({ length: 30 }, (_, i): FeatureRecord => {
      if (i % 5 < 2) return feature(i, ' wolf');
      const base = feature(i, ` prey${i}`);
      const mentions = 1 + (i % 3);
      return { ...base, examples: [0, 1, 2].map((k) => example([k < mentions ? ' wolf' : ' sheep', ' ran', ` prey${i}`, ' end'], 2, 5 - k, k)) };
    });
    analyse(cat, pack, records);
    const docMatches = records.filter((_, i) => i % 5 < 2).map((r) => r.idx);
    const exampleOnly = records
      .filter((_, i) => i % 5 >= 2)
      .map((r) => ({ idx: r.idx, mentions: 1 + (r.idx % 3) }))
      .sort((a, b) => b.mentions - a.mentions || a.idx - b.idx)
      .map((r) => r.idx);
    const full = searchFeatures(cat, { saeId: pack, q: 'wolf', limit: 500 });
    expect(full).toMatchObject({ total: 30, totalIsLowerBound: false });
    expect(new Set(full.rows.slice(0, 12).map((r) => r.idx))).toEqual(new Set(docMatches));
    expect(full.rows.slice(12).map((r) => r.idx)).toEqual(exampleOnly);
    // Pages inside the document matches (served without storing example hits) and past them agree.
    const paged: number[] = [];
    for (let offset = 0; offset < 30; offset += 5) {
      // Pages 0-4 and 5-9 lie within the 12 document matches; 10-14 straddles the boundary.
      const page = searchFeatures(cat, { saeId: pack, q: 'wolf', offset, limit: 5 });
      expect({ offset, total: page.total, lowerBound: page.totalIsLowerBound }).toEqual({ offset, total: 30, lowerBound: false });
      paged.push(...page.rows.map((r) => r.idx));
    }
    expect(paged).toEqual(full.rows.map((r) => r.idx));
    // Its total counts example-only matches only to the reach, and says when the budget cut them.
    expect(searchFeatures(cat, { saeId: pack, q: 'wolf', limit: 4 }, { totalStep: 10, exampleHitBudget: 1_000 })).toMatchObject({ total: 10, totalIsLowerBound: true });
    expect(searchFeatures(cat, { saeId: pack, q: 'wolf', limit: 4 }, { totalStep: 100, exampleHitBudget: 1_000 })).toMatchObject({ total: 30, totalIsLowerBound: false });
    const cut = searchFeatures(cat, { saeId: pack, q: 'wolf', limit: 4 }, { totalStep: 100, exampleHitBudget: 10 });
    expect(cut.totalIsLowerBound).toBe(true);
    expect(cut.total).toBeGreaterThan(12);
    expect(cut.total).toBeLessThan(30);
    // The same budget gives the same total on a page past the document matches (examples stored).
    expect(searchFeatures(cat, { saeId: pack, q: 'wolf', offset: 12, limit: 4 }, { totalStep: 100, exampleHitBudget: 10 })).toMatchObject({ total: cut.total, totalIsLowerBound: true });
  });

  it('rejects a malformed query with the field named', () => {
    expect(() => searchFeatures(cat, { saeId, limit: 0 })).toThrow(/limit/);
    expect(() => searchFeatures(cat, { saeId: 999 })).toThrow(/no SAE 999/);
  });
});

describe('getFeaturePage', () => {
  it('returns stats, decoded examples, logit effects, labels, tags and notes of the feature', () => {
    addNote(cat, saeId, 3, 'first look');
    addNote(cat, saeId, 3, 'second look');
    const page = getFeaturePage(cat, saeId, 3);
    const s = spec(3);
    expect(page.feature).toMatchObject({ idx: 3, density: s.density, maxAct: s.maxAct, topTokens: [s.word] });
    expect(page.feature.histogram).toEqual({ scale: 'log10', lo: -3, hi: 1, counts: [1, 2, 3, 4] });
    // Every example has " fox" before the word, so the bigram is named as context.
    expect(page.label).toEqual({ auto: `fires on " python"; often in " fox python"`, user: null, updatedAt: null });
    expect(page.examples.map((e) => e.rank)).toEqual([0, 1, 2]);
    expect(page.examples[0]!.tokens).toEqual([' the', ' quick', ' fox', s.word, ' end']);
    expect(page.examples[1]!.values).toEqual([0, 0, 0, Math.fround(s.maxAct - 1), 0]); // stored as float32
    expect(page.examples[1]!.maxAct).toBe(s.maxAct - 1);
    expect(page.logitEffects).toEqual({ promoted: [[s.word, 1.5]], suppressed: [[' nope', -1]] });
    expect(page.tags).toEqual(['code', 'review']);
    expect(page.notes.map((n) => n.text)).toEqual(['first look', 'second look']);
    expect(page.analysis.state).toBe('complete');
    expect(page.analysis.featureCount).toBe(N);
  });

  it('puts top examples before quantile samples, highest bucket first', () => {
    const other = addSae(cat, 8, 'quantiles');
    const f = feature(2, ' q');
    f.examples = [
      example([' a', ' b'], 0, 1, 0, 'quantile', 0),
      example([' c', ' d'], 0, 2, 0, 'quantile', 3),
      example([' e', ' f'], 1, 9, 1, 'top'),
      example([' g', ' h'], 1, 9.5, 0, 'top'),
    ];
    analyse(cat, other, [f]);
    const page = getFeaturePage(cat, other, 2);
    expect(page.examples.map((e) => `${e.kind}:${e.bucket}:${e.rank}`)).toEqual(['top:0:0', 'top:0:1', 'quantile:3:0', 'quantile:0:0']);
  });

  it('says not_found for a missing feature and for an SAE with no completed analysis', () => {
    expect(() => getFeaturePage(cat, saeId, 100)).toThrow(/has no feature 100/);
    const empty = addSae(cat, 8, 'empty');
    expect(() => getFeaturePage(cat, empty, 0)).toThrow(/no completed analysis/);
    expect(searchFeatures(cat, { saeId: empty })).toEqual({ total: 0, totalIsLowerBound: false, rows: [] });
  });
});

describe('analysis visibility and annotations across re-analysis', () => {
  it('shows only the active analysis; a new one replaces it at commit, keeping labels and tags', () => {
    const sae = addSae(cat, 16, 'reanalysed');
    const first = analyse(cat, sae, [feature(0, ' alpha'), feature(1, ' alpha')]);
    setUserLabel(cat, sae, 1, 'greek letters');
    addTag(cat, sae, 1, 'greek');
    const reader = openCatalog(cat.path, { readonly: true });

    const second = beginAnalysis(cat, { saeId: sae, corpusId: null });
    writeFeatures(cat, second, [feature(0, ' omega'), feature(1, ' omega'), feature(2, ' omega')]);
    // Written but not committed: invisible to the writer's readers and to another connection.
    for (const c of [cat, reader]) {
      expect(searchFeatures(c, { saeId: sae, q: 'omega' }).total).toBe(0);
      expect(searchFeatures(c, { saeId: sae }).total).toBe(2);
      expect(getFeaturePage(c, sae, 0).label.auto).toMatch(/^fires on " alpha"/);
      expect(() => getFeaturePage(c, sae, 2)).toThrow(/no feature 2/);
    }

    commitAnalysis(cat, second);
    for (const c of [cat, reader]) {
      expect(searchFeatures(c, { saeId: sae, q: 'omega' }).total).toBe(3);
      expect(searchFeatures(c, { saeId: sae, q: 'alpha' }).total).toBe(0);
      expect(searchFeatures(c, { saeId: sae, q: 'greek' }).rows.map((r) => r.idx)).toEqual([1]); // label carried over
      expect(getFeaturePage(c, sae, 1).tags).toEqual(['greek']);
    }
    // The replaced analysis is marked and its rows purged.
    expect(cat.db.prepare(`SELECT state FROM analyses WHERE id = ?`).pluck().get(first)).toBe('superseded');
    expect(cat.db.prepare(`SELECT count(*) FROM features WHERE analysis_id = ?`).pluck().get(first)).toBe(0);
    expect(cat.db.prepare(`SELECT count(*) FROM examples_fts WHERE examples_fts MATCH 'alpha'`).pluck().get()).toBe(0);
    reader.close();
  });

  it('removing a tag and deleting an SAE leave nothing behind in search', () => {
    const sae = addSae(cat, 16, 'doomed');
    analyse(cat, sae, [feature(0, ' doomword'), feature(1, ' doomword')]);
    addTag(cat, sae, 0, 'temporary');
    expect(removeTag(cat, sae, 0, 'Temporary')).toBe(true);
    expect(removeTag(cat, sae, 0, 'temporary')).toBe(false);
    expect(cat.db.prepare(`SELECT count(*) FROM tags WHERE name = 'temporary'`).pluck().get()).toBe(0);

    cat.db.prepare(`DELETE FROM saes WHERE id = ?`).run(sae);
    expect(cat.db.prepare(`SELECT count(*) FROM features_fts WHERE features_fts MATCH 'doomword'`).pluck().get()).toBe(0);
    expect(cat.db.prepare(`SELECT count(*) FROM examples_fts WHERE examples_fts MATCH 'doomword'`).pluck().get()).toBe(0);
    expect(cat.db.pragma('foreign_key_check')).toEqual([]);
  });
});

describe('experiments', () => {
  it('logs runs with citable ids and reads them back by either form of the id', () => {
    const a = logExperiment(cat, {
      kind: 'steering',
      saeId,
      inputs: { prompt: 'Hello', interventions: [{ hook: 'blocks.1.hook_resid_post', kind: 'add', target: [3], value: 4 }] },
      seed: 42,
      outputs: { text: 'Hello world' },
      appVersion: '0.1.0',
    });
    const b = logExperiment(cat, { kind: 'ablation', saeId: null, inputs: {}, seed: null, outputs: {}, appVersion: '0.1.0' });
    expect(a.citeId).toMatch(/^exp-\d{6}$/);
    expect(b.id).toBe(a.id + 1);
    expect(getExperiment(cat, a.citeId)).toEqual(getExperiment(cat, a.id));
    expect(getExperiment(cat, a.citeId).inputs).toEqual({
      prompt: 'Hello',
      interventions: [{ hook: 'blocks.1.hook_resid_post', kind: 'add', target: [3], value: 4 }],
    });
    expect(listExperiments(cat).map((e) => e.citeId)).toEqual([b.citeId, a.citeId]);
    expect(listExperiments(cat, { saeId }).map((e) => e.id)).toEqual([a.id]);
    expect(() => getExperiment(cat, 'exp-999999')).toThrow(/no experiment exp-999999/);
    expect(() => logExperiment(cat, { kind: 'dance' as 'scan', saeId: null, inputs: {}, seed: null, outputs: {}, appVersion: 'x' })).toThrow(
      /experiment\.kind/,
    );
  });
});
