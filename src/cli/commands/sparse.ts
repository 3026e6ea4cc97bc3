// featurescope sparse-train: a weight-sparse GPT-2 trained from scratch on a corpus (sparse.train).
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, JSON_FLAG, corpusFromFlags } from '../args';
import { aka, modelIfGiven, pathFlag } from '../field-rules';
import { flagsFor } from '../flags';
import { mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber } from '../format';
import { runJob } from '../../host/run-job';
import { parseFraction } from '../../shared/fraction';


const sparseTrain = flagsFor('sparse.train', {
  fields: {
    tokenizer: pathFlag('FILE'),
    model: modelIfGiven,
    contextLength: aka('context'),
    batchSize: aka('batch'),
    targetFraction: { value: '1/64', parse: parseFraction },
    activationTopK: { value: '1/4', parse: parseFraction },
  },
  hand: ['corpus'],
});

export const sparseCommands: Record<string, CliCommand> = {
  'sparse-train': {
    summary: 'Train a weight-sparse GPT-2 from scratch on a corpus into models/<name> (resumes under the same --name)',
    usage: [
      'featurescope sparse-train --corpus PATH --name NAME --steps N [--d-model 128] [--layers 2] [--heads 4]',
      '                          [--target-fraction 1/64] [--min-per-neuron 4] [--sparsify-embeddings] [--activation-top-k 1/4]',
      '                          [--tokenizer FILE | --model DIR] [--context 128] [--batch 16] [--lr X] [--seed 0] [--restart]',
      '',
      'After every AdamW step each weight matrix keeps its largest entries at one nonzero fraction (at least',
      '--min-per-neuron per neuron/channel), annealed from dense to --target-fraction over the first half of the',
      'steps. The result is a Hugging Face GPT-2 folder in the workspace; config.json says how it was sparsified',
      '(featurescope_sparsity). Training again under the same --name resumes its checkpoint if every setting is the same.',
    ].join('\n'),
    flags: mergeFlags(sparseTrain, CORPUS_FLAGS, JSON_FLAG),
    async run(values, host) {
      const input = { ...(await sparseTrain.read(values, host)), corpus: corpusFromFlags(values) };
      const r = await runJob(await host(), 'sparse.train', input, progressToStderr());
      clearProgress();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.status} at step ${r.step}${r.resumedFromStep !== null ? ` (resumed from ${r.resumedFromStep})` : ''}: ${formatNumber(r.parameters)} parameters → ${r.path}\n`);
      process.stdout.write(`${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join('  ')}\n`);
      return 0;
    },
  },
};
