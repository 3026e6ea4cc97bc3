// Opening a catalog file: pragmas, integrity check, version gate, migrations.
// Used by the engine (the one writer) and by the host (read-only connections of its own).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { FeaturescopeError } from '../shared/errors';
import { checkIntegrity } from './integrity';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index';
import { recoverInterruptedAnalyses } from './recovery';

/** 'FScp' as a big-endian int: marks a SQLite file as a Featurescope catalog. */
export const CATALOG_APPLICATION_ID = 0x46536370;
const BUSY_TIMEOUT_MS = 5000;
/**
 * Writers wait longer: another process's analysis commit holds the write lock while it fills the
 * sort ranks (18 s for a million features on the bench machine), and the next write must queue
 * behind it rather than fail with SQLITE_BUSY.
 */
const WRITER_BUSY_TIMEOUT_MS = 120_000;

export interface Catalog {
  readonly db: Database.Database;
  readonly path: string;
  readonly readonly: boolean;
  /** A prepared statement, compiled once per connection and reused (Signal-Desktop style). */
  statement(sql: string): Database.Statement;
  close(): void;
}

export interface OpenOptions {
  /** A reader connection: no migrations, no writes, no recovery. Default false. */
  readonly?: boolean;
  /** Path of better-sqlite3's addon when the default one does not fit the runtime (Electron's ABI). */
  nativeBinding?: string;
}

export function openCatalog(path: string, options: OpenOptions = {}): Catalog {
  const readonly = options.readonly ?? false;
  if (readonly && !existsSync(path)) {
    throw new FeaturescopeError('not_found', `Catalog ${path} does not exist.`);
  }
  if (!readonly) mkdirSync(dirname(path), { recursive: true });

  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  } catch (err) {
    throw new FeaturescopeError('bad_file', `Catalog ${path} cannot be opened: ${messageOf(err)}.`);
  }
  try {
    db.pragma(`busy_timeout = ${readonly ? BUSY_TIMEOUT_MS : WRITER_BUSY_TIMEOUT_MS}`);
    // Full or per-table quick_check by file size and history: see integrity.ts.
    checkIntegrity(db, path, readonly);
    const version = checkVersion(db, path, readonly);
    if (!readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new FeaturescopeError('failed', `Catalog ${path}: cannot switch to WAL journal mode (got ${String(mode)}).`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (!readonly) {
      migrate(db, LATEST_SCHEMA_VERSION, version);
    }
  } catch (err) {
    db.close();
    if (err instanceof FeaturescopeError) throw err;
    throw new FeaturescopeError('bad_file', `Catalog ${path} cannot be read: ${messageOf(err)}.`);
  }

  const catalog = wrap(db, path, readonly);
  // Other engines may be writing this workspace right now: recovery fails only the analyses whose
  // writer is gone (writer leases, leases.ts).
  if (!readonly) recoverInterruptedAnalyses(catalog);
  return catalog;
}

function wrap(db: Database.Database, path: string, readonly: boolean): Catalog {
  const cache = new Map<string, Database.Statement>();
  return {
    db,
    path,
    readonly,
    statement(sql: string) {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        stmt = db.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close() {
      cache.clear();
      if (db.open) db.close();
    },
  };
}

function checkVersion(db: Database.Database, path: string, readonly: boolean): number {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > LATEST_SCHEMA_VERSION) {
    throw new FeaturescopeError(
      'unsupported',
      `Catalog ${path} has schema version ${version}, but this Featurescope only knows versions up to ${LATEST_SCHEMA_VERSION}: update Featurescope to open it.`,
    );
  }
  if (version === 0) {
    const tables = Number(db.prepare(`SELECT count(*) FROM sqlite_schema`).pluck().get());
    if (tables > 0) throw new FeaturescopeError('bad_file', `${path} is a SQLite file but not a Featurescope catalog (it has tables and no schema version).`);
  } else {
    const appId = Number(db.pragma('application_id', { simple: true }));
    if (appId !== CATALOG_APPLICATION_ID) {
      throw new FeaturescopeError('bad_file', `${path} is a SQLite file but not a Featurescope catalog (application_id ${appId}).`);
    }
  }
  if (readonly && version < LATEST_SCHEMA_VERSION) {
    throw new FeaturescopeError(
      'unsupported',
      `Catalog ${path} has schema version ${version} and needs upgrading to ${LATEST_SCHEMA_VERSION}; open it with the engine (a writer) first.`,
    );
  }
  return version;
}

/**
 * Apply migrations after `from` up to `to`, each in its own transaction with its user_version,
 * so a crash leaves the file at a whole version. Exported for tests that build older versions.
 */
export function migrate(db: Database.Database, to: number = LATEST_SCHEMA_VERSION, from?: number): number {
  let version = from ?? Number(db.pragma('user_version', { simple: true }));
  if (to > LATEST_SCHEMA_VERSION) throw new FeaturescopeError('internal', `No migration to version ${to}.`);
  for (const step of MIGRATIONS) {
    if (step.version <= version || step.version > to) continue;
    db.transaction(() => {
      // Two engines starting on a new workspace both read the old version; the second to get the
      // write lock finds this step applied already and must not run it again.
      if (Number(db.pragma('user_version', { simple: true })) >= step.version) return;
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
    version = step.version;
  }
  return version;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\.$/, '');
}
