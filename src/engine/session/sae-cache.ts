import { findSae, type Catalog } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';
import { loadSaeLens } from '../sae/io/saelens';
import type { Sae } from '../sae/sae';

/** SAEs of the catalog by id, loaded from their workspace folder; a couple stay loaded between runs. */
export class SaeCache {
  private readonly loaded = new Map<number, Sae>();

  constructor(private readonly capacity = 2) {}

  get(catalog: Catalog, saeId: number, field = 'sae'): Sae {
    const hit = this.loaded.get(saeId);
    if (hit) {
      this.loaded.delete(saeId);
      this.loaded.set(saeId, hit);
      return hit;
    }
    const row = findSae(catalog, saeId);
    if (!row) throw new FeaturescopeError('not_found', `There is no SAE #${saeId} in the catalog.`, field);
    const sae = loadSaeLens(row.weightsPath);
    this.loaded.set(saeId, sae);
    while (this.loaded.size > this.capacity) {
      const [oldest, evicted] = this.loaded.entries().next().value as [number, Sae];
      this.loaded.delete(oldest);
      evicted.dispose();
    }
    return sae;
  }

  /** Drop an SAE that was deleted or renamed: its id may name another SAE later. */
  forget(saeId: number): void {
    this.loaded.get(saeId)?.dispose();
    this.loaded.delete(saeId);
  }

  dispose(): void {
    for (const s of this.loaded.values()) s.dispose();
    this.loaded.clear();
  }
}
