import type { Migration } from './types';

// Models, corpora, SAEs and what an analysis writes about their features.
//
// Visibility rule: every feature row belongs to one analysis. Readers only ever look at the
// SAE's `active_analysis_id`, which is set in the same transaction that marks the analysis
// complete. Rows of a running, failed or superseded analysis exist in the file but are never
// shown; the writer purges them. So an interrupted analysis leaves nothing a reader can see,
// and a re-analysis replaces the old one atomically.
export const migration0001: Migration = {
  version: 1,
  name: 'core',
  sql: /* sql */ `
PRAGMA application_id = 1179870064;

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  architecture TEXT NOT NULL,
  config TEXT NOT NULL CHECK (json_valid(config)),
  added_at INTEGER NOT NULL
) STRICT;

CREATE TABLE corpora (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source_path TEXT NOT NULL,
  tokenization TEXT NOT NULL CHECK (json_valid(tokenization)),
  token_count INTEGER NOT NULL CHECK (token_count >= 0),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  added_at INTEGER NOT NULL
) STRICT;

CREATE TABLE saes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  hook_name TEXT NOT NULL,
  architecture TEXT NOT NULL,
  d_in INTEGER NOT NULL CHECK (d_in > 0),
  d_sae INTEGER NOT NULL CHECK (d_sae > 0),
  cfg TEXT NOT NULL CHECK (json_valid(cfg)),
  metrics TEXT NOT NULL CHECK (json_valid(metrics)),
  provenance TEXT NOT NULL CHECK (json_valid(provenance)),
  weights_path TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The one analysis readers see; switched in the analysis's commit transaction.
  active_analysis_id INTEGER REFERENCES analyses(id) ON DELETE SET NULL
) STRICT;
CREATE INDEX saes_model ON saes(model_id);
CREATE INDEX saes_active_analysis ON saes(active_analysis_id);

CREATE TABLE analyses (
  id INTEGER PRIMARY KEY,
  sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  corpus_id INTEGER REFERENCES corpora(id) ON DELETE SET NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'failed', 'superseded')),
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  feature_count INTEGER NOT NULL DEFAULT 0 CHECK (feature_count >= 0),
  message TEXT
) STRICT;
CREATE INDEX analyses_sae ON analyses(sae_id, state);
CREATE INDEX analyses_corpus ON analyses(corpus_id);
CREATE INDEX analyses_state ON analyses(state);

CREATE TABLE features (
  id INTEGER PRIMARY KEY,
  analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
  sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  density REAL NOT NULL CHECK (density BETWEEN 0 AND 1),
  max_act REAL NOT NULL,
  mean_act REAL NOT NULL,
  histogram TEXT CHECK (histogram IS NULL OR json_valid(histogram)),
  -- Automatic explanation derived from this analysis's top examples (explain.ts).
  explanation TEXT NOT NULL DEFAULT '',
  -- JSON array of the dominant max-activating tokens, biggest weight first.
  top_tokens TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(top_tokens)),
  UNIQUE (analysis_id, idx)
) STRICT;
-- Covering for filters: a range on one column, a test on the other and the idx that tag
-- filters and the label join need, all answered from the index without touching table rows.
CREATE INDEX features_density ON features(analysis_id, density, max_act, idx);
CREATE INDEX features_max_act ON features(analysis_id, max_act, density, idx);
-- Tag filters start from feature_tags and look each idx up here, ranges answered in the index.
CREATE INDEX features_idx_stats ON features(analysis_id, idx, density, max_act);
CREATE INDEX features_sae_idx ON features(sae_id, idx);

CREATE TABLE examples (
  -- featureId * 1024 + k: search maps an example hit to its feature without a lookup (writes.ts).
  id INTEGER PRIMARY KEY CHECK (id / 1024 = feature_id),
  feature_id INTEGER NOT NULL REFERENCES features(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('top', 'quantile')),
  bucket INTEGER NOT NULL CHECK (bucket >= 0),
  rank INTEGER NOT NULL CHECK (rank >= 0),
  max_act REAL NOT NULL,
  -- JSON array of decoded token strings.
  tokens TEXT NOT NULL CHECK (json_valid(tokens)),
  -- One float32 (little-endian) per token: 4 bytes a token instead of a row a token.
  acts BLOB NOT NULL CHECK (length(acts) = 4 * json_array_length(tokens)),
  doc INTEGER NOT NULL CHECK (doc >= 0),
  start INTEGER NOT NULL CHECK (start >= 0),
  UNIQUE (feature_id, kind, bucket, rank)
) STRICT;

CREATE TABLE logit_effects (
  feature_id INTEGER PRIMARY KEY REFERENCES features(id) ON DELETE CASCADE,
  promoted TEXT NOT NULL CHECK (json_valid(promoted)),
  suppressed TEXT NOT NULL CHECK (json_valid(suppressed))
) STRICT;
`,
};
