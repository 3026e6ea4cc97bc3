import type { Migration } from './types';

// Watchlists: named sets of features to monitor, each with a threshold in activation units.
// A scan over a corpus or prompt list flags the contexts where a watched feature exceeds its
// threshold; scans themselves are logged as experiments of kind 'scan' (experiments table), so
// nothing here stores scan results.
//
// Entries are keyed by (sae_id, idx) like labels and tags, not by analysis: a watchlist survives
// a re-analysis. An SAE deleted takes its entries with it; the watchlist stays (maybe empty).
export const migration0004: Migration = {
  version: 4,
  name: 'watchlists',
  sql: /* sql */ `
CREATE TABLE watchlists (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 80),
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE watchlist_entries (
  watchlist_id INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
  sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  -- In the feature's activation units; a scan flags a context where the feature exceeds it.
  threshold REAL NOT NULL CHECK (threshold > 0),
  label TEXT CHECK (label IS NULL OR length(trim(label)) > 0),
  PRIMARY KEY (watchlist_id, sae_id, idx)
) STRICT, WITHOUT ROWID;
-- "Which watchlists watch this feature" (the feature page).
CREATE INDEX watchlist_entries_feature ON watchlist_entries(sae_id, idx);
`,
};
