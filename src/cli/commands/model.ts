// Commands that run prompts through a model.
import type { CliCommand } from '../command';
import { JSON_FLAG, requireString, parseIntOption } from '../args';
import { SITE_FLAGS, siteFromFlags } from '../host-calls';
import { aka, modelOrBundled, pathFlag, replayFlag, saeFlag } from '../field-rules';
import { flagsFor } from '../flags';
import { handFlags, mergeFlags } from '../flag-set';
import { formatNumber, formatRun } from '../format';
import { FEATURE_INTERVENTION_FLAGS, INTERVENTION_FLAGS, hasFeatureFlags, parseFeatureFlags, parseInterventionFlags } from '../interventions';
import { readIdsFile } from '../ids-file';
import { callOrThrow } from '../../shared/call';
import type { PatchOutput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { describePlan } from '../../shared/memory-plan-text';
import type { Host } from '../../host/host';

/** A big model's plan goes to stderr before its run, which may take minutes (small models say nothing). */
async function announcePlan(host: Host, path: string): Promise<void> {
  const plan = await callOrThrow(host, 'model.plan', { path });
  if (plan.storedBytes < 1e9) return;
  process.stderr.write(`${describePlan(plan).join('\n')}\n`);
}

const run = flagsFor('model.run', {
  fields: {
    model: modelOrBundled,
    capture: aka('hook'),
    topK: aka('top'),
    sae: { ...saeFlag, describe: 'The SAE whose features --ablate-feature, --steer-feature and --clamp-feature edit, by catalog id or name' },
    logits: pathFlag('FILE.npy|FILE.safetensors'),
    dumpHooks: pathFlag('FILE.safetensors'),
  },
  hand: ['interventions', 'generate'],
  omit: ['probe'],
});
const IDS_FILE_FLAG = handFlags({ 'ids-file': { type: 'string', value: 'FILE', description: 'The prompt as token ids from a file: a JSON array or numbers separated by spaces, commas or newlines' } });
/** A continuation: --generate N turns it on; the sampling flags apply to it. */
const GENERATE_FLAGS = handFlags({
  generate: { type: 'string', value: 'N', description: 'Continue the prompt by N tokens (1 to 1024)' },
  temperature: { type: 'string', value: 'T', description: 'Sampling temperature of the continuation; 0 is greedy (default 0)' },
  'top-p': { type: 'string', value: 'P', description: 'Nucleus sampling: keep the likeliest tokens up to this probability mass (default 1)' },
  seed: { type: 'string', value: 'S', description: 'Seed of the continuation’s sampling (default 0)' },
});
const attribute = flagsFor('attribution.run', { fields: { model: modelOrBundled, topN: { aliases: ['top'], default: 20 } }, hand: ['metric', 'site'] });
const METRIC_FLAGS = handFlags({
  target: { type: 'string', value: 'TEXT', description: 'The metric is log p(TEXT) after the prompt; several tokens are a continuation (Σ log p of its tokens)' },
  'target-id': { type: 'string', value: 'ID', description: 'The target as token ids (one id, or a comma list for a continuation), instead of --target' },
  versus: { type: 'string', value: 'TEXT', description: 'Make the metric the target’s minus this text’s (logit difference for one token each, else log-probability sums)' },
  'versus-id': { type: 'string', value: 'ID', description: 'The versus side as token ids, instead of --versus' },
});
const attributeReplay = flagsFor('attribution.replay', { fields: { ref: replayFlag } });
const patch = flagsFor('attribution.patch', { fields: { model: modelOrBundled, sourcePrompt: aka('source'), topN: aka('top') }, hand: ['site'], omit: ['metric'] });

export const modelCommands: Record<string, CliCommand> = {
  run: {
    summary: 'Run a prompt through a model: tokens, top next-token probabilities, captured hooks, continuation',
    usage: [
      'featurescope run [--model DIR|NAME] --prompt TEXT|--ids N,N…|--ids-file FILE [--hook NAME|all]… [--all-positions] [--top K]',
      '                 [--logits FILE.npy|FILE.safetensors] [--dump-hooks FILE.safetensors] [--force]',
      '                 [--ablate HOOK:N,M]… [--steer HOOK:N=V]… [--clamp HOOK:N=V]…',
      '                 [--sae ID|NAME [--ablate-feature N,M]… [--steer-feature N=V]… [--clamp-feature N=V]…]',
      '                 [--generate N] [--temperature T] [--top-p P] [--seed S] [--allow-non-finite] [--json]',
      '',
      'The model defaults to the bundled one. The prompt is text (BOS added where the tokenizer adds one) or token',
      'ids used as given, each checked against the vocabulary. --hook captures a hook point (TransformerLens names:',
      'blocks.0.hook_resid_post, blocks.1.mlp.hook_post, …; "all" is every hook) and prints its shape.',
      '--all-positions shows the top next tokens after every position, not only the last.',
      'Files (written by the engine, whole or not at all; an existing file is replaced only with --force):',
      '  --logits FILE      float32 logits of every position, shape [1, pos, vocab]: a .npy array, or tensor',
      '                     "logits" of a .safetensors file (numpy.load / safetensors.numpy.load_file read them)',
      '  --dump-hooks FILE  every --hook as float32 in a .safetensors file, each tensor named by its TransformerLens',
      '                     hook, in the shape it was captured ([1, pos, width], as printed)',
      'Interventions apply to this run only: --ablate zeroes neurons, --steer adds to one, --clamp sets one;',
      'the -feature forms do the same to features of --sae (encode, edit, decode, keeping the SAE\'s error, as',
      'the playground does). Weights holding NaN or ±Inf are refused, naming the tensor; --allow-non-finite runs them.',
    ].join('\n'),
    flags: mergeFlags(run, IDS_FILE_FLAG, INTERVENTION_FLAGS, FEATURE_INTERVENTION_FLAGS, GENERATE_FLAGS, JSON_FLAG),
    async run(values, host) {
      const neuronEdits = parseInterventionFlags(values as { ablate?: string[]; steer?: string[]; clamp?: string[] });
      const generate =
        values.generate === undefined
          ? {}
          : {
              generate: {
                maxNewTokens: parseIntOption('generate', values.generate, 1, 1024),
                temperature: values.temperature === undefined ? 0 : Number(values.temperature),
                topP: values['top-p'] === undefined ? 1 : Number(values['top-p']),
                seed: values.seed === undefined ? 0 : parseIntOption('seed', values.seed, 0, 2 ** 31 - 1),
              },
            };
      const given = [values.prompt, values.ids, values['ids-file']].filter((v) => v !== undefined).length;
      if (given !== 1) throw new FeaturescopeError('invalid_input', `Give the prompt once: --prompt TEXT, --ids N,N… or --ids-file FILE${given === 0 ? '' : ' (not several)'}.`, 'prompt');
      if (hasFeatureFlags(values) && values.sae === undefined) throw new FeaturescopeError('invalid_input', '--ablate-feature, --steer-feature and --clamp-feature edit features of an SAE: give --sae ID|NAME.', 'sae');
      const ids = values['ids-file'] === undefined ? {} : { ids: readIdsFile(values['ids-file'] as string) };
      const read = await run.read(values, host);
      const featureEdits = read.sae === undefined ? [] : parseFeatureFlags(values, await saeHook(await host(), read.sae));
      const input = { ...read, ...ids, interventions: [...neuronEdits, ...featureEdits], ...generate };
      await announcePlan(await host(), input.model);
      const out = await callOrThrow(await host(), 'model.run', input);
      process.stdout.write(values.json ? `${JSON.stringify(out, null, 2)}\n` : `${formatRun(out)}\n`);
      return 0;
    },
  },
  models: {
    summary: 'The models this workspace knows: the bundled ones and every folder opened or captured from before',
    usage: 'featurescope models list [--json]',
    positionals: true,
    flags: mergeFlags(JSON_FLAG),
    async run(values, host, positionals) {
      if (positionals.length !== 1 || positionals[0] !== 'list') throw new FeaturescopeError('invalid_input', `Say what to do: featurescope models list (got "${positionals.join(' ')}").`);
      const models = await callOrThrow(await host(), 'model.list', {});
      if (values.json) {
        process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
        return 0;
      }
      for (const m of models) {
        process.stdout.write(`${m.name}${m.bundled ? ' (bundled)' : ''}  ${m.modelType}, ${m.nLayers} layers, d_model ${m.dModel}, ${m.nHeads} heads, d_mlp ${m.dMlp}, vocab ${formatNumber(m.vocabSize)}, ${formatNumber(m.parameters)} parameters\n  ${m.path}\n`);
      }
      if (models.length === 0) process.stdout.write('No model yet: pass --model DIR to a command, or open one in the app.\n');
      return 0;
    },
  },
  attribute: {
    summary: 'Rank MLP neurons or SAE features by attribution patching for a next-token metric; --verify patches the top ones for real',
    usage: [
      'featurescope attribute --prompt TEXT --target TEXT|--target-id ID [--versus TEXT|--versus-id ID] [--model DIR|NAME] [--layers 0,1,…] [--sae ID|NAME]',
      '                       [--patch-prompt TEXT] [--method gradient|integrated-gradients] [--top 20] [--verify] [--json]',
      'featurescope attribute --replay exp-000123   (re-run a logged ranking or patch and compare)',
      '',
      'The metric is log p(TARGET) after the prompt, or logit(TARGET) − logit(VERSUS). A target of several',
      'tokens is read as a continuation: Σ log p of its tokens after the prompt (differences of those sums',
      'for --versus). --target-id 401 (or 401,29871) gives token ids. Scores predict',
      'metric(unit zero-ablated or patched) − metric(clean).',
    ].join('\n'),
    flags: mergeFlags(attribute, METRIC_FLAGS, handFlags(SITE_FLAGS), attributeReplay, JSON_FLAG),
    async run(values, host) {
      if (typeof values.replay === 'string') {
        const r = await callOrThrow(await host(), 'attribution.replay', await attributeReplay.read(values, host));
        const what = r.of === 'attribution.run' ? `${r.reordered} unit(s) moved, largest relative score change ${formatNumber(r.difference)}` : `${r.reordered} next token(s) moved, largest probability change ${formatNumber(r.difference)}`;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf} (${r.of}): ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (${what})\n`);
        return r.matches ? 0 : 1;
      }
      const target = targetFlag(values, 'target', true) as string | number;
      const versus = targetFlag(values, 'versus', false);
      const metric = versus === undefined ? { kind: 'logprob' as const, token: target } : { kind: 'logit-diff' as const, tokenA: target, tokenB: versus };
      const input = { ...(await attribute.read(values, host)), metric, site: await siteFromFlags(host, values) };
      const r = await callOrThrow(await host(), 'attribution.run', input);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.experiment.citeId}  metric (clean) ${formatNumber(r.metricClean)}\n`);
      for (const u of r.units) process.stdout.write(`  ${`${u.hook}[${u.index}]`.padEnd(34)} score ${formatNumber(u.score).padStart(9)}${u.measured === null ? '' : `  measured ${formatNumber(u.measured).padStart(9)}`}\n`);
      if (r.verification) process.stdout.write(`Spearman ${r.verification.spearman.toFixed(3)}, Pearson ${r.verification.pearson.toFixed(3)}, sign agreement ${(r.verification.signAgreement * 100).toFixed(0)}% over ${r.units.length} units\n`);
      return 0;
    },
  },
  patch: {
    summary: 'Patch the top-N neuron (or SAE feature) deltas of a source prompt into a target prompt and show the shift',
    usage: 'featurescope patch --source TEXT --target-prompt TEXT [--model DIR|NAME] [--layers 0,1,…] [--sae ID|NAME] [--top 20] [--scale 1] [--json]',
    flags: mergeFlags(patch, handFlags(SITE_FLAGS), JSON_FLAG),
    async run(values, host) {
      const input = { ...(await patch.read(values, host)), site: await siteFromFlags(host, values) };
      const r = await callOrThrow(await host(), 'attribution.patch', input);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      const show = (list: PatchOutput['before']) => list.slice(0, 5).map((t) => `${JSON.stringify(t.text)} ${(t.prob * 100).toFixed(1)}%`).join(', ');
      process.stdout.write(`${r.experiment.citeId}: moved ${r.units.length} units\n`);
      process.stdout.write(`  source  ${show(r.source)}\n  before  ${show(r.before)}\n  after   ${show(r.after)}\n`);
      process.stdout.write(`KL(source‖target) ${r.klSourceBefore.toFixed(3)} → ${r.klSourceAfter.toFixed(3)} nats; KL(after‖before) ${r.klAfterBefore.toFixed(3)}\n`);
      return 0;
    },
  },
};

/** The hook an SAE reads: where its feature interventions go. */
async function saeHook(host: Host, saeId: number): Promise<string> {
  const found = (await callOrThrow(host, 'catalog.saes', {})).find((s) => s.id === saeId);
  if (!found) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in the catalog.`, 'sae');
  return found.hookName;
}

/**
 * --NAME TEXT or --NAME-id ID: text as typed, or ids (one id → the number; several → "id:a,b", the
 * contract's form), so an id is never read as text.
 */
function targetFlag(values: Record<string, unknown>, name: string, required: boolean): string | number | undefined {
  const text = values[name];
  const ids = values[`${name}-id`];
  if (text !== undefined && ids !== undefined) throw new FeaturescopeError('invalid_input', `Give --${name} or --${name}-id, not both.`, name);
  if (ids === undefined) return required || text !== undefined ? requireString(values, name) : undefined;
  const list = String(ids).split(',').map((id) => parseIntOption(`${name}-id`, id.trim(), 0, 2 ** 31 - 1));
  return list.length === 1 ? (list[0] as number) : `id:${list.join(',')}`;
}
