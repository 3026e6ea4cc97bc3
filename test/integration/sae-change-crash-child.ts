// Child process of sae-change-crash.test.ts: starts an SAE delete or rename the way sae.delete and
// sae.rename do (the SAE's lease held, folders moved through sae-folders.ts) and is SIGKILLed at the
// step named by argv: before the catalog commit, or after it (before the folders are cleaned up).
// Usage: tsx sae-change-crash-child.ts WORKSPACE delete|rename before|after SAE_ID [NEW_NAME]
import { join } from 'node:path';
import { deleteSaeRows, findSae, openCatalog, renameSaeRow } from '../../src/catalog';
import { leaseOutputs, takeLease } from '../../src/catalog/leases';
import { deleteWithFolders, ownedFolders, renameWithFolders } from '../../src/engine/sae/sae-folders';

const [workspace, kind, when, id, newName] = process.argv.slice(2) as [string, 'delete' | 'rename', 'before' | 'after', string, string | undefined];
const catalog = openCatalog(join(workspace, 'catalog.sqlite'));
const row = findSae(catalog, Number(id))!;
takeLease(catalog, leaseOutputs.sae(row.name), `SAE "${row.name}"`, { command: 'crash test', job: `sae.${kind}` });
const crash = () => process.kill(process.pid, 'SIGKILL');
const folders = ownedFolders(workspace, row.name, row.weightsPath);
if (kind === 'delete') {
  deleteWithFolders(workspace, row.id, row.name, folders, () => {
    if (when === 'after') deleteSaeRows(catalog, row.id);
    crash();
  });
} else {
  const moves = folders.map((from) => ({ from, to: join(from, '..', newName!) }));
  renameWithFolders(workspace, row.id, row.name, newName!, moves, () => {
    if (when === 'after') renameSaeRow(catalog, row.id, newName!, join(workspace, 'saes', newName!));
    crash();
  });
}
