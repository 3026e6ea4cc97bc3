import { realpathSync } from 'node:fs';
import { FeaturescopeError } from '../../shared/errors';
import { loadModel, type LoadedModel, type LoadModelOptions } from '../model';

/**
 * Loaded models, keyed by their real folder path. A resident model keeps its weights in the backend
 * (a streamed one re-reads them per forward, but its page cache and plan are worth keeping), so a model stays
 * loaded between runs; only `capacity` are kept, least recently used goes first.
 */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();

  constructor(private readonly capacity = 2) {}

  /** A model loaded with allowNonFinite is a separate entry: it never serves a default run. */
  async get(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
    const folder = realFolder(dir);
    const key = options.allowNonFinite === true ? `${folder}\0allow-non-finite` : folder;
    let model = this.loaded.get(key);
    if (model) {
      this.loaded.delete(key); // re-insert: most recently used last
    } else {
      model = loadModel(folder, options);
      model.catch(() => this.loaded.delete(key));
    }
    this.loaded.set(key, model);
    while (this.loaded.size > this.capacity) {
      const [oldest, evicted] = this.loaded.entries().next().value as [string, Promise<LoadedModel>];
      this.loaded.delete(oldest);
      void evicted.then((m) => m.dispose(), () => undefined);
    }
    return model;
  }

  dispose(): void {
    for (const m of this.loaded.values()) void m.then((x) => x.dispose(), () => undefined);
    this.loaded.clear();
  }
}

export function realFolder(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    throw new FeaturescopeError('not_found', `Model folder ${dir} does not exist.`, 'path');
  }
}
