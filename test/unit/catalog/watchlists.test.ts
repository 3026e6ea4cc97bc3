// Watchlists on a real SQLite file: defaults from the analysed max activation, refusals that name
// the entry, a taken name refused unless replacing, rename by id, adding entries in one write, stale
// saves refused, cascade when an SAE goes, read-only refusal.
import { afterAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/catalog/open';
import { addWatchlistEntries, deleteWatchlist, getWatchlist, listWatchlists, saveWatchlist } from '../../../src/catalog/watchlists';
import { beginAnalysis, commitAnalysis, setUserLabel, writeFeatures } from '../../../src/catalog/writes';
import { FeaturescopeError } from '../../../src/shared/errors';
import { addSae, feature, newCatalog, tempDir } from './helpers';

const tmp = tempDir('fs-watch-');
afterAll(() => tmp.cleanup());

function thrown(fn: () => unknown): FeaturescopeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FeaturescopeError);
    return err as FeaturescopeError;
  }
  throw new Error('expected a FeaturescopeError, nothing was thrown');
}

/** A catalog with one analysed SAE (features 0..3 with max act 4, 8, 0, 2) and one never analysed. */
function setup(name: string) {
  const cat = newCatalog(tmp.file(name));
  const saeId = addSae(cat, 16, 'analysed');
  const bare = addSae(cat, 16, 'bare');
  const analysis = beginAnalysis(cat, { saeId, corpusId: null });
  writeFeatures(cat, analysis, [feature(0, ' zebra', { maxAct: 4 }), feature(1, ' lion', { maxAct: 8 }), { ...feature(2, ' dead', { maxAct: 0 }), examples: [], density: 0 }, feature(3, ' gnu', { maxAct: 2 })]);
  commitAnalysis(cat, analysis);
  return { cat, saeId, bare };
}

describe('watchlists', () => {
  it('creates a watchlist: default thresholds are a fraction of the analysed max, given ones are kept, labels and explanations come along', () => {
    const { cat, saeId } = setup('create.db');
    setUserLabel(cat, saeId, 1, 'big cats');
    const w = saveWatchlist(cat, {
      name: 'Animals',
      note: 'savanna',
      entries: [{ saeId, idx: 1 }, { saeId, idx: 0, threshold: 1.25, label: 'stripes' }, { saeId, idx: 3 }],
      defaultFraction: 0.25,
    });
    expect(w.name).toBe('Animals');
    expect(w.note).toBe('savanna');
    expect(w.entries.map((e) => [e.idx, e.threshold, e.label])).toEqual([
      [0, 1.25, 'stripes'],
      [1, 2, null],
      [3, 0.5, null],
    ]);
    expect(w.entries.find((e) => e.idx === 1)).toMatchObject({ userLabel: 'big cats', maxAct: 8 });
    expect(w.entries.find((e) => e.idx === 0)!.explanation).toContain('zebra');
    // Fraction 0.5 when none is given.
    expect(saveWatchlist(cat, { name: 'half', entries: [{ saeId, idx: 1 }] }).entries[0]!.threshold).toBe(4);
    cat.close();
  });

  it('a new watchlist under a taken name (any case) is refused and the list kept; replace: true rewrites it; saving by id renames', () => {
    const { cat, saeId } = setup('replace.db');
    const first = saveWatchlist(cat, { name: 'watch', entries: [{ saeId, idx: 0 }, { saeId, idx: 1 }] });
    const taken = thrown(() => saveWatchlist(cat, { name: 'WATCH', note: 'v2', entries: [{ saeId, idx: 3, threshold: 9 }] }));
    expect(taken).toMatchObject({ code: 'invalid_input', field: 'name' });
    expect(taken.message).toContain('already a watchlist called "watch"');
    expect(getWatchlist(cat, first.id).entries.map((e) => e.idx)).toEqual([0, 1]);
    const again = saveWatchlist(cat, { name: 'WATCH', note: 'v2', entries: [{ saeId, idx: 3, threshold: 9 }], replace: true });
    expect(again.id).toBe(first.id);
    expect(again.entries.map((e) => e.idx)).toEqual([3]);
    expect(again.note).toBe('v2');
    const renamed = saveWatchlist(cat, { id: first.id, name: 'renamed', entries: again.entries.map(({ saeId: s, idx, threshold }) => ({ saeId: s, idx, threshold })) });
    expect(renamed).toMatchObject({ id: first.id, name: 'renamed' });
    expect(listWatchlists(cat).map((w) => w.name)).toEqual(['renamed']);
    saveWatchlist(cat, { name: 'other', entries: [] });
    expect(thrown(() => saveWatchlist(cat, { id: first.id, name: 'Other', entries: [] }))).toMatchObject({ code: 'invalid_input', field: 'name' });
    expect(thrown(() => saveWatchlist(cat, { id: 999, name: 'x', entries: [] }))).toMatchObject({ code: 'not_found', field: 'id' });
    cat.close();
  });

  it('adds entries in one write, keeping what the list holds; one already there is left as it is; a name no list has is created only when asked', () => {
    const { cat, saeId, bare } = setup('add.db');
    const w = saveWatchlist(cat, { name: 'w', note: 'kept', entries: [{ saeId, idx: 0, threshold: 1.5, label: 'mine' }] });
    // Two writers, each adding to the list as it stands in the file (not to a copy they read earlier).
    const other = openCatalog(cat.path);
    addWatchlistEntries(other, { watchlist: 'W', entries: [{ saeId, idx: 1 }] });
    other.close();
    const r = addWatchlistEntries(cat, { watchlist: w.id, entries: [{ saeId, idx: 0, threshold: 99 }, { saeId: bare, idx: 4, threshold: 2 }] });
    expect(r.watchlist.entries.map((e) => [e.saeId, e.idx, e.threshold, e.label])).toEqual([
      [saeId, 0, 1.5, 'mine'],
      [saeId, 1, 4, null],
      [bare, 4, 2, null],
    ]);
    expect(r).toMatchObject({ alreadyThere: [{ saeId, idx: 0 }], created: false });
    expect(r.watchlist.note).toBe('kept');
    expect(r.watchlist.updatedAt).toBeGreaterThan(w.updatedAt);
    // Nothing new: the list is not touched.
    expect(addWatchlistEntries(cat, { watchlist: w.id, entries: [{ saeId, idx: 1 }] }).watchlist.updatedAt).toBe(r.watchlist.updatedAt);
    // A refused entry adds nothing, not even the good ones before it.
    expect(thrown(() => addWatchlistEntries(cat, { watchlist: w.id, entries: [{ saeId, idx: 3 }, { saeId, idx: 16 }] })).field).toBe('entries.1.idx');
    expect(thrown(() => addWatchlistEntries(cat, { watchlist: w.id, entries: [{ saeId, idx: 3 }, { saeId, idx: 3 }] })).field).toBe('entries.1.idx');
    expect(getWatchlist(cat, w.id).entries).toHaveLength(3);
    const missing = thrown(() => addWatchlistEntries(cat, { watchlist: 'fresh', entries: [{ saeId, idx: 3 }] }));
    expect(missing).toMatchObject({ code: 'not_found', field: 'watchlist' });
    expect(missing.message).toContain('known: w');
    const created = addWatchlistEntries(cat, { watchlist: ' fresh ', entries: [{ saeId, idx: 3 }], create: true });
    expect(created).toMatchObject({ created: true, watchlist: { name: 'fresh', note: '' } });
    expect(created.watchlist.entries.map((e) => e.threshold)).toEqual([1]);
    cat.close();
  });

  it('a watchlist holds at most 1000 features, however they are added', () => {
    const { cat } = setup('cap.db');
    const wide = addSae(cat, 2000, 'wide');
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ saeId: wide, idx: from + i, threshold: 1 }));
    const w = saveWatchlist(cat, { name: 'big', entries: many(0, 999) });
    const over = thrown(() => addWatchlistEntries(cat, { watchlist: w.id, entries: many(999, 2) }));
    expect(over).toMatchObject({ code: 'invalid_input', field: 'entries' });
    expect(over.message).toContain('would hold 1001');
    expect(addWatchlistEntries(cat, { watchlist: w.id, entries: many(998, 2) }).watchlist.entries).toHaveLength(1000);
    cat.close();
  });

  it('a save carrying the updatedAt it read is refused when the list was written since, even within the same millisecond', () => {
    const { cat, saeId } = setup('stale.db');
    const read = saveWatchlist(cat, { name: 'w', entries: [{ saeId, idx: 0 }] });
    const entries = [{ saeId, idx: 0 }, { saeId, idx: 3 }];
    const fresh = saveWatchlist(cat, { id: read.id, name: 'w', entries, expectedUpdatedAt: read.updatedAt });
    expect(fresh.updatedAt).toBeGreaterThan(read.updatedAt);
    addWatchlistEntries(cat, { watchlist: read.id, entries: [{ saeId, idx: 1 }] });
    const stale = thrown(() => saveWatchlist(cat, { id: read.id, name: 'w', entries, expectedUpdatedAt: fresh.updatedAt }));
    expect(stale).toMatchObject({ code: 'invalid_input', field: 'expectedUpdatedAt' });
    expect(stale.message).toContain('"w" changed elsewhere since it was read; reload');
    expect(getWatchlist(cat, read.id).entries.map((e) => e.idx)).toEqual([0, 1, 3]);
    cat.close();
  });

  it('refuses a feature the SAE does not have, a duplicate, a default it cannot take, a bad threshold — and writes nothing', () => {
    const { cat, saeId, bare } = setup('refuse.db');
    const outside = thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId, idx: 0 }, { saeId, idx: 16 }] }));
    expect(outside).toMatchObject({ code: 'invalid_input', field: 'entries.1.idx' });
    expect(outside.message).toContain('0–15');
    expect(thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId, idx: 1 }, { saeId, idx: 1, threshold: 2 }] })).field).toBe('entries.1.idx');
    const noAnalysis = thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId: bare, idx: 1 }] }));
    expect(noAnalysis.field).toBe('entries.0.threshold');
    expect(noAnalysis.message).toContain('no analysis');
    expect(thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId, idx: 2 }] })).message).toContain('never fired');
    expect(thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId, idx: 5 }] })).message).toContain('never fired'); // not in the analysis
    expect(thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId, idx: 1, threshold: 0 }] })).field).toBe('entries.0.threshold');
    expect(thrown(() => saveWatchlist(cat, { name: 'w', entries: [{ saeId: 77, idx: 1, threshold: 1 }] })).code).toBe('not_found');
    expect(thrown(() => saveWatchlist(cat, { name: '  ', entries: [] })).field).toBe('name');
    expect(listWatchlists(cat)).toEqual([]);
    // The SQL constraints hold even for a writer that skips the checks.
    expect(() => cat.db.prepare(`INSERT INTO watchlist_entries VALUES (1, 1, 0, -1, NULL)`).run()).toThrow(/CHECK|FOREIGN KEY/);
    // A bare SAE takes explicit thresholds.
    expect(saveWatchlist(cat, { name: 'w', entries: [{ saeId: bare, idx: 1, threshold: 3 }] }).entries[0]).toMatchObject({ threshold: 3, maxAct: null, explanation: null });
    cat.close();
  });

  it('lists entries of one SAE, finds by id or name, deletes, and loses entries with their SAE', () => {
    const { cat, saeId, bare } = setup('list.db');
    const w = saveWatchlist(cat, { name: 'mixed', entries: [{ saeId, idx: 0 }, { saeId: bare, idx: 4, threshold: 1 }] });
    expect(listWatchlists(cat, { saeId: bare })[0]!.entries.map((e) => e.idx)).toEqual([4]);
    expect(getWatchlist(cat, w.id).name).toBe('mixed');
    expect(getWatchlist(cat, 'MIXED').id).toBe(w.id);
    expect(thrown(() => getWatchlist(cat, 'nope')).message).toContain('known: mixed');
    cat.db.prepare(`DELETE FROM saes WHERE id = ?`).run(bare);
    expect(getWatchlist(cat, w.id).entries.map((e) => e.saeId)).toEqual([saeId]);
    expect(deleteWatchlist(cat, 'mixed')).toBe(true);
    expect(deleteWatchlist(cat, 'mixed')).toBe(false);
    expect(cat.db.prepare(`SELECT count(*) FROM watchlist_entries`).pluck().get()).toBe(0);
    cat.close();
  });

  it('a read-only connection reads but never writes', () => {
    const path = tmp.file('readonly.db');
    const { cat, saeId } = setup('readonly.db');
    saveWatchlist(cat, { name: 'ro', entries: [{ saeId, idx: 0 }] });
    cat.close();
    const reader = openCatalog(path, { readonly: true });
    expect(listWatchlists(reader).map((w) => w.entries.length)).toEqual([1]);
    expect(thrown(() => saveWatchlist(reader, { name: 'x', entries: [] })).code).toBe('internal');
    reader.close();
  });
});
