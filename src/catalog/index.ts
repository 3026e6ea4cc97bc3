// The catalog: one SQLite file per workspace. The engine writes (writes.ts); the host reads (queries.ts).
export { openCatalog, migrate, CATALOG_APPLICATION_ID, type Catalog, type OpenOptions } from './open';
export { LATEST_SCHEMA_VERSION } from './migrations/index';
export * from './writes';
export * from './queries';
export * from './saes';
export { exportFeatureCsv, exportNeuronpediaJsonl } from './export';
export { explainFeature, type Explanation, type ExplainExample } from './explain';
export * from './types';
export { addCorpusFolder, listCorpusFolders, removeCorpusFolder, type CorpusFolder } from './corpus-folders';
