// Watchlists: named sets of SAE features to monitor, each with a threshold in activation units
// (migrations/0004_watchlists.ts; the schemas are the contract's, src/shared/contract/watch.ts).
// Writes run in the engine (the one writer), each one transaction; reads are safe on any connection.
import { z } from 'zod';
import { WATCHLIST_MAX_ENTRIES, WatchlistAddEntriesInput, WatchlistSaveInput, type Watchlist, type WatchlistEntry, type WatchlistRef } from '../shared/contract/watch';

type WatchlistSaveOutput = z.output<typeof WatchlistSaveInput>;
import { FeaturescopeError } from '../shared/errors';
import type { Catalog } from './open';

export type { Watchlist, WatchlistAddEntriesInput, WatchlistEntry, WatchlistRef, WatchlistSaveInput } from '../shared/contract/watch';

const ENTRIES_SQL = `
  SELECT e.sae_id AS saeId, e.idx, e.threshold, e.label, l.user_label AS userLabel, f.explanation, f.max_act AS maxAct
  FROM watchlist_entries e
  LEFT JOIN saes s ON s.id = e.sae_id
  LEFT JOIN features f ON f.analysis_id = s.active_analysis_id AND f.idx = e.idx
  LEFT JOIN labels l ON l.sae_id = e.sae_id AND l.idx = e.idx
  WHERE e.watchlist_id = ?`;

interface WatchlistRow {
  id: number;
  name: string;
  note: string;
  createdAt: number;
  updatedAt: number;
}
const WATCHLIST_COLUMNS = `id, name, note, created_at AS createdAt, updated_at AS updatedAt`;

/** Every watchlist, by name; with `saeId`, only the entries of that SAE are listed. */
export function listWatchlists(catalog: Catalog, args: { saeId?: number } = {}): Watchlist[] {
  return catalog.db.transaction(() => {
    const rows = catalog.statement(`SELECT ${WATCHLIST_COLUMNS} FROM watchlists ORDER BY name COLLATE NOCASE, id`).all() as WatchlistRow[];
    return rows.map((w) => withEntries(catalog, w, args.saeId));
  })();
}

/** One watchlist by id or name; not_found names what was asked for. */
export function getWatchlist(catalog: Catalog, ref: WatchlistRef, field = 'watchlist'): Watchlist {
  const row = findWatchlist(catalog, ref);
  if (row === undefined) throw notFound(catalog, ref, field);
  return withEntries(catalog, row);
}

function notFound(catalog: Catalog, ref: WatchlistRef, field: string): FeaturescopeError {
  const known = (catalog.statement(`SELECT name FROM watchlists ORDER BY name COLLATE NOCASE`).pluck().all() as string[]).join(', ');
  return new FeaturescopeError('not_found', `There is no watchlist ${typeof ref === 'number' ? `#${ref}` : `"${ref}"`} (known: ${known || 'none'}).`, field);
}

/**
 * Create or rewrite a watchlist and its entries in one transaction. Without `id` a name already
 * taken (any case) is refused unless `replace` is set; with `expectedUpdatedAt`, a list written
 * since the caller read it is refused. An entry without a threshold gets `defaultFraction` × the
 * feature's max activation in its SAE's active analysis; a feature index outside the SAE, a
 * duplicate entry, or a default that cannot be taken is refused.
 */
export function saveWatchlist(catalog: Catalog, input: WatchlistSaveInput): Watchlist {
  const cat = writer(catalog);
  const w = parse(WatchlistSaveInput, input);
  return cat.db
    .transaction(() => {
      const sameName = findWatchlist(cat, w.name);
      let target: WatchlistRow | undefined;
      if (w.id !== undefined) {
        target = findWatchlist(cat, w.id);
        if (target === undefined) throw new FeaturescopeError('not_found', `There is no watchlist #${w.id}; it may have been deleted elsewhere.`, 'id');
        if (sameName !== undefined && sameName.id !== w.id) throw new FeaturescopeError('invalid_input', `name: another watchlist is already called "${sameName.name}".`, 'name');
      } else if (sameName !== undefined) {
        if (!w.replace) {
          const count = cat.statement(`SELECT count(*) FROM watchlist_entries WHERE watchlist_id = ?`).pluck().get(sameName.id) as number;
          throw new FeaturescopeError('invalid_input', `name: there is already a watchlist called "${sameName.name}" (#${sameName.id}, ${count} features); pick another name, or open "${sameName.name}" to edit it.`, 'name');
        }
        target = sameName;
      }
      if (w.expectedUpdatedAt !== undefined && target !== undefined && target.updatedAt !== w.expectedUpdatedAt) {
        throw new FeaturescopeError('invalid_input', `Watchlist "${target.name}" changed elsewhere since it was read; reload it and make your edits again.`, 'expectedUpdatedAt');
      }
      let id: number;
      if (target !== undefined) {
        cat.statement(`UPDATE watchlists SET name = ?, note = ?, updated_at = ? WHERE id = ?`).run(w.name, w.note, nextStamp(target), target.id);
        id = target.id;
      } else {
        const now = Date.now();
        id = Number(cat.statement(`INSERT INTO watchlists (name, note, created_at, updated_at) VALUES (?, ?, ?, ?)`).run(w.name, w.note, now, now).lastInsertRowid);
      }
      cat.statement(`DELETE FROM watchlist_entries WHERE watchlist_id = ?`).run(id);
      insertEntries(cat, id, w.entries, w.defaultFraction, new Set());
      return getWatchlist(cat, id);
    })
    .immediate();
}

export interface AddedEntries {
  watchlist: Watchlist;
  /** Entries of the input already on the list: left as they were (threshold and label kept). */
  alreadyThere: Array<{ saeId: number; idx: number }>;
  created: boolean;
}

/**
 * Add entries to a watchlist in one transaction, keeping everything it holds: the read-modify-write
 * happens inside the writer, so two callers adding at once both land. An entry already on the list
 * is left as it is (adding is idempotent; thresholds change through `saveWatchlist`). With
 * `create`, a name no list has creates the list.
 */
export function addWatchlistEntries(catalog: Catalog, input: WatchlistAddEntriesInput): AddedEntries {
  const cat = writer(catalog);
  const a = parse(WatchlistAddEntriesInput, input);
  return cat.db
    .transaction((): AddedEntries => {
      let row = findWatchlist(cat, a.watchlist);
      let created = false;
      if (row === undefined) {
        if (!a.create || typeof a.watchlist !== 'string') throw notFound(cat, a.watchlist, 'watchlist');
        const now = Date.now();
        const id = Number(cat.statement(`INSERT INTO watchlists (name, note, created_at, updated_at) VALUES (?, '', ?, ?)`).run(a.watchlist, now, now).lastInsertRowid);
        row = findWatchlist(cat, id)!;
        created = true;
      }
      const held = new Set((cat.statement(`SELECT sae_id || ':' || idx FROM watchlist_entries WHERE watchlist_id = ?`).pluck().all(row.id) as string[]));
      const alreadyThere = a.entries.filter((e) => held.has(`${e.saeId}:${e.idx}`)).map((e) => ({ saeId: e.saeId, idx: e.idx }));
      const fresh = insertEntries(cat, row.id, a.entries, a.defaultFraction, held);
      if (held.size + fresh > WATCHLIST_MAX_ENTRIES) {
        throw new FeaturescopeError('invalid_input', `entries: watchlist "${row.name}" holds ${held.size} features and would hold ${held.size + fresh}; a watchlist holds at most ${WATCHLIST_MAX_ENTRIES}.`, 'entries');
      }
      if (fresh > 0 && !created) cat.statement(`UPDATE watchlists SET updated_at = ? WHERE id = ?`).run(nextStamp(row), row.id);
      return { watchlist: getWatchlist(cat, row.id), alreadyThere, created };
    })
    .immediate();
}

/** Returns whether there was such a watchlist. */
export function deleteWatchlist(catalog: Catalog, ref: WatchlistRef): boolean {
  const cat = writer(catalog);
  const row = findWatchlist(cat, ref);
  if (row === undefined) return false;
  return cat.statement(`DELETE FROM watchlists WHERE id = ?`).run(row.id).changes > 0;
}

function defaultThreshold(cat: Catalog, sae: { name: string; analysisId: number | null }, idx: number, fraction: number, i: number): number {
  const field = `entries.${i}.threshold`;
  if (sae.analysisId === null) {
    throw new FeaturescopeError('invalid_input', `${field}: SAE ${sae.name} has no analysis to take a default threshold from; give a threshold in activation units or analyse the SAE first.`, field);
  }
  const maxAct = cat.statement(`SELECT max_act FROM features WHERE analysis_id = ? AND idx = ?`).pluck().get(sae.analysisId, idx) as number | undefined;
  if (maxAct === undefined || !(maxAct > 0)) {
    throw new FeaturescopeError('invalid_input', `${field}: feature ${idx} of SAE ${sae.name} never fired in its analysis, so it has no max activation to take a default from; give a threshold.`, field);
  }
  return fraction * maxAct;
}

/**
 * Checks and inserts entries; a key in `held` (already on the list) is skipped, a key twice in
 * `entries` is refused. Returns how many were inserted.
 */
function insertEntries(cat: Catalog, watchlistId: number, entries: WatchlistSaveOutput['entries'], fraction: number, held: ReadonlySet<string>): number {
  const insert = cat.statement(`INSERT INTO watchlist_entries (watchlist_id, sae_id, idx, threshold, label) VALUES (?, ?, ?, ?, ?)`);
  const seen = new Set<string>();
  let inserted = 0;
  entries.forEach((e, i) => {
    const key = `${e.saeId}:${e.idx}`;
    if (seen.has(key)) throw new FeaturescopeError('invalid_input', `entries.${i}: feature ${e.idx} of SAE ${e.saeId} is listed twice.`, `entries.${i}.idx`);
    seen.add(key);
    if (held.has(key)) return;
    const sae = cat.statement(`SELECT name, d_sae AS dSae, active_analysis_id AS analysisId FROM saes WHERE id = ?`).get(e.saeId) as { name: string; dSae: number; analysisId: number | null } | undefined;
    if (sae === undefined) throw new FeaturescopeError('not_found', `entries.${i}.saeId: there is no SAE ${e.saeId} in catalog ${cat.path}.`, `entries.${i}.saeId`);
    if (e.idx >= sae.dSae) throw new FeaturescopeError('invalid_input', `entries.${i}.idx: SAE ${sae.name} has features 0–${sae.dSae - 1}, not ${e.idx}.`, `entries.${i}.idx`);
    const threshold = e.threshold ?? defaultThreshold(cat, sae, e.idx, fraction, i);
    insert.run(watchlistId, e.saeId, e.idx, threshold, e.label ?? null);
    inserted++;
  });
  return inserted;
}

/** A new updated_at for a write to `row`: now, but always later than the last one, so a reader's stamp tells writes apart. */
function nextStamp(row: WatchlistRow): number {
  return Math.max(Date.now(), row.updatedAt + 1);
}

function findWatchlist(cat: Catalog, ref: WatchlistRef): WatchlistRow | undefined {
  return (
    typeof ref === 'number'
      ? cat.statement(`SELECT ${WATCHLIST_COLUMNS} FROM watchlists WHERE id = ?`).get(ref)
      : cat.statement(`SELECT ${WATCHLIST_COLUMNS} FROM watchlists WHERE name = ? COLLATE NOCASE`).get(ref.trim())
  ) as WatchlistRow | undefined;
}

function withEntries(cat: Catalog, w: WatchlistRow, saeId?: number): Watchlist {
  const sql = saeId === undefined ? `${ENTRIES_SQL} ORDER BY e.sae_id, e.idx` : `${ENTRIES_SQL} AND e.sae_id = ? ORDER BY e.idx`;
  const args = saeId === undefined ? [w.id] : [w.id, saeId];
  return { ...w, entries: cat.statement(sql).all(...args) as WatchlistEntry[] };
}

function writer(catalog: Catalog): Catalog {
  if (catalog.readonly) throw new FeaturescopeError('internal', `Catalog ${catalog.path} was opened read-only; only the engine writes.`);
  return catalog;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new FeaturescopeError('invalid_input', `${field || 'watchlist'}: ${issue.message}`, field || undefined);
}
