import type { Migration } from './types';

// Full-text search, kept in sync by triggers (as Signal-Desktop does for messages).
//
// Two contentless FTS5 indexes (the text already lives in features/labels/examples, so the
// index stores only postings; contentless_delete=1 lets triggers delete and replace rows):
//   features_fts  rowid = features.id: user label, automatic explanation, top tokens
//   examples_fts  rowid = examples.id: the example's text (its tokens joined)
// '_' is a token character so identifiers like __init__ stay whole.
// Backfills existing rows, so upgrading a catalog from version 2 loses no search hits.
const TOKENIZE = `tokenize = "unicode61 remove_diacritics 2 tokenchars '_'"`;

const labelOf = (saeId: string, idx: string) =>
  `coalesce((SELECT user_label FROM labels WHERE sae_id = ${saeId} AND idx = ${idx}), '')`;

function reindexOnLabel(name: string, when: string, row: 'new' | 'old', label: string): string {
  return `CREATE TRIGGER ${name} ${when} ON labels BEGIN
  DELETE FROM features_fts WHERE rowid IN (SELECT id FROM features WHERE sae_id = ${row}.sae_id AND idx = ${row}.idx);
  INSERT INTO features_fts(rowid, user_label, explanation, top_tokens)
  SELECT id, ${label}, explanation, top_tokens FROM features WHERE sae_id = ${row}.sae_id AND idx = ${row}.idx;
END;`;
}

export const migration0003: Migration = {
  version: 3,
  name: 'search',
  sql: /* sql */ `
CREATE VIRTUAL TABLE features_fts USING fts5(
  user_label, explanation, top_tokens,
  content = '', contentless_delete = 1, ${TOKENIZE}
);
-- Persistent rank function: a user's label weighs twice an explanation or top token.
INSERT INTO features_fts(features_fts, rank) VALUES ('rank', 'bm25(4.0, 2.0, 2.0)');
CREATE VIRTUAL TABLE examples_fts USING fts5(
  text,
  content = '', contentless_delete = 1, ${TOKENIZE}
);

CREATE TRIGGER features_fts_insert AFTER INSERT ON features BEGIN
  INSERT INTO features_fts(rowid, user_label, explanation, top_tokens)
  VALUES (new.id, ${labelOf('new.sae_id', 'new.idx')}, new.explanation, new.top_tokens);
END;
CREATE TRIGGER features_fts_update AFTER UPDATE OF explanation, top_tokens ON features BEGIN
  DELETE FROM features_fts WHERE rowid = old.id;
  INSERT INTO features_fts(rowid, user_label, explanation, top_tokens)
  VALUES (new.id, ${labelOf('new.sae_id', 'new.idx')}, new.explanation, new.top_tokens);
END;
CREATE TRIGGER features_fts_delete AFTER DELETE ON features BEGIN
  DELETE FROM features_fts WHERE rowid = old.id;
END;

-- A label belongs to (sae_id, idx): re-index that feature in every analysis that has it.
-- Delete then insert, not INSERT OR REPLACE: when the label is written by an upsert
-- (ON CONFLICT DO UPDATE) the outer statement's conflict mode overrides the trigger's, and the
-- contentless index would keep the old label's words next to the new ones.
${reindexOnLabel('labels_fts_insert', 'AFTER INSERT', 'new', 'new.user_label')}
${reindexOnLabel('labels_fts_update', 'AFTER UPDATE', 'new', 'new.user_label')}
${reindexOnLabel('labels_fts_delete', 'AFTER DELETE', 'old', "''")}

CREATE TRIGGER examples_fts_insert AFTER INSERT ON examples BEGIN
  INSERT INTO examples_fts(rowid, text)
  VALUES (new.id, (SELECT group_concat(value, '') FROM json_each(new.tokens)));
END;
CREATE TRIGGER examples_fts_delete AFTER DELETE ON examples BEGIN
  DELETE FROM examples_fts WHERE rowid = old.id;
END;

INSERT INTO features_fts(rowid, user_label, explanation, top_tokens)
  SELECT f.id, coalesce(l.user_label, ''), f.explanation, f.top_tokens
  FROM features f LEFT JOIN labels l ON l.sae_id = f.sae_id AND l.idx = f.idx;
INSERT INTO examples_fts(rowid, text)
  SELECT id, (SELECT group_concat(value, '') FROM json_each(examples.tokens)) FROM examples;
`,
};
