import type { Migration } from './types';

// Corpus folders: the folders the user has added to the workspace as places corpora may come from.
// A browser caller (serve mode's WebSocket clients, the Electron window) may read a corpus only
// inside one of these; the CLI, which the user types, may read any path it names. Paths are stored
// resolved (realpath), so a link cannot stand in for a folder that was never added.
export const migration0007: Migration = {
  version: 7,
  name: 'corpus_folders',
  sql: /* sql */ `
CREATE TABLE corpus_folders (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE CHECK (length(path) BETWEEN 1 AND 4096),
  added_at INTEGER NOT NULL
) STRICT;
`,
};
