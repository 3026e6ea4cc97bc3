// A deterministic catalog fixture for the feature explorer specs: a few thousand features with
// the shapes a real analysis writes (log-uniform densities, heavy-tailed max activations, top
// examples peaking on a theme token, quantile samples, log10 histograms, logit effects). It is
// test data generated here, not product data; it goes in through the real catalog writers.
import { addTag, beginAnalysis, commitAnalysis, insertSae, openCatalog, writeFeatures, type ExampleRecord, type FeatureRecord } from '../../src/catalog';
import { join, resolve } from 'node:path';
import { ModelTokenizer } from '../../src/engine/model/tokenizer';
import { mulberry32 } from '../../src/engine/random';

export const FEATURE_COUNT = 2500;
/** The one feature whose examples contain " zebra". */
export const ZEBRA_IDX = 777;

interface Theme {
  name: string;
  tokens: string[];
  tag?: string;
}

const THEMES: Theme[] = [
  { name: 'capitals', tokens: [' Paris', ' London', ' Berlin', ' Tokyo'], tag: 'geography' },
  { name: 'rivers', tokens: [' Nile', ' Danube', ' Amazon'], tag: 'geography' },
  { name: 'python', tokens: ['def', ' class', ' return', ' lambda'], tag: 'code' },
  { name: 'brackets', tokens: ['(', ')', '[', ']'], tag: 'code' },
  { name: 'newlines', tokens: ['\n', '\n\n', '\t'] },
  { name: 'numbers', tokens: [' 1', ' 2', ' 42', ' 100'] },
  { name: 'negation', tokens: [' not', ' never', "n't"] },
  { name: 'pronouns', tokens: [' he', ' she', ' they'], tag: 'bias' },
  { name: 'months', tokens: [' January', ' March', ' October'] },
  { name: 'colours', tokens: [' red', ' green', ' blue'] },
  { name: 'legal', tokens: [' court', ' judge', ' verdict'] },
  { name: 'medical', tokens: [' patient', ' dose', ' symptoms'] },
  { name: 'emotion', tokens: [' happy', ' angry', ' afraid'] },
  { name: 'punctuation', tokens: ['.', ',', ';'] },
  { name: 'occupations', tokens: [' nurse', ' engineer', ' doctor'], tag: 'bias' },
];
const ZEBRA: Theme = { name: 'zebra', tokens: [' zebra', ' stripes'] };

const FILLER = ' the of and to in is was for on that with as by at from it this an be are or have had which one were all we when there can been has more if will would about out so up what into them time some could only'
  .split(' ')
  .filter(Boolean)
  .map((w) => ` ${w}`);
const PROMOTE_POOL = [' city', ' river', ' function', ' value', ' line', ' number', ' not', ' person', ' month', ' colour', ' law', ' health', ' feel', ' stop', ' job', ' animal', ' sun', ' water'];
const SUPPRESS_POOL = [' the', ' a', ' and', ' of', ' to', ' in', ' it', ' was', ' for', ' on', ' with', ' as', ' at', ' by'];

const round = (v: number, digits: number) => Number(v.toFixed(digits));

const BUNDLED_MODEL = resolve(__dirname, '../../resources/models/featurescope-tiny');
/**
 * The zebra feature's suppressed tokens: the bundled model's first `n` tokens that are only part
 * of a UTF-8 character (decoded alone they are "�"), with the text analysis stores for them
 * (ModelTokenizer.tokenText: their bytes).
 */
function partialByteTokens(n: number): string[] {
  const tokenizer = ModelTokenizer.fromFiles(join(BUNDLED_MODEL, 'tokenizer.json'), join(BUNDLED_MODEL, 'tokenizer_config.json'));
  const out: string[] = [];
  for (let id = 0; out.length < n && id < 4096; id++) if (tokenizer.decode([id]).includes('\uFFFD')) out.push(tokenizer.tokenText(id));
  return out;
}

export function themeOf(idx: number): Theme {
  if (idx === ZEBRA_IDX) return ZEBRA;
  return THEMES[(idx * 7919) % THEMES.length]!;
}

function context(r: () => number, theme: Theme, peak: number, length: number): Pick<ExampleRecord, 'tokens' | 'values'> {
  const tokens: string[] = [];
  const values: number[] = [];
  const hot = 4 + Math.floor(r() * (length - 8));
  for (let i = 0; i < length; i++) {
    const isTheme = i === hot || (i !== hot && r() < 0.06);
    tokens.push(isTheme ? theme.tokens[Math.floor(r() * theme.tokens.length)]! : FILLER[Math.floor(r() * FILLER.length)]!);
    // The feature fires on theme tokens, a little on their right neighbour, nowhere else.
    const v = i === hot ? peak : isTheme ? peak * (0.3 + 0.6 * r()) : tokens.length > 1 && i === hot + 1 ? peak * 0.15 * r() : 0;
    values.push(round(v, 3));
  }
  return { tokens, values };
}

export function makeFeature(idx: number): FeatureRecord {
  const r = mulberry32(idx + 1);
  const theme = themeOf(idx);
  const density = Number((10 ** (-5 + 4 * r())).toPrecision(4)); // 1e-5 … 1e-1, log-uniform
  const maxAct = round(1 + 30 * r() ** 2, 3);
  const examples: ExampleRecord[] = [];
  const topCount = 6 + Math.floor(r() * 4);
  for (let rank = 0; rank < topCount; rank++) {
    const peak = round(rank === 0 ? maxAct : maxAct * (1 - 0.05 * rank - 0.03 * r()), 3);
    examples.push({ kind: 'top', bucket: 0, rank, ...context(r, theme, peak, 20 + Math.floor(r() * 12)), doc: Math.floor(r() * 5000), start: Math.floor(r() * 900) });
  }
  for (let bucket = 0; bucket < 4; bucket++) {
    for (let rank = 0; rank < 2; rank++) {
      const peak = round(maxAct * (0.1 + 0.2 * bucket + 0.15 * r()), 3);
      examples.push({ kind: 'quantile', bucket, rank, ...context(r, theme, peak, 24), doc: Math.floor(r() * 5000), start: Math.floor(r() * 900) });
    }
  }
  const hi = Math.log10(maxAct);
  const counts = Array.from({ length: 24 }, (_, i) => Math.round(4000 * Math.exp(-i / (3 + 4 * r())) * (0.8 + 0.4 * r())));
  const pick = (pool: string[], n: number) => Array.from({ length: n }, (_, i) => pool[(idx * 31 + i * 5) % pool.length]!);
  const promoted = pick(PROMOTE_POOL, 8).map((t, i): [string, number] => [t, round((1.2 - 0.1 * i) * (0.5 + r()), 3)]);
  const suppressedPool = idx === ZEBRA_IDX ? partialByteTokens(6) : pick(SUPPRESS_POOL, 6);
  const suppressed = suppressedPool.map((t, i): [string, number] => [t, -round((0.9 - 0.1 * i) * (0.5 + r()), 3)]);
  return {
    idx,
    density,
    maxAct,
    meanAct: round(maxAct * (0.1 + 0.15 * r()), 3),
    histogram: { scale: 'log10', lo: hi - 3, hi, counts },
    examples,
    logitEffects: { promoted, suppressed },
  };
}

export interface SeededCatalog {
  saeId: number;
  features: FeatureRecord[];
  tags: Map<number, string[]>;
}

/** Write the fixture into a workspace catalog: one SAE, one committed analysis, theme tags. */
export function seedCatalog(path: string): SeededCatalog {
  const features = Array.from({ length: FEATURE_COUNT }, (_, i) => makeFeature(i));
  const catalog = openCatalog(path);
  try {
    const saeId = insertSae(catalog, {
      name: 'e2e-topk-2500',
      modelId: null,
      hookName: 'blocks.4.hook_resid_post',
      architecture: 'topk',
      dIn: 256,
      dSae: FEATURE_COUNT,
      cfg: { k: 32 },
      metrics: { l0: 31.6, explained_variance: 0.873, dead_fraction: 0.012 },
      provenance: { model: 'e2e-fixture', hook: 'blocks.4.hook_resid_post', corpus: null, seed: 7, appVersion: '0.1.0', createdAt: 1_700_000_000_000 },
      weightsPath: '/nonexistent/e2e-fixture',
    });
    const analysis = beginAnalysis(catalog, { saeId, corpusId: null });
    for (let i = 0; i < features.length; i += 500) writeFeatures(catalog, analysis, features.slice(i, i + 500));
    commitAnalysis(catalog, analysis);
    const tags = new Map<number, string[]>();
    // One transaction for all tags: one fsync instead of thousands (synchronous=FULL).
    catalog.db.transaction(() => {
      for (const f of features) {
        const names = [themeOf(f.idx).tag, f.idx % 9 === 0 ? 'reviewed' : undefined].filter((t): t is string => t !== undefined);
        for (const name of names) addTag(catalog, saeId, f.idx, name);
        tags.set(f.idx, names);
      }
    })();
    return { saeId, features, tags };
  } finally {
    catalog.close();
  }
}

/** Features with a token equal to `word` (after trimming) in any stored example: what a text search for it must find. */
export function featuresWithToken(features: FeatureRecord[], word: string): Set<number> {
  const w = word.toLowerCase();
  return new Set(features.filter((f) => f.examples.some((e) => e.tokens.some((t) => t.trim().toLowerCase() === w))).map((f) => f.idx));
}
