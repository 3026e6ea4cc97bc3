import type { Migration } from './types';

// Circuit pruning runs are logged as experiments of kind 'circuit' (issue #13). SQLite cannot
// change a CHECK constraint in place, so the table is rebuilt with the same rows and ids; the
// AUTOINCREMENT counter is carried over, so a cite id handed out before (even of a deleted
// experiment) is never handed out again.
export const migration0011: Migration = {
  version: 11,
  name: 'circuit experiments',
  sql: /* sql */ `
CREATE TABLE experiments_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('ablation', 'steering', 'attribution', 'probe', 'audit', 'scan', 'circuit')),
  sae_id INTEGER REFERENCES saes(id) ON DELETE SET NULL,
  inputs TEXT NOT NULL CHECK (json_valid(inputs)),
  seed INTEGER,
  outputs TEXT NOT NULL CHECK (json_valid(outputs)),
  created_at INTEGER NOT NULL,
  app_version TEXT NOT NULL
) STRICT;
INSERT INTO experiments_new (id, kind, sae_id, inputs, seed, outputs, created_at, app_version)
  SELECT id, kind, sae_id, inputs, seed, outputs, created_at, app_version FROM experiments;
INSERT INTO sqlite_sequence (name, seq) SELECT 'experiments_new', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'experiments_new');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'experiments'), 0)) WHERE name = 'experiments_new';
DROP TABLE experiments;
ALTER TABLE experiments_new RENAME TO experiments;
CREATE INDEX experiments_sae ON experiments(sae_id, id);
`,
};
