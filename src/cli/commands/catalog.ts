// Commands that fill and read the feature catalog.
import type { FeaturePage } from '../../catalog/types';
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, JSON_FLAG, corpusFromFlags, parseIntOption, requireString } from '../args';
import { resolveSae } from '../host-calls';
import { aka, pathFlag, saeFlag } from '../field-rules';
import { flagsFor } from '../flags';
import { handFlags, mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber, printJson } from '../format';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import { resolve } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { formatDensity } from '../../shared/format-density';
import { formatExplanationScore, formatF1 } from '../../shared/format-explanation-score';

const analyze = flagsFor('sae.analyze', {
  fields: { saeId: saeFlag, model: pathFlag('DIR'), contextLength: aka('context'), topExamples: aka('top') },
  hand: ['corpus'],
});
const search = flagsFor('catalog.search', { fields: { saeId: saeFlag, tags: aka('tag'), scope: { flag: 'in' }, limit: { default: 20 } } });
const feature = flagsFor('catalog.feature', { fields: { saeId: saeFlag } });
// export is two commands behind one --format (catalog.export writes a file, sae.export a SAELens
// folder), so its flags are the CLI's own, spelled as both commands' fields mean them.
const EXPORT_FLAGS = handFlags({
  sae: { type: 'string', value: 'ID|NAME', description: 'The SAE to export, by catalog id or name (required)' },
  format: {
    type: 'string',
    value: 'csv|neuronpedia-jsonl|neuronpedia|html|saelens',
    description: 'The analysed features as CSV, Neuronpedia-like JSON Lines, a folder in Neuronpedia’s import layout, an HTML dashboard of --features, or the SAE as a SAELens folder (required)',
  },
  out: { type: 'string', value: 'PATH', description: 'The file to write (a folder for neuronpedia and saelens) (required)' },
  features: { type: 'string', value: 'N,M,…', description: 'The features of an html dashboard, in the order shown (html only)' },
  force: { type: 'boolean', description: 'Replace an existing file, or write into a non-empty folder' },
  json: { type: 'boolean', description: 'Print the result as JSON' },
});
const EXAMPLES_FLAG = handFlags({ examples: { type: 'string', value: 'N', description: 'Top examples to print (default 5)' } });

const EXPORT_FORMATS = ['csv', 'neuronpedia-jsonl', 'neuronpedia', 'html', 'saelens'] as const;
const isExportFormat = (f: string): f is (typeof EXPORT_FORMATS)[number] => (EXPORT_FORMATS as readonly string[]).includes(f);

/** "3,17, 42" → [3, 17, 42]; anything but non-negative integers is refused by value. */
function parseFeatureList(text: string): number[] {
  return text.split(',').map((part) => {
    const t = part.trim();
    if (!/^\d+$/.test(t)) throw new FeaturescopeError('invalid_input', `--features: "${t}" is not a feature number; give numbers separated by commas, e.g. 3,17`, 'features');
    return Number(t);
  });
}

export const catalogCommands: Record<string, CliCommand> = {
  export: {
    summary: 'Export an SAE: its analysed features as CSV, Neuronpedia JSON Lines or import folder, an HTML dashboard, or the SAE as a SAELens folder',
    usage: [
      'featurescope export --sae ID|NAME --format csv|neuronpedia-jsonl|neuronpedia|html|saelens --out PATH [--features N,M] [--force]',
      '',
      'Writes where --out says (a file; a folder for neuronpedia and saelens). An existing file, or a',
      'non-empty folder, is left alone unless --force is given. neuronpedia writes Neuronpedia’s import',
      'layout (features/, activations/, explanations/ as .jsonl.gz); html writes one self-contained page',
      '(no scripts) of the --features given, to send to someone without the app.',
    ].join('\n'),
    flags: EXPORT_FLAGS,
    async run(values, host) {
      const format = requireString(values, 'format');
      if (!isExportFormat(format)) throw new FeaturescopeError('invalid_input', `--format: "${format}" is not one of ${EXPORT_FORMATS.join(', ')}.`, 'format');
      const features = values.features === undefined ? undefined : parseFeatureList(String(values.features));
      if ((format === 'html') !== (features !== undefined)) {
        throw new FeaturescopeError('invalid_input', format === 'html' ? '--features: the html dashboard needs the features to show, e.g. --features 3,17' : `--features: only --format html takes a list of features`, 'features');
      }
      const out = resolve(requireString(values, 'out'));
      const force = values.force === true;
      const h = await host();
      const saeId = await resolveSae(h, requireString(values, 'sae'));
      if (format === 'saelens') {
        const r = await callOrThrow(h, 'sae.export', { saeId, dir: out, force });
        if (values.json) {
          printJson(r);
          return 0;
        }
        process.stdout.write(`SAELens folder ${r.dir}: ${r.files.join(', ')}\n`);
        return 0;
      }
      const r = await runJob(h, 'catalog.export', { saeId, format, path: out, force, ...(features ? { features } : {}) }, progressToStderr());
      clearProgress();
      if (values.json) {
        printJson(r);
        return 0;
      }
      process.stdout.write(`${r.features} features, ${r.bytes} bytes → ${r.path}\n`);
      return 0;
    },
  },
  analyze: {
    summary: 'Analyse an SAE over a corpus into the catalog (density, examples, logit effects, explanations)',
    usage: 'featurescope analyze --sae ID|NAME --corpus PATH [--kind txt|jsonl|folder] [--text-field text] [--model DIR] [--context N] [--max-tokens N] [--top 20]',
    flags: mergeFlags(analyze, CORPUS_FLAGS, JSON_FLAG),
    async run(values, host) {
      const corpus = corpusFromFlags(values);
      const input = { ...(await analyze.read(values, host)), corpus };
      const r = await runJob(await host(), 'sae.analyze', input, progressToStderr());
      clearProgress();
      if (values.json) {
        printJson(r);
        return 0;
      }
      process.stdout.write(`analysis #${r.analysisId}: ${r.features} features over ${r.tokens} tokens, ${r.deadFeatures} dead\n`);
      if (r.heldOutWindows !== undefined) {
        process.stdout.write(
          r.heldOutWindows > 0
            ? `explanations scored on ${r.heldOutWindows} held-out windows (every 5th, ${r.heldOutTokens ?? 0} tokens; their examples come from the others)\n`
            : 'explanations not scored: no held-out window (every 5th) to score them on, or no feature fired\n',
        );
      }
      return 0;
    },
  },
  search: {
    summary: 'Search the features of an analysed SAE (labels, explanations, top tokens, example text)',
    usage: [
      'featurescope search --sae ID|NAME [--q TEXT] [--in labels|explanations|tokens|all] [--tag T]… [--sort idx|density|max_act|relevance|f1] [--limit 20] [--offset 0] [--json]',
      '',
      '--in narrows where --q looks (default all, which also reads example text). --sort f1 lists the best',
      'scored explanations first (F1 on the held-out windows analyze keeps apart; "—" = not scored, last).',
    ].join('\n'),
    flags: mergeFlags(search, JSON_FLAG),
    async run(values, host) {
      const r = await callOrThrow(await host(), 'catalog.search', await search.read(values, host));
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      // A lower-bound total ("10000+") means the search stopped counting there, to stay fast.
      process.stdout.write(`${r.total}${r.totalIsLowerBound ? '+' : ''} feature${r.total === 1 && !r.totalIsLowerBound ? '' : 's'}\n`);
      for (const f of r.rows) {
        const separator = f.userLabel === null && f.separator ? ` — ${f.separator}` : '';
        process.stdout.write(
          `${String(f.idx).padStart(7)}  density ${formatDensity(f.density).padStart(7)}  max ${formatNumber(f.maxAct).padStart(7)}  F1 ${formatF1(f.explanationF1).padStart(4)}  ${f.userLabel ?? f.explanation}${separator}\n`,
        );
      }
      return 0;
    },
  },
  feature: {
    summary: "One feature's page: label and explanation, density and activations, logit effects, top examples with the peak token marked",
    usage: 'featurescope feature --sae ID|NAME --idx N [--examples 5] [--json]',
    flags: mergeFlags(feature, EXAMPLES_FLAG, JSON_FLAG),
    async run(values, host) {
      const shown = values.examples === undefined ? 5 : parseIntOption('examples', values.examples, 0, 100);
      const page = await callOrThrow(await host(), 'catalog.feature', await feature.read(values, host));
      if (values.json) {
        process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(featurePageText(page, shown));
      return 0;
    },
  },
};

/** The feature page as text: the peak token of each example in [brackets] with its value. */
export function featurePageText(page: FeaturePage, examples: number): string {
  const { sae, feature: f, label } = page;
  const lines = [
    `${sae.name} · ${sae.hookName} · feature ${f.idx}`,
    `  density ${formatDensity(f.density)}  max ${formatNumber(f.maxAct)}  mean ${formatNumber(f.meanAct)}`,
    `  explanation: ${label.auto}${page.separator ? ` — ${page.separator}` : ''}${label.user ? `\n  label: ${label.user}` : ''}`,
    `  explanation score: ${formatExplanationScore(page.explanationScore)}`,
  ];
  if (page.tags.length > 0) lines.push(`  tags: ${page.tags.join(', ')}`);
  if (page.logitEffects) {
    const list = (xs: Array<[string, number]>) => xs.slice(0, 8).map(([t, v]) => `${JSON.stringify(t)} ${formatNumber(v)}`).join(', ');
    lines.push(`  promotes: ${list(page.logitEffects.promoted)}`, `  suppresses: ${list(page.logitEffects.suppressed)}`);
  }
  const top = page.examples.filter((e) => e.kind === 'top').slice(0, examples);
  if (top.length > 0) lines.push('  top examples:');
  for (const e of top) {
    const peak = e.values.indexOf(Math.max(...e.values));
    const text = e.tokens.map((t, i) => (i === peak ? `[${t}]` : t)).join('').replace(/\n/g, '⏎');
    lines.push(`    ${formatNumber(e.maxAct).padStart(7)}  ${text}`);
  }
  return `${lines.join('\n')}\n`;
}
