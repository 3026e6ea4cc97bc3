import { statSync } from 'node:fs';
import { join } from 'node:path';
import { findSae, type Catalog, type SaeRecord } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';
import { loadSaeLens, WEIGHTS_FILE } from '../sae/io/saelens';
import type { Sae } from '../sae/sae';
import { IdleDisposer } from './idle-disposer';

/**
 * SAEs of the catalog by id, loaded from their workspace folder; a couple stay loaded between runs.
 * A hit is used only while the catalog row and its weights file are the ones it was loaded from:
 * another process may have deleted the SAE and made a new one that took its id (SQLite hands out
 * the highest id again), or renamed it. An SAE evicted or forgotten is disposed only once no
 * command is at work: a scan or analysis may still be using it (see IdleDisposer).
 */
export class SaeCache {
  private readonly loaded = new Map<number, { sae: Sae; identity: string }>();

  constructor(
    private readonly idle = new IdleDisposer(),
    private readonly capacity = 2,
  ) {}

  get(catalog: Catalog, saeId: number, field = 'sae'): Sae {
    const row = findSae(catalog, saeId);
    if (!row) throw new FeaturescopeError('not_found', `There is no SAE #${saeId} in the catalog.`, field);
    const identity = identityOf(row);
    const hit = this.loaded.get(saeId);
    if (hit && hit.identity === identity) {
      this.loaded.delete(saeId);
      this.loaded.set(saeId, hit);
      return hit.sae;
    }
    this.forget(saeId);
    const sae = loadSaeLens(row.weightsPath);
    this.loaded.set(saeId, { sae, identity });
    while (this.loaded.size > this.capacity) {
      const [oldest, evicted] = this.loaded.entries().next().value as [number, { sae: Sae }];
      this.loaded.delete(oldest);
      this.idle.retire(() => evicted.sae.dispose());
    }
    return sae;
  }

  /** Drop an SAE that was deleted or renamed: its id may name another SAE later. */
  forget(saeId: number): void {
    const hit = this.loaded.get(saeId);
    this.loaded.delete(saeId);
    if (hit) this.idle.retire(() => hit.sae.dispose());
  }

  dispose(): void {
    for (const s of this.loaded.values()) s.sae.dispose();
    this.loaded.clear();
  }
}

/** The row's name and folder, and the weights file's inode and mtime (an import writes a new file). */
function identityOf(row: SaeRecord): string {
  const stat = statSync(join(row.weightsPath, WEIGHTS_FILE), { throwIfNoEntry: false });
  return JSON.stringify([row.name, row.weightsPath, stat?.ino ?? null, stat?.mtimeMs ?? null]);
}
