import { realpathSync } from 'node:fs';
import { FeaturescopeError } from '../../shared/errors';
import { loadModel, type LoadedModel, type LoadModelOptions } from '../model';
import { IdleDisposer } from './idle-disposer';

/**
 * Loaded models, keyed by their real folder path. A resident model keeps its weights in the backend
 * (a streamed one re-reads them per forward, but its page cache and plan are worth keeping), so a model stays
 * loaded between runs; only `capacity` are kept, least recently used goes first. An evicted model
 * is disposed only once no command is at work (it may be in use: see IdleDisposer), and one asked
 * for again before then comes back instead of loading twice.
 */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  private readonly retired = new Map<string, Promise<LoadedModel>>();

  constructor(
    private readonly idle = new IdleDisposer(),
    private readonly capacity = 2,
  ) {}

  /** A model loaded with allowNonFinite is a separate entry: it never serves a default run. */
  async get(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
    const folder = realFolder(dir);
    const key = options.allowNonFinite === true ? `${folder}\0allow-non-finite` : folder;
    let model = this.loaded.get(key) ?? this.retired.get(key);
    if (model) {
      this.loaded.delete(key); // re-insert: most recently used last
      this.retired.delete(key);
    } else {
      model = loadModel(folder, options);
      model.catch(() => this.loaded.delete(key));
    }
    this.loaded.set(key, model);
    while (this.loaded.size > this.capacity) {
      const [oldest, evicted] = this.loaded.entries().next().value as [string, Promise<LoadedModel>];
      this.loaded.delete(oldest);
      this.retired.set(oldest, evicted);
      this.idle.retire(() => {
        // Asked for again meanwhile: it is loaded, not retired, and stays.
        if (this.retired.get(oldest) !== evicted) return;
        this.retired.delete(oldest);
        void evicted.then((m) => m.dispose(), () => undefined);
      });
    }
    return model;
  }

  dispose(): void {
    for (const m of [...this.loaded.values(), ...this.retired.values()]) void m.then((x) => x.dispose(), () => undefined);
    this.loaded.clear();
    this.retired.clear();
  }
}

export function realFolder(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    throw new FeaturescopeError('not_found', `Model folder ${dir} does not exist.`, 'path');
  }
}
