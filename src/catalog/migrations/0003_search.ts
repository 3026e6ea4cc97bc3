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

export const migration0003: Migration = {
  version: 3,
  name: 'search',
  sql: /* sql */ `
CREATE VIRTUAL TABLE features_fts USING fts5(
  user_label, explanation, top_tokens,
  content = '', contentless_delete = 1, ${TOKENIZE}
);
CREATE VIRTUAL TABLE examples_fts USING fts5(
  text,
  content = '', contentless_delete = 1, ${TOKENIZE}
);

CREATE TRIGGER features_fts_insert AFTER INSERT ON features BEGIN
  INSERT INTO features_fts(rowid, user_label, explanation, top_tokens)
  VALUES (new.id, ${labelOf('new.sae_id', 'new.idx')}, new.explanation, new.top_tokens);
END;
CREATE TRIGGER features_fts_update AFTER UPDATE OF explanation, top_tokens ON features BEGIN
  INSERT OR REPLACE INTO features_fts(rowid, user_label, explanation, top_tokens)
  VALUES (new.id, ${labelOf('new.sae_id', 'new.idx')}, new.explanation, new.top_tokens);
END;
CREATE TRIGGER features_fts_delete AFTER DELETE ON features BEGIN
  DELETE FROM features_fts WHERE rowid = old.id;
END;

CREATE TRIGGER labels_fts_insert AFTER INSERT ON labels BEGIN
  INSERT OR REPLACE INTO features_fts(rowid, user_label, explanation, top_tokens)
  SELECT id, new.user_label, explanation, top_tokens FROM features WHERE sae_id = new.sae_id AND idx = new.idx;
END;
CREATE TRIGGER labels_fts_update AFTER UPDATE ON labels BEGIN
  INSERT OR REPLACE INTO features_fts(rowid, user_label, explanation, top_tokens)
  SELECT id, new.user_label, explanation, top_tokens FROM features WHERE sae_id = new.sae_id AND idx = new.idx;
END;
CREATE TRIGGER labels_fts_delete AFTER DELETE ON labels BEGIN
  INSERT OR REPLACE INTO features_fts(rowid, user_label, explanation, top_tokens)
  SELECT id, '', explanation, top_tokens FROM features WHERE sae_id = old.sae_id AND idx = old.idx;
END;

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
