// Commands that make SAEs (capture activations, train, evaluate, import) and keep them (saes list|rename|delete).
import { TRAIN_ARCHITECTURE_NAMES } from '../../shared/contract';
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, JSON_FLAG, corpusFromFlags } from '../args';
import { aka, modelOrBundled, pathFlag, saeFlag } from '../field-rules';
import { flagsFor } from '../flags';
import { mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber, printJson } from '../format';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import type { SaeSummary } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';

const capture = flagsFor('capture.start', {
  fields: { model: modelOrBundled, hooks: aka('hook'), contextLength: aka('context'), batchSize: aka('batch') },
  hand: ['corpus'],
});
const train = flagsFor('sae.train', {
  fields: { store: pathFlag('DIR'), architecture: aka('arch'), batchSize: aka('batch'), l1Coefficient: aka('l1'), l0Coefficient: aka('l0') },
});
const evaluate = flagsFor('sae.evaluate', { fields: { saeId: saeFlag, model: pathFlag('DIR'), contextLength: aka('context') }, hand: ['corpus'] });
const importSae = flagsFor('sae.import', { fields: { path: pathFlag('DIR|params.npz'), hookName: aka('hook') } });
const SAE_NOTE = 'required with rename, delete';
const rename = flagsFor('sae.rename', { fields: { saeId: { ...saeFlag, note: SAE_NOTE }, name: { note: 'required with rename' } } });
const remove = flagsFor('sae.delete', { fields: { saeId: { ...saeFlag, note: SAE_NOTE } } });
const SAES_ACTIONS = ['list', 'rename', 'delete'] as const;

function formatSae(s: SaeSummary): string {
  const analysed = s.analysis ? `analysed (${formatNumber(s.analysis.featureCount)} features)` : 'not analysed';
  return `#${s.id}  ${s.name}  ${s.architecture} ${s.dIn} → ${s.dSae} at ${s.hookName}, ${analysed}${s.trainedOn ? `; model ${s.trainedOn}` : ''}`;
}

export const saeCommands: Record<string, CliCommand> = {
  capture: {
    summary: 'Capture activations of a model over a corpus into the workspace (resumes under the same --name)',
    usage: [
      'featurescope capture --corpus PATH --hook NAME [--hook NAME]… --name NAME [--model DIR|NAME]',
      '                     [--kind txt|jsonl|folder] [--text-field text] [--recursive] [--context N]',
      '                     [--bos auto|prepend|separator|none] [--dtype float32|float16] [--max-tokens N] [--batch N]',
    ].join('\n'),
    flags: mergeFlags(capture, CORPUS_FLAGS, JSON_FLAG),
    async run(values, host) {
      const corpus = corpusFromFlags(values);
      const input = { ...(await capture.read(values, host)), corpus };
      const r = await runJob(await host(), 'capture.start', input, progressToStderr());
      clearProgress();
      if (values.json) {
        printJson(r);
        return 0;
      }
      for (const s of r.stores) process.stdout.write(`${s.hook}: ${s.tokens} tokens in ${s.shards} shards → ${s.storeDir}\n`);
      return 0;
    },
  },
  captures: {
    summary: "List the workspace's activation captures and their stores (the folders `train --store` takes)",
    usage: 'featurescope captures [--json]',
    flags: mergeFlags(flagsFor('capture.list'), JSON_FLAG),
    async run(values, host) {
      const list = await callOrThrow(await host(), 'capture.list', {});
      if (values.json) {
        printJson(list);
        return 0;
      }
      const { captures } = list;
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
      '                   [--matryoshka-widths N,N…] (matryoshka_batchtopk: nested prefix widths; default d-sae/8, /4, /2)',
      '',
      'Training again under the same --name resumes its checkpoint if every setting is the same, and is refused',
      'naming the ones that differ otherwise (--steps included: the schedule depends on it); --restart discards',
      'the checkpoint and trains from step 0.',
      'At the end the SAE is evaluated spliced into the capture\'s model over --eval-windows windows of its corpus',
      '(ce_loss_score, kl_div_score…, as `featurescope evaluate`); 0 skips that.',
    ].join('\n'),
    flags: mergeFlags(train, JSON_FLAG),
    async run(values, host) {
      const input = await train.read(values, host);
      const r = await runJob(await host(), 'sae.train', input, progressToStderr());
      clearProgress();
      if (values.json) {
        printJson(r);
        return 0;
      }
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
    flags: mergeFlags(evaluate, CORPUS_FLAGS, JSON_FLAG),
    async run(values, host) {
      const corpus = corpusFromFlags(values);
      const input = { ...(await evaluate.read(values, host)), corpus };
      const r = await runJob(await host(), 'sae.evaluate', input, progressToStderr());
      clearProgress();
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join('\n')}\n`);
      return 0;
    },
  },
  import: {
    summary: 'Import an SAE: a SAELens folder, an EleutherAI sparsify folder, a Gemma Scope 2 folder or a Gemma Scope params.npz',
    usage: [
      'featurescope import --path PATH --name NAME [--hook NAME --model-name NAME]',
      '',
      'PATH is one of:',
      '  a SAELens folder          cfg.json + sae_weights.safetensors (SAELens 6 or older; normalize_activations,',
      '                            rescale_acts_by_decoder_norm and batchtopk / matryoshka_batchtopk checkpoints',
      '                            are applied as SAELens does; expected_average_only_in reads activation_scaler.json)',
      '  a sparsify folder         cfg.json + sae.safetensors, named after its hook point (layers.N → blocks.N.hook_resid_post)',
      '  a Gemma Scope 2 folder    config.json + params.safetensors (hf_hook_point_in names the hook)',
      '  a Gemma Scope params.npz  which does not say its hook or model: --hook and --model-name are needed',
      'Values Featurescope cannot run (hook_z attention SAEs, transcoders, skip connections…) are refused by name.',
      '--hook and --model-name, given together, replace what the folder says.',
    ].join('\n'),
    flags: mergeFlags(importSae, JSON_FLAG),
    async run(values, host) {
      const r = await callOrThrow(await host(), 'sae.import', await importSae.read(values, host));
      if (values.json) {
        printJson(r);
        return 0;
      }
      process.stdout.write(`SAE #${r.saeId}: ${r.architecture}, ${r.dIn} → ${r.dSae} at ${r.hookName}\n`);
      return 0;
    },
  },
  saes: {
    summary: "The workspace's SAEs: list them, rename one, delete one (every catalog row of it, and its folders)",
    usage: [
      'featurescope saes list [--json]',
      'featurescope saes rename --sae ID|NAME --name NEW [--json]',
      'featurescope saes delete --sae ID|NAME [--json]',
      '',
      'rename moves its folders in the workspace (saes/NAME, checkpoints/NAME) with it; a name in use is refused.',
      'delete removes its features, examples, logit effects, labels, tags, notes, analyses and watchlist entries',
      'in one transaction, then its folders; logged experiments are kept (they stay citable). Both are refused',
      'while a job uses the SAE (training, analysis, evaluation, scan…), naming the process.',
    ].join('\n'),
    positionals: true,
    flags: mergeFlags(rename, remove, JSON_FLAG),
    async run(values, host, positionals) {
      const [action, ...extra] = positionals;
      if (extra.length > 0 || !SAES_ACTIONS.includes(action as (typeof SAES_ACTIONS)[number])) {
        throw new FeaturescopeError('invalid_input', `Say what to do: featurescope saes ${SAES_ACTIONS.join('|')} (got "${positionals.join(' ')}").`);
      }
      if (action === 'list') {
        const saes = await callOrThrow(await host(), 'catalog.saes', {});
        if (values.json) process.stdout.write(`${JSON.stringify(saes, null, 2)}\n`);
        else if (saes.length === 0) process.stdout.write('No SAE yet: train one (featurescope train …) or import one (featurescope import …).\n');
        else for (const s of saes) process.stdout.write(`${formatSae(s)}\n`);
        return 0;
      }
      if (action === 'rename') {
        const r = await callOrThrow(await host(), 'sae.rename', await rename.read(values, host));
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `Renamed SAE #${r.saeId} "${r.previousName}" to "${r.name}" (${r.path})\n`);
        return 0;
      }
      const r = await callOrThrow(await host(), 'sae.delete', await remove.read(values, host));
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const rows = Object.entries(r.rows).filter(([, n]) => n > 0).map(([table, n]) => `${table} ${formatNumber(n)}`).join(', ');
        process.stdout.write(`Deleted SAE #${r.saeId} "${r.name}" and its catalog rows (${rows})${r.folders.length > 0 ? `; removed ${r.folders.join(', ')}` : ''}\n`);
      }
      return 0;
    },
  },
};
