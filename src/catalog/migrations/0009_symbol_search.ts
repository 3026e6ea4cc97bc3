import { spaceSymbolsSql, SYMBOLS_TOKENIZE } from './symbols';
import type { Migration } from './types';

// Punctuation searchable: a third contentless FTS5 index, rowid = features.id, over each
// feature's top tokens with every symbol a token of its own (features_fts's unicode61 drops
// them, so `--q .` and `--q '"'` searched for nothing). Only top tokens: explanations quote
// their tokens ("fires on \" def\""), so every one would match '"', and nearly every example
// text holds "." — what a reader asks with "." is which features fire on it.
//
// Catalogs analysed before token text was taken in context (a SentencePiece model's tokens
// stored without their word-initial space) are not rebuilt here: the text can only be recovered
// from the corpus, so re-run analyze for those SAEs (README, "Token text").
const document = (row: string) => spaceSymbolsSql(`(SELECT group_concat(value, ' ') FROM json_each(${row}.top_tokens))`);

export const migration0009: Migration = {
  version: 9,
  name: 'symbol search',
  sql: /* sql */ `
CREATE VIRTUAL TABLE symbols_fts USING fts5(
  top_tokens,
  content = '', contentless_delete = 1, ${SYMBOLS_TOKENIZE}
);
CREATE TRIGGER symbols_fts_insert AFTER INSERT ON features BEGIN
  INSERT INTO symbols_fts(rowid, top_tokens) VALUES (new.id, ${document('new')});
END;
CREATE TRIGGER symbols_fts_update AFTER UPDATE OF top_tokens ON features BEGIN
  DELETE FROM symbols_fts WHERE rowid = old.id;
  INSERT INTO symbols_fts(rowid, top_tokens) VALUES (new.id, ${document('new')});
END;
CREATE TRIGGER symbols_fts_delete AFTER DELETE ON features BEGIN
  DELETE FROM symbols_fts WHERE rowid = old.id;
END;
INSERT INTO symbols_fts(rowid, top_tokens) SELECT id, ${document('features')} FROM features;
`,
};
