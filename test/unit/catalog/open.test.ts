import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { migrate, openCatalog } from '../../../src/catalog/open';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/catalog/migrations/index';
import { searchFeatures } from '../../../src/catalog/queries';
import { beginAnalysis, commitAnalysis, writeFeatures } from '../../../src/catalog/writes';
import { saveWatchlist } from '../../../src/catalog/watchlists';
import { addSae, feature, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function schemaOf(db: Database.Database): string[] {
  return (db.prepare(`SELECT type || ' ' || name || ': ' || coalesce(sql, '') AS s FROM sqlite_schema ORDER BY type, name`).pluck().all() as string[]).map(
    (s) => s.replace(/\s+/g, ' '),
  );
}

function thrown(fn: () => unknown): FeaturescopeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FeaturescopeError);
    return err as FeaturescopeError;
  }
  throw new Error('expected a FeaturescopeError, nothing was thrown');
}

describe('openCatalog', () => {
  it('creates a file with WAL, synchronous=FULL, foreign keys and the latest schema', () => {
    const cat = openCatalog(tmp.file('fresh.db'));
    expect(cat.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(cat.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(cat.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(cat.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    // One step per version, none skipped: a catalog at version n has run exactly steps 1 … n.
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
    cat.close();
  });

  it('declares every ordinary table STRICT', () => {
    const cat = openCatalog(tmp.file('strict.db'));
    const tables = cat.db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table'`).all() as Array<{
      name: string;
      strict: number;
    }>;
    // FTS5 keeps its own shadow tables (features_fts_data, …); SQLite creates them, not us.
    const ours = tables.filter((t) => !/_fts_|^sqlite_/.test(t.name));
    expect(ours.map((t) => t.name).sort()).toEqual(
      ['analyses', 'corpora', 'examples', 'experiments', 'feature_tags', 'features', 'labels', 'logit_effects', 'models', 'notes', 'saes', 'tags', 'watchlist_entries', 'watchlists', 'writer_leases', 'corpus_folders'].sort(),
    );
    for (const t of ours) expect({ name: t.name, strict: t.strict }).toEqual({ name: t.name, strict: 1 });
    cat.close();
  });

  it('caches prepared statements per connection', () => {
    const cat = openCatalog(tmp.file('cache.db'));
    expect(cat.statement('SELECT 1')).toBe(cat.statement('SELECT 1'));
    expect(cat.statement('SELECT 1')).not.toBe(cat.statement('SELECT 2'));
    cat.close();
  });

  it('migrates from every previous version to the same schema, keeping the data and indexing it for search', () => {
    const fresh = openCatalog(tmp.file('reference.db'));
    const reference = schemaOf(fresh.db);
    fresh.close();

    // Every version a file can be at: empty, then after each step but the last.
    for (const from of [0, ...MIGRATIONS.slice(0, -1).map((m) => m.version)]) {
      const path = tmp.file(`from-v${from}.db`);
      const raw = new Database(path);
      expect(migrate(raw, from)).toBe(from);
      expect(raw.pragma('user_version', { simple: true })).toBe(from);
      if (from >= 1) {
        // Data written the way an app at this version wrote it.
        raw.exec(`
          INSERT INTO models (id, name, path, architecture, config, added_at) VALUES (1, 'm', '/m', 'gpt2', '{}', 1);
          INSERT INTO saes (id, name, model_id, hook_name, architecture, d_in, d_sae, cfg, metrics, provenance, weights_path, created_at)
            VALUES (1, 's', 1, 'blocks.0.hook_resid_post', 'topk', 4, 8, '{}', '{}', '{}', '/w', 1);
          INSERT INTO analyses (id, sae_id, state, started_at, ended_at, feature_count) VALUES (1, 1, 'complete', 1, 2, 1);
          UPDATE saes SET active_analysis_id = 1;
          INSERT INTO features (id, analysis_id, sae_id, idx, density, max_act, mean_act, explanation, top_tokens)
            VALUES (1, 1, 1, 3, 0.5, 2.0, 1.0, 'fires on " zebra"', '[" zebra", "."]');
          INSERT INTO examples (id, feature_id, kind, bucket, rank, max_act, tokens, acts, doc, start)
            VALUES (1024, 1, 'top', 0, 0, 2.0, '[" striped", " zebra"]', x'0000000000000040', 0, 0);
        `);
      }
      if (from >= 2) raw.exec(`INSERT INTO labels (sae_id, idx, user_label, updated_at) VALUES (1, 3, 'savanna animals', 5)`);
      if (from >= 4) {
        raw.exec(`
          INSERT INTO watchlists (id, name, note, created_at, updated_at) VALUES (1, 'animals', '', 1, 1);
          INSERT INTO watchlist_entries (watchlist_id, sae_id, idx, threshold, label) VALUES (1, 1, 3, 1.5, NULL);
        `);
      }
      raw.close();

      const cat = openCatalog(path);
      expect(cat.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(schemaOf(cat.db)).toEqual(reference);
      if (from >= 1) {
        expect(searchFeatures(cat, { saeId: 1, q: 'striped' }).rows.map((r) => r.idx)).toEqual([3]); // example text backfilled
        expect(searchFeatures(cat, { saeId: 1, q: 'zebra' }).total).toBe(1);
        // Migration 0009 indexed the top tokens' symbols: "." is one; the JSON's own quotes are not.
        expect(searchFeatures(cat, { saeId: 1, q: '.' }).rows.map((r) => r.idx)).toEqual([3]);
        expect(searchFeatures(cat, { saeId: 1, q: '"' }).total).toBe(0);
      }
      if (from >= 2) expect(searchFeatures(cat, { saeId: 1, q: 'savanna' }).rows[0]?.userLabel).toBe('savanna animals');
      // The complete analysis got its sort ranks from migration 0005, so column sorts seek on it (a file
      // already at 5 or later had them written by commitAnalysis, which the rows above skip).
      if (from >= 1 && from < 5) expect(cat.db.prepare(`SELECT density_rank + density_desc_rank + max_act_rank + max_act_desc_rank AS ranks FROM features WHERE id = 1`).get()).toEqual({ ranks: 0 });
      // The watchlist tables work on migrated data: the default threshold comes from the old analysis.
      if (from >= 1 && from < 4) expect(saveWatchlist(cat, { name: 'zebras', entries: [{ saeId: 1, idx: 3 }] }).entries[0]).toMatchObject({ threshold: 1, maxAct: 2 });
      cat.close();
    }
  });

  it('lets two processes that both read the old version migrate at once: the second skips the steps applied meanwhile', () => {
    const path = tmp.file('race.db');
    const early = new Database(path); // read version 0, then lost the race for the write lock
    const winner = new Database(path);
    expect(migrate(winner)).toBe(LATEST_SCHEMA_VERSION);
    expect(migrate(early, LATEST_SCHEMA_VERSION, 0)).toBe(LATEST_SCHEMA_VERSION);
    expect(schemaOf(early)).toEqual(schemaOf(winner));
    early.close();
    winner.close();
  });

  it('refuses a catalog newer than this app, naming the file, both versions and what to do', () => {
    const path = tmp.file('future.db');
    openCatalog(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 4}`);
    raw.close();
    for (const readonly of [false, true]) {
      const err = thrown(() => openCatalog(path, { readonly }));
      expect(err.code).toBe('unsupported');
      expect(err.message).toContain(path);
      expect(err.message).toContain(`version ${LATEST_SCHEMA_VERSION + 4}`);
      expect(err.message).toContain(`up to ${LATEST_SCHEMA_VERSION}`);
      expect(err.message).toContain('update Featurescope');
    }
    // Refusal must not have touched the file.
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 4);
    after.close();
  });

  it('reports a damaged b-tree page found by quick_check as bad_file naming the file', () => {
    const path = tmp.file('damaged.db');
    const cat = openCatalog(path);
    const saeId = addSae(cat, 4096);
    const a = beginAnalysis(cat, { saeId, corpusId: null });
    writeFeatures(cat, a, Array.from({ length: 400 }, (_, i) => feature(i, ` w${i}`)));
    commitAnalysis(cat, a);
    const pageSize = Number(cat.db.pragma('page_size', { simple: true }));
    cat.close(); // last connection: WAL checkpointed into the main file

    const pages = readFileSync(path).length / pageSize;
    expect(pages).toBeGreaterThan(20);
    // Scribble over the middle of the file, past page 1 (the header stays valid).
    const fd = openSync(path, 'r+');
    const junk = Buffer.alloc(pageSize * 4, 0xa5);
    writeSync(fd, junk, 0, junk.length, pageSize * Math.floor(pages / 2));
    closeSync(fd);

    const err = thrown(() => openCatalog(path));
    expect(err.code).toBe('bad_file');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/is damaged \(quick_check: /);
  });

  it('reports a file that is not SQLite at all, or SQLite but not a catalog, as bad_file', () => {
    const garbage = tmp.file('garbage.db');
    writeFileSync(garbage, Buffer.alloc(8192, 0x42));
    const e1 = thrown(() => openCatalog(garbage));
    expect(e1.code).toBe('bad_file');
    expect(e1.message).toContain(garbage);

    const other = tmp.file('other.db');
    const raw = new Database(other);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    const e2 = thrown(() => openCatalog(other));
    expect(e2.code).toBe('bad_file');
    expect(e2.message).toContain('not a Featurescope catalog');
  });

  it('opens read-only for readers: no writes, no migration, missing file is not_found', () => {
    const path = tmp.file('reader.db');
    openCatalog(path).close();
    const reader = openCatalog(path, { readonly: true });
    expect(() => reader.db.exec(`INSERT INTO tags (name) VALUES ('x')`)).toThrow(/readonly/i);
    reader.close();

    expect(thrown(() => openCatalog(tmp.file('missing.db'), { readonly: true })).code).toBe('not_found');

    const old = tmp.file('old.db');
    const raw = new Database(old);
    migrate(raw, 1);
    raw.close();
    const err = thrown(() => openCatalog(old, { readonly: true }));
    expect(err.code).toBe('unsupported');
    expect(err.message).toContain(old);
  });
});
