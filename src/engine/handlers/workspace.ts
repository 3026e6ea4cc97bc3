// The workspace's corpus folders: the list a browser caller's corpus paths must lie in
// (capture/corpus-access.ts). Any caller may edit it: adding a folder is the user saying "the app
// may read this", which is the point of the list.
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { addCorpusFolder, listCorpusFolders, removeCorpusFolder } from '../../catalog';
import type { CallerKind } from '../../shared/engine-protocol';
import { FeaturescopeError } from '../../shared/errors';
import { checkCorpusAccess } from '../capture/corpus-access';
import type { CorpusSpec } from '../capture/corpus';
import type { EngineServices } from '../services';
import type { CallHandlers } from './registry';

type WorkspaceHandlers = Pick<CallHandlers, 'workspace.corpusFolders' | 'workspace.addCorpusFolder' | 'workspace.removeCorpusFolder'>;

/** The corpus a caller may read (see checkCorpusAccess); the CLI's is read as given. */
export function allowedCorpus<S extends CorpusSpec>(services: EngineServices, spec: S, caller: CallerKind, field = 'corpus.path'): S {
  if (caller === 'cli') return spec;
  const folders = listCorpusFolders(services.catalog()).map((f) => f.path);
  return checkCorpusAccess(spec, caller, folders, field);
}

export function workspaceHandlers(services: EngineServices): WorkspaceHandlers {
  const list = () => listCorpusFolders(services.catalog());
  return {
    'workspace.corpusFolders': () => list(),
    'workspace.addCorpusFolder': ({ path }) => {
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        throw new FeaturescopeError('not_found', `path: folder ${path} does not exist.`, 'path');
      }
      if (!statSync(real).isDirectory()) throw new FeaturescopeError('invalid_input', `path: ${path} is not a folder; add the folder that holds your corpus files.`, 'path');
      // The whole disk is not a corpus folder: it would lift the limit the list exists for.
      if (dirname(real) === real) throw new FeaturescopeError('invalid_input', `path: ${real} is the root of the file system; add the folder that holds your corpus files.`, 'path');
      addCorpusFolder(services.catalog(), real);
      services.catalogChanged(['corpus_folders']);
      return list();
    },
    'workspace.removeCorpusFolder': ({ path }) => {
      // Stored paths are resolved; accept the path as listed or as the user typed it.
      let real = path;
      try {
        real = realpathSync(path);
      } catch {
        // a folder deleted since it was added: remove it by its stored path
      }
      if (removeCorpusFolder(services.catalog(), path) || (real !== path && removeCorpusFolder(services.catalog(), real))) services.catalogChanged(['corpus_folders']);
      return list();
    },
  };
}
