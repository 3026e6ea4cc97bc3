// sae.rename and sae.delete: an SAE's name and existence, with its folders in the workspace
// (sae-folders.ts). Both are refused while any process on the workspace works on the SAE: a
// training or import of its name, its analysis (writer leases), or a job that reads it (the
// sae-use leases every job of an SAE holds). They take those leases themselves for their duration,
// so no such job starts meanwhile.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deleteSaeRows, findSae, renameSaeRow, saeNameTaken, type Catalog, type SaeRecord } from '../../catalog';
import { describeHolder, leaseOutputs, liveSaeUses, takeLease, type WriterLease } from '../../catalog/leases';
import { FeaturescopeError } from '../../shared/errors';
import type { CallHandlers, CommandDeps } from '../handlers/registry';
import { hostCommand } from '../jobs/job-leases';
import { deleteWithFolders, ownedFolders, renameWithFolders } from './sae-folders';

/** Every table an SAE change may touch, for catalog.changed. */
const SAE_TABLES = ['saes', 'analyses', 'features', 'examples', 'logit_effects', 'labels', 'tags', 'notes', 'watchlists', 'experiments'];

export function saeAdminCommands({ services, saes }: CommandDeps): Pick<CallHandlers, 'sae.rename' | 'sae.delete'> {
  const workspace = () => services.paths.workspace;
  return {
    'sae.rename': ({ saeId, name }) => {
      const catalog = services.catalog();
      const row = existingSae(catalog, saeId);
      if (row.name === name) throw new FeaturescopeError('invalid_input', `SAE #${saeId} is already named "${name}".`, 'name');
      if (saeNameTaken(catalog, name)) throw new FeaturescopeError('invalid_input', `An SAE named "${name}" is already in the catalog; pick another name. Nothing was renamed.`, 'name');
      return whileUnused(catalog, row, 'renamed', [name], () => {
        const moves = ownedFolders(workspace(), row.name, row.weightsPath).map((from) => ({ from, to: join(from, '..', name) }));
        for (const m of moves) {
          if (existsSync(m.to)) throw new FeaturescopeError('invalid_input', `name: the folder ${m.to} already exists (left by another SAE or a training of that name); pick another name or move it. Nothing was renamed.`, 'name');
        }
        const ownWeights = moves.find((m) => m.from === row.weightsPath);
        const weightsPath = ownWeights ? ownWeights.to : row.weightsPath;
        renameWithFolders(workspace(), saeId, row.name, name, moves, () => renameSaeRow(catalog, saeId, name, weightsPath));
        saes.forget(saeId);
        services.catalogChanged(['saes']);
        return { saeId, name, previousName: row.name, path: weightsPath };
      });
    },

    'sae.delete': ({ saeId }) => {
      const catalog = services.catalog();
      const row = existingSae(catalog, saeId);
      return whileUnused(catalog, row, 'deleted', [], () => {
        const folders = ownedFolders(workspace(), row.name, row.weightsPath);
        const rows = deleteWithFolders(workspace(), saeId, row.name, folders, () => deleteSaeRows(catalog, saeId));
        saes.forget(saeId);
        services.catalogChanged(SAE_TABLES);
        return { saeId, name: row.name, rows, folders };
      });
    },
  };
}

function existingSae(catalog: Catalog, saeId: number): SaeRecord {
  const row = findSae(catalog, saeId);
  if (!row) throw new FeaturescopeError('not_found', `There is no SAE #${saeId} in the catalog.`, 'saeId');
  return row;
}

/**
 * Run `change` holding the SAE's writer leases (its name, any new name, its analysis), refused
 * naming the process when one is held or a job reads the SAE.
 */
function whileUnused<T>(catalog: Catalog, row: SaeRecord, done: 'renamed' | 'deleted', newNames: string[], change: () => T): T {
  const who = { command: hostCommand(), job: done === 'deleted' ? 'sae.delete' : 'sae.rename' };
  const what = `SAE "${row.name}"`;
  const leases: WriterLease[] = [];
  try {
    for (const name of [row.name, ...newNames]) leases.push(takeLease(catalog, leaseOutputs.sae(name), `SAE "${name}"`, who));
    leases.push(takeLease(catalog, leaseOutputs.analysis(row.id), `the analysis of ${what}`, who));
  } catch (err) {
    for (const l of leases) l.release();
    const message = err instanceof FeaturescopeError ? err.message : String(err);
    throw new FeaturescopeError('failed', `${what} cannot be ${done} now. ${message}`);
  }
  try {
    const user = liveSaeUses(catalog, row.id)[0];
    if (user) throw new FeaturescopeError('failed', `${what} cannot be ${done} while a job uses it: ${describeHolder(user)}. Wait for it to finish or stop it, then run this again. Nothing was ${done}.`);
    return change();
  } finally {
    for (const l of leases) l.release();
  }
}
