import { migration0001 } from './0001_core';
import { migration0002 } from './0002_annotations';
import { migration0003 } from './0003_search';
import { migration0004 } from './0004_watchlists';
import { migration0005 } from './0005_sort_ranks';
import { migration0006 } from './0006_writer_leases';
import { migration0007 } from './0007_corpus_folders';
import { migration0008 } from './0008_sae_model';
import { migration0009 } from './0009_symbol_search';
import { migration0010 } from './0010_explanation_scores';
import { migration0011 } from './0011_circuit_experiments';
import type { Migration } from './types';

export type { Migration } from './types';

/** Every schema step in order: entry i has version i + 1, numbered as its file. Append only: never edit a shipped step. */
export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007, migration0008, migration0009, migration0010, migration0011];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
