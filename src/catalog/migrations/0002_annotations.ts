import type { Migration } from './types';

// What people add: labels, tags, notes, and the experiment log.
// These are keyed by (sae_id, idx), not by analysis, so they survive a re-analysis.
export const migration0002: Migration = {
  version: 2,
  name: 'annotations',
  sql: /* sql */ `
CREATE TABLE labels (
  sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  user_label TEXT NOT NULL CHECK (length(user_label) > 0),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (sae_id, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0)
) STRICT;

CREATE TABLE feature_tags (
  sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (sae_id, idx, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX feature_tags_by_tag ON feature_tags(tag_id, sae_id, idx);

CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  sae_id INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  text TEXT NOT NULL CHECK (length(trim(text)) > 0),
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX notes_feature ON notes(sae_id, idx, created_at);

-- AUTOINCREMENT: a cited exp-000123 must never be handed to another run, even after a delete.
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('ablation', 'steering', 'attribution', 'probe', 'audit', 'scan')),
  sae_id INTEGER REFERENCES saes(id) ON DELETE SET NULL,
  inputs TEXT NOT NULL CHECK (json_valid(inputs)),
  seed INTEGER,
  outputs TEXT NOT NULL CHECK (json_valid(outputs)),
  created_at INTEGER NOT NULL,
  app_version TEXT NOT NULL
) STRICT;
CREATE INDEX experiments_sae ON experiments(sae_id, id);
`,
};
