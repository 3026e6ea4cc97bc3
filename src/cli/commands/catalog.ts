// Commands that fill and read the feature catalog.
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, requireString, parseIntOption } from '../args';
import { callOrThrow, resolveSae, saeOnCorpusFromFlags } from '../host-calls';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber } from '../format';
import { runJob } from '../../main/host/run-job';

export const catalogCommands: Record<string, CliCommand> = {
  analyze: {
    summary: 'Analyse an SAE over a corpus into the catalog (density, examples, logit effects, explanations)',
    usage: 'featurescope analyze --sae ID|NAME --corpus PATH [--kind txt|jsonl|folder] [--text-field text] [--model DIR] [--context N] [--max-tokens N] [--top 20]',
    options: {
      sae: { type: 'string' },
      ...CORPUS_FLAGS,
      model: { type: 'string' },
      context: { type: 'string' },
      'max-tokens': { type: 'string' },
      top: { type: 'string' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        ...(await saeOnCorpusFromFlags(h, values)),
        ...(values['max-tokens'] === undefined ? {} : { maxTokens: Number(values['max-tokens']) }),
        ...(values.top === undefined ? {} : { topExamples: Number(values.top) }),
      };
      const r = await runJob(h, 'sae.analyze', input as never, progressToStderr());
      clearProgress();
      process.stdout.write(`analysis #${r.analysisId}: ${r.features} features over ${r.tokens} tokens, ${r.deadFeatures} dead\n`);
      return 0;
    },
  },
  search: {
    summary: 'Search the features of an analysed SAE (labels, explanations, top tokens, example text)',
    usage: 'featurescope search --sae ID|NAME [--q TEXT] [--tag T]… [--sort idx|density|max_act|relevance] [--limit 20] [--offset 0] [--json]',
    options: {
      sae: { type: 'string' },
      q: { type: 'string' },
      tag: { type: 'string', multiple: true },
      sort: { type: 'string' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        saeId: await resolveSae(h, requireString(values, 'sae')),
        ...(values.q === undefined ? {} : { q: values.q }),
        ...(values.tag === undefined ? {} : { tags: values.tag }),
        ...(values.sort === undefined ? {} : { sort: values.sort }),
        limit: values.limit === undefined ? 20 : parseIntOption('limit', values.limit, 1, 500),
        ...(values.offset === undefined ? {} : { offset: parseIntOption('offset', values.offset, 0, 1_000_000) }),
      };
      const r = (await callOrThrow(h, 'catalog.search', input)) as { total: number; totalIsLowerBound: boolean; rows: Array<{ idx: number; density: number; maxAct: number; explanation: string; userLabel: string | null }> };
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      // A lower-bound total ("10000+") means the search stopped counting there, to stay fast.
      process.stdout.write(`${r.total}${r.totalIsLowerBound ? '+' : ''} feature${r.total === 1 && !r.totalIsLowerBound ? '' : 's'}\n`);
      for (const f of r.rows) {
        process.stdout.write(`${String(f.idx).padStart(7)}  density ${formatNumber(f.density).padStart(8)}  max ${formatNumber(f.maxAct).padStart(7)}  ${f.userLabel ?? f.explanation}\n`);
      }
      return 0;
    },
  },
};
