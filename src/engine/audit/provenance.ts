// What an audit report names besides its figures: the audited SAE (name, hook, architecture,
// width and a content hash of its files, so a report is tied to exact weights) and each
// feature's label in the catalog.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findSae, type Catalog } from '../../catalog';
import type { AuditRunResult } from '../../shared/contract';

/** sha256 over the SAE folder's files (names and bytes, in name order); '' when the folder cannot be read. */
export function saeContentHash(folder: string): string {
  try {
    const hash = createHash('sha256');
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (!statSync(path).isFile()) continue;
      hash.update(`${name}\0`);
      hash.update(readFileSync(path));
    }
    return hash.digest('hex');
  } catch {
    return '';
  }
}

export function auditSaeInfo(catalog: Catalog, saeId: number): NonNullable<AuditRunResult['sae']> {
  const row = findSae(catalog, saeId);
  if (!row) return { id: saeId, name: `SAE ${saeId}`, hook: '', architecture: '', width: 0, contentHash: '' };
  return { id: row.id, name: row.name, hook: row.hookName, architecture: row.architecture, width: row.dSae, contentHash: saeContentHash(row.weightsPath) };
}

/** The feature's user label, else its explanation from the active analysis; null when it has neither. */
export function featureLabel(catalog: Catalog, saeId: number, idx: number): string | null {
  const user = catalog.statement(`SELECT user_label FROM labels WHERE sae_id = ? AND idx = ?`).pluck().get(saeId, idx) as string | undefined;
  if (user) return user;
  const auto = catalog
    .statement(`SELECT f.explanation FROM features f JOIN saes s ON s.active_analysis_id = f.analysis_id WHERE s.id = ? AND f.idx = ?`)
    .pluck()
    .get(saeId, idx) as string | undefined;
  return auto ? auto : null;
}
