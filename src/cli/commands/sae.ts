// Commands that make SAEs: capture activations, train, evaluate, import.
import { TRAIN_ARCHITECTURE_NAMES, type CommandOutput } from '../../shared/contract';
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, requireString, parseIntOption, corpusFromFlags } from '../args';
import { callOrThrow, resolveModel, saeOnCorpusFromFlags } from '../host-calls';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber } from '../format';
import { runJob } from '../../host/run-job';
import { resolve } from 'node:path';

export const saeCommands: Record<string, CliCommand> = {
  capture: {
    summary: 'Capture activations of a model over a corpus into the workspace (resumes under the same --name)',
    usage: [
      'featurescope capture --corpus PATH --hook NAME [--hook NAME]… --name NAME [--model DIR|NAME]',
      '                     [--kind txt|jsonl|folder] [--text-field text] [--recursive] [--context N]',
      '                     [--bos auto|prepend|separator|none] [--dtype float32|float16] [--max-tokens N] [--batch N]',
    ].join('\n'),
    options: {
      model: { type: 'string' },
      ...CORPUS_FLAGS,
      hook: { type: 'string', multiple: true },
      name: { type: 'string' },
      context: { type: 'string' },
      bos: { type: 'string' },
      dtype: { type: 'string' },
      'max-tokens': { type: 'string' },
      batch: { type: 'string' },
    },
    async run(values, host) {
      const corpus = corpusFromFlags(values);
      const h = await host();
      const input = {
        model: await resolveModel(h, values.model as string | undefined),
        corpus,
        hooks: (values.hook as string[] | undefined) ?? [],
        name: requireString(values, 'name'),
        ...(values.context === undefined ? {} : { contextLength: Number(values.context) }),
        ...(values.bos === undefined ? {} : { bos: values.bos }),
        ...(values.dtype === undefined ? {} : { dtype: values.dtype }),
        ...(values['max-tokens'] === undefined ? {} : { maxTokens: Number(values['max-tokens']) }),
        ...(values.batch === undefined ? {} : { batchSize: Number(values.batch) }),
      };
      const r = await runJob(h, 'capture.start', input as never, progressToStderr());
      clearProgress();
      for (const s of r.stores) process.stdout.write(`${s.hook}: ${s.tokens} tokens in ${s.shards} shards → ${s.storeDir}\n`);
      return 0;
    },
  },
  captures: {
    summary: "List the workspace's activation captures and their stores (the folders `train --store` takes)",
    usage: 'featurescope captures',
    options: {},
    async run(_values, host) {
      const { captures } = (await callOrThrow(await host(), 'capture.list', {})) as CommandOutput<'capture.list'>;
      if (captures.length === 0) process.stdout.write('No captures yet: run `featurescope capture …` first.\n');
      for (const c of captures) {
        process.stdout.write(`${c.name}  (${c.model ?? 'unknown model'}, ${new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' ')})\n`);
        for (const s of c.stores) {
          const state = s.problem ?? (s.complete ? 'complete' : 'incomplete: capture again under the same --name to resume');
          process.stdout.write(`  ${s.hook}: ${formatNumber(s.tokens)} tokens, ${s.shards} shards, d ${s.dIn ?? '?'} ${s.dtype ?? ''} — ${state}\n    ${s.storeDir}\n`);
        }
      }
      return 0;
    },
  },
  train: {
    summary: 'Train a sparse autoencoder on a captured activation store (resumes under the same --name)',
    usage: [
      `featurescope train --store DIR --name NAME --d-sae N --steps N [--arch ${TRAIN_ARCHITECTURE_NAMES.join('|')}] [--k N]`,
      '                   [--batch 1024] [--lr X] [--l1 X] [--l0 X] [--seed 0] [--checkpoint-every 200] [--eval-windows 32] [--restart]',
      '',
      'Training again under the same --name resumes its checkpoint if every setting is the same, and is refused',
      'naming the ones that differ otherwise (--steps included: the schedule depends on it); --restart discards',
      'the checkpoint and trains from step 0.',
      'At the end the SAE is evaluated spliced into the capture\'s model over --eval-windows windows of its corpus',
      '(ce_loss_score, kl_div_score…, as `featurescope evaluate`); 0 skips that.',
    ].join('\n'),
    options: {
      store: { type: 'string' },
      name: { type: 'string' },
      arch: { type: 'string' },
      'd-sae': { type: 'string' },
      k: { type: 'string' },
      steps: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      l1: { type: 'string' },
      l0: { type: 'string' },
      seed: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'eval-windows': { type: 'string' },
      restart: { type: 'boolean' },
    },
    async run(values, host) {
      const num = (flag: string) => (values[flag] === undefined ? undefined : Number(values[flag]));
      const input = Object.fromEntries(
        Object.entries({
          store: resolve(requireString(values, 'store')),
          name: requireString(values, 'name'),
          architecture: values.arch,
          dSae: num('d-sae'),
          k: num('k'),
          steps: num('steps'),
          batchSize: num('batch'),
          lr: num('lr'),
          l1Coefficient: num('l1'),
          l0Coefficient: num('l0'),
          seed: num('seed'),
          checkpointEvery: num('checkpoint-every'),
          evalWindows: num('eval-windows'),
          restart: values.restart,
        }).filter(([, v]) => v !== undefined),
      );
      const h = await host();
      const r = await runJob(h, 'sae.train', input as never, progressToStderr());
      clearProgress();
      process.stdout.write(`${r.status} at step ${r.step}${r.resumedFromStep !== null ? ` (resumed from ${r.resumedFromStep})` : ''}: SAE #${r.saeId} → ${r.path}\n`);
      process.stdout.write(`training: ${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join('  ')}\n`);
      if (r.evaluation) {
        const shown = ['ce_loss_score', 'kl_div_score', 'explained_variance', 'l0', 'dead_fraction'];
        process.stdout.write(`evaluation over ${r.evaluation.windows} windows: ${shown.filter((k) => r.evaluation!.metrics[k] !== undefined).map((k) => `${k}=${formatNumber(r.evaluation!.metrics[k]!)}`).join('  ')}\n`);
      } else {
        process.stdout.write(`no evaluation: ${r.evaluationSkipped ?? 'skipped'}\n`);
      }
      return 0;
    },
  },
  evaluate: {
    summary: 'Evaluate an SAE spliced into its model: CE loss recovered, KL, reconstruction, density (stored in the catalog)',
    usage: 'featurescope evaluate --sae ID|NAME --corpus PATH [--kind txt|jsonl|folder] [--model DIR] [--context N] [--windows 64] [--json]',
    options: {
      sae: { type: 'string' },
      ...CORPUS_FLAGS,
      model: { type: 'string' },
      context: { type: 'string' },
      windows: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        ...(await saeOnCorpusFromFlags(h, values)),
        ...(values.windows === undefined ? {} : { windows: parseIntOption('windows', values.windows, 1, 4096) }),
      };
      const r = await runJob(h, 'sae.evaluate', input as never, progressToStderr());
      clearProgress();
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join('\n')}\n`);
      return 0;
    },
  },
  import: {
    summary: 'Import an SAE: a SAELens folder or a Gemma Scope params.npz',
    usage: 'featurescope import --path PATH --name NAME [--hook NAME --model-name NAME (for params.npz)]',
    options: { path: { type: 'string' }, name: { type: 'string' }, hook: { type: 'string' }, 'model-name': { type: 'string' } },
    async run(values, host) {
      const h = await host();
      const input = {
        path: resolve(requireString(values, 'path')),
        name: requireString(values, 'name'),
        ...(values.hook ? { hookName: values.hook } : {}),
        ...(values['model-name'] ? { modelName: values['model-name'] } : {}),
      };
      const r = (await callOrThrow(h, 'sae.import', input)) as { saeId: number; architecture: string; dIn: number; dSae: number; hookName: string };
      process.stdout.write(`SAE #${r.saeId}: ${r.architecture}, ${r.dIn} → ${r.dSae} at ${r.hookName}\n`);
      return 0;
    },
  },
};
