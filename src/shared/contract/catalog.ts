import { z } from 'zod';
import { command, jobCommand } from './define';
import { AbsolutePath, Empty, JobRef } from './common';
import { Experiment, ExperimentKind, ExperimentRef, FeaturePage, SaeSummary, SearchQuery, SearchResult } from './records';

export { SaeSummary };

const SaeId = z.number().int().positive();
const Idx = z.number().int().nonnegative();
/** At most this many features on one dashboard page (each carries its examples). */
export const EXPORT_DASHBOARD_FEATURES_MAX = 1000;
const FeatureIdx = z.number().int().nonnegative().describe('Feature index in the SAE');
const FeatureKey = { saeId: SaeId, idx: FeatureIdx };

/** Reads run in the host on its own read-only connection; writes go to the engine, the catalog's one writer. */
export const catalogCommands = {
  'catalog.saes': command({
    summary: 'SAEs in the workspace catalog, with their latest complete analysis',
    runsIn: 'host',
    input: Empty,
    output: z.array(SaeSummary),
  }),
  'catalog.search': command({
    summary: 'Search features by text (labels, explanations, top tokens, example text) with filters and paging',
    runsIn: 'host',
    input: SearchQuery,
    output: SearchResult,
  }),
  'catalog.feature': command({
    summary: 'Everything a feature page shows',
    runsIn: 'host',
    input: z.object(FeatureKey).strict(),
    output: FeaturePage,
  }),
  'catalog.tags': command({
    summary: 'Tags used on an SAE’s features, with counts',
    runsIn: 'host',
    input: z.object({ saeId: SaeId }).strict(),
    output: z.array(z.object({ name: z.string(), count: z.number() })),
  }),
  'catalog.experiments': command({
    summary: 'The experiment log, newest first',
    runsIn: 'host',
    input: z
      .object({
        saeId: SaeId.optional(),
        /** Only experiments of this kind. */
        kind: ExperimentKind.optional(),
        /** Text found in the logged inputs (prompt, hook, contrast set, watchlist…) or the SAE's name, case-insensitive. */
        q: z.string().trim().max(200).optional(),
        limit: z.number().int().min(1).max(500).default(50),
        beforeId: z.number().int().positive().optional(),
      })
      .strict(),
    output: z.array(Experiment),
  }),
  'catalog.experiment': command({
    summary: 'One experiment by its citable id (exp-000123)',
    runsIn: 'host',
    input: z.object({ ref: ExperimentRef }).strict(),
    output: Experiment,
  }),
  'catalog.setLabel': command({
    summary: 'Set or clear the user label of a feature',
    runsIn: 'engine',
    input: z.object({ ...FeatureKey, label: z.string().trim().max(200).nullable() }).strict(),
    output: z.object({ ok: z.literal(true) }),
  }),
  'catalog.addTag': command({
    summary: 'Tag a feature',
    runsIn: 'engine',
    input: z.object({ ...FeatureKey, tag: z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}_\-:.]+$/u, 'letters, digits, _ - : . only') }).strict(),
    output: z.object({ ok: z.literal(true) }),
  }),
  'catalog.removeTag': command({
    summary: 'Remove a tag from a feature',
    runsIn: 'engine',
    input: z.object({ ...FeatureKey, tag: z.string().min(1).max(64) }).strict(),
    output: z.object({ removed: z.boolean() }),
  }),
  'catalog.export': jobCommand({
    summary:
      'Export an analysed SAE’s features: the feature table as CSV, one Neuronpedia-like JSON object per feature (JSON Lines), a folder in Neuronpedia’s import layout, or a self-contained HTML dashboard of chosen features',
    input: z
      .object({
        saeId: SaeId,
        /** csv and neuronpedia-jsonl write one file; neuronpedia writes a folder (features/, activations/, explanations/ as .jsonl.gz); html writes one page of the given features. */
        format: z.enum(['csv', 'neuronpedia-jsonl', 'neuronpedia', 'html']),
        /** The file (or, for neuronpedia, the folder) to write (absolute); written beside it and renamed when complete. From the app: inside the workspace. */
        path: AbsolutePath,
        /** The features of an html dashboard, in the order shown (only html takes a list). */
        features: z.array(Idx).min(1).max(EXPORT_DASHBOARD_FEATURES_MAX).optional().describe('Feature indices for the html dashboard, e.g. [3, 17]'),
        /** Replace the file (or fill a non-empty folder) if it exists (otherwise it is refused and left alone). */
        force: z.boolean().default(false),
      })
      .strict()
      .refine((i) => (i.format === 'html') === (i.features !== undefined), {
        message: 'the html dashboard needs the features to show (e.g. --features 3,17), and only the html dashboard takes a list',
        path: ['features'],
      }),
    output: JobRef,
    result: z.object({ path: z.string(), features: z.number(), bytes: z.number() }),
  }),
  'catalog.addNote': command({
    summary: 'Add a note to a feature',
    runsIn: 'engine',
    input: z.object({ ...FeatureKey, text: z.string().trim().min(1).max(20_000) }).strict(),
    output: z.object({ id: z.number() }),
  }),
};

