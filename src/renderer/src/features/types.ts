// The catalog shapes the feature views use, taken from the shared contract (the renderer's only API).
import type { CommandInput, CommandOutput } from '@shared/contract';

export type FeaturePageData = CommandOutput<'catalog.feature'>;
export type Histogram = NonNullable<FeaturePageData['feature']['histogram']>;
export type LogitEffects = NonNullable<FeaturePageData['logitEffects']>;
export type StoredExample = FeaturePageData['examples'][number];
export type FeatureNote = FeaturePageData['notes'][number];
export type SearchQuery = CommandInput<'catalog.search'>;
export type SearchRow = CommandOutput<'catalog.search'>['rows'][number];
export type SearchSort = NonNullable<SearchQuery['sort']>;
export type SearchScope = NonNullable<SearchQuery['scope']>;
export type SaeSummary = CommandOutput<'catalog.saes'>[number];
