import type { Migration } from './types';

// Writer leases: many processes share one workspace (the app, `serve`, CLI jobs, `doctor`), and
// each job output has at most one writer. A job takes the lease of what it writes before it
// starts, keeps a heartbeat while it runs and gives the lease back when it ends (leases.ts).
//   output        what is written: 'analysis:<sae id>', 'capture:<folder>', 'sae:<name>'
//   lease_id      random per lease: tells two jobs of one process apart, and a lease this process
//                 holds from one an earlier process with the same pid left behind
//   pid, host     the writing process (the engine) and os.hostname() of its machine
//   command       what the user ran there ("featurescope analyze --sae s1"), for the refusal message
//   job           the engine job (sae.analyze, capture.start, sae.train)
// A lease whose process is gone (pid dead on this host; heartbeat too old on another host) is
// taken over by the next writer, and recovery (recovery.ts) cleans up only behind gone writers.
export const migration0006: Migration = {
  version: 6,
  name: 'writer leases',
  sql: /* sql */ `
CREATE TABLE writer_leases (
  output TEXT PRIMARY KEY CHECK (length(output) BETWEEN 1 AND 4096),
  lease_id TEXT NOT NULL,
  pid INTEGER NOT NULL CHECK (pid > 0),
  host TEXT NOT NULL,
  command TEXT NOT NULL,
  job TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
) STRICT;
`,
};
