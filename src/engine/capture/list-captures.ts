// The captures in a workspace's activations/ folder, for the Train form and `featurescope captures`:
// a capture is a folder holding one activation store per hook (each a folder with manifest.json)
// and, when written by capture.start, capture.json naming the model folder. Stores whose manifest
// does not read are listed with the reason instead of being hidden, so a damaged capture is seen.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { MANIFEST_FILE, readManifest } from './store';

export interface CaptureStoreSummary {
  hook: string;
  storeDir: string;
  tokens: number;
  shards: number;
  dIn: number | null;
  dtype: string | null;
  complete: boolean;
  /** Why the manifest could not be read; null when it could. */
  problem: string | null;
}

export interface CaptureSummary {
  name: string;
  dir: string;
  /** The model's folder name, from the first readable manifest. */
  model: string | null;
  /** Last change to any of its manifests (ms since epoch). */
  updatedAt: number;
  stores: CaptureStoreSummary[];
}

/** Every capture under `activationsDir`, newest first; an absent folder means none yet. */
export function listCaptures(activationsDir: string): CaptureSummary[] {
  if (!existsSync(activationsDir)) return [];
  const captures: CaptureSummary[] = [];
  for (const entry of readdirSync(activationsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(activationsDir, entry.name);
    const stores = storesIn(dir);
    if (stores.length === 0) continue;
    const model = stores.find((s) => s.problem === null)?.model ?? null;
    captures.push({
      name: entry.name,
      dir,
      model,
      updatedAt: Math.max(...stores.map((s) => s.updatedAt)),
      stores: stores.map(({ model: _m, updatedAt: _u, ...s }) => s).sort((a, b) => a.hook.localeCompare(b.hook)),
    });
  }
  return captures.sort((a, b) => b.updatedAt - a.updatedAt || a.name.localeCompare(b.name));
}

function storesIn(dir: string): Array<CaptureStoreSummary & { model: string | null; updatedAt: number }> {
  const out: Array<CaptureStoreSummary & { model: string | null; updatedAt: number }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const storeDir = join(dir, entry.name);
    const manifestPath = join(storeDir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) continue;
    const updatedAt = statSync(manifestPath).mtimeMs;
    try {
      const m = readManifest(storeDir);
      out.push({ hook: m.hook, storeDir, tokens: m.tokens, shards: m.shards.length, dIn: m.d_in, dtype: m.dtype, complete: m.complete, problem: null, model: m.model.name, updatedAt });
    } catch (err) {
      const problem = err instanceof FeaturescopeError ? err.message : `${manifestPath}: ${(err as Error).message}`;
      out.push({ hook: entry.name, storeDir, tokens: 0, shards: 0, dIn: null, dtype: null, complete: false, problem, model: null, updatedAt });
    }
  }
  return out;
}
