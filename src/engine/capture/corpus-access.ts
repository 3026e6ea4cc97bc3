// Which corpus paths a caller may read. The CLI's user typed the path, so it may name any file.
// A browser caller (serve mode's WebSocket clients, the Electron window) may read only inside the
// folders the user added to the workspace (catalog corpus_folders): otherwise any page holding the
// session could capture /etc/passwd as a corpus and read it back through feature examples.
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import type { CallerKind } from '../../shared/engine-protocol';
import { FeaturescopeError } from '../../shared/errors';
import type { CorpusSpec } from './corpus';

/** True when `real` is `folder` or lies under it (both resolved paths). */
export function isInsideFolder(real: string, folder: string): boolean {
  return real === folder || real.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * The corpus to read: for the CLI the spec as given; for a browser the spec with its path resolved
 * (links followed), after checking it lies inside one of `folders` (resolved paths). Reading the
 * resolved path means a link swapped in after the check cannot lead elsewhere.
 */
export function checkCorpusAccess<S extends CorpusSpec>(spec: S, caller: CallerKind, folders: readonly string[], field = 'corpus.path'): S {
  if (caller === 'cli') return spec;
  let real: string;
  try {
    real = realpathSync(spec.path);
  } catch {
    throw new FeaturescopeError('not_found', `${field}: ${spec.path} does not exist.`, field);
  }
  if (!folders.some((f) => isInsideFolder(real, f))) {
    const allowed = folders.length === 0 ? 'none added yet' : folders.join(', ');
    throw new FeaturescopeError(
      'invalid_input',
      `${field}: ${spec.path} is not inside a corpus folder of this workspace (${allowed}). The app reads corpora only from folders you added: add its folder under System → Corpus folders, or run the capture from the command line.`,
      field,
    );
  }
  return { ...spec, path: real };
}
