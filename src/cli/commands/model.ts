// Commands that run prompts through a model.
import type { CliCommand } from '../command';
import { requireString, parseIntOption } from '../args';
import { callOrThrow, resolveModel, siteFromFlags } from '../host-calls';
import { formatNumber, formatRun } from '../format';
import { parseInterventionFlags } from '../interventions';
import { FeaturescopeError } from '../../shared/errors';
import type { AttributionOutput, AttributionReplayOutput, PatchOutput, RunOutput } from '../../shared/contract';

export const modelCommands: Record<string, CliCommand> = {
  run: {
    summary: 'Run a prompt through a model: tokens, top next-token probabilities, captured hooks, continuation',
    usage: [
      'featurescope run [--model DIR|NAME] --prompt TEXT [--hook NAME]… [--ablate HOOK:N,M]… [--steer HOOK:N=V]… [--clamp HOOK:N=V]…',
      '                 [--generate N] [--temperature T] [--top-p P] [--seed S] [--top K] [--allow-non-finite] [--json]',
      '',
      'The model defaults to the bundled one. --hook captures a hook point (TransformerLens names:',
      'blocks.0.hook_resid_post, blocks.1.mlp.hook_post, …) and prints its shape. Interventions apply to',
      'this run only: --ablate zeroes neurons, --steer adds to one, --clamp sets one. Weights holding NaN or',
      '±Inf are refused, naming the tensor; --allow-non-finite runs them anyway.',
    ].join('\n'),
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      hook: { type: 'string', multiple: true },
      ablate: { type: 'string', multiple: true },
      steer: { type: 'string', multiple: true },
      clamp: { type: 'string', multiple: true },
      generate: { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      top: { type: 'string' },
      'allow-non-finite': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      if (typeof values.prompt !== 'string') throw new FeaturescopeError('invalid_input', '--prompt is required.', 'prompt');
      const h = await host();
      const model = await resolveModel(h, values.model as string | undefined);
      const input = {
        model,
        prompt: values.prompt,
        capture: (values.hook as string[] | undefined) ?? [],
        interventions: parseInterventionFlags(values as { ablate?: string[]; steer?: string[]; clamp?: string[] }),
        topK: values.top === undefined ? 10 : parseIntOption('top', values.top, 1, 100),
        ...(values['allow-non-finite'] === true ? { allowNonFinite: true } : {}),
        ...(values.generate === undefined
          ? {}
          : {
              generate: {
                maxNewTokens: parseIntOption('generate', values.generate, 1, 1024),
                temperature: values.temperature === undefined ? 0 : Number(values.temperature),
                topP: values['top-p'] === undefined ? 1 : Number(values['top-p']),
                seed: values.seed === undefined ? 0 : parseIntOption('seed', values.seed, 0, 2 ** 31 - 1),
              },
            }),
      };
      const out = (await callOrThrow(h, 'model.run', input)) as RunOutput;
      process.stdout.write(values.json ? `${JSON.stringify(out, null, 2)}\n` : `${formatRun(out)}\n`);
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
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'patch-prompt': { type: 'string' },
      target: { type: 'string' },
      'target-id': { type: 'string' },
      versus: { type: 'string' },
      'versus-id': { type: 'string' },
      layers: { type: 'string' },
      sae: { type: 'string' },
      method: { type: 'string' },
      top: { type: 'string' },
      verify: { type: 'boolean' },
      replay: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      if (typeof values.replay === 'string') {
        const r = (await callOrThrow(h, 'attribution.replay', { ref: /^\d+$/.test(values.replay) ? Number(values.replay) : values.replay })) as AttributionReplayOutput;
        const what = r.of === 'attribution.run' ? `${r.reordered} unit(s) moved, largest relative score change ${formatNumber(r.difference)}` : `${r.reordered} next token(s) moved, largest probability change ${formatNumber(r.difference)}`;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf} (${r.of}): ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (${what})\n`);
        return r.matches ? 0 : 1;
      }
      const target = targetFlag(values, 'target', true) as string | number;
      const versus = targetFlag(values, 'versus', false);
      const input = {
        model: await resolveModel(h, values.model as string | undefined),
        prompt: requireString(values, 'prompt'),
        ...(values['patch-prompt'] === undefined ? {} : { patchPrompt: values['patch-prompt'] }),
        metric: versus === undefined ? { kind: 'logprob', token: target } : { kind: 'logit-diff', tokenA: target, tokenB: versus },
        site: await siteFromFlags(h, values),
        ...(values.method === undefined ? {} : { method: values.method }),
        topN: values.top === undefined ? 20 : parseIntOption('top', values.top, 1, 500),
        verify: values.verify === true,
      };
      const r = (await callOrThrow(h, 'attribution.run', input)) as AttributionOutput;
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
    options: {
      model: { type: 'string' },
      source: { type: 'string' },
      'target-prompt': { type: 'string' },
      layers: { type: 'string' },
      sae: { type: 'string' },
      top: { type: 'string' },
      scale: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        model: await resolveModel(h, values.model as string | undefined),
        sourcePrompt: requireString(values, 'source'),
        targetPrompt: requireString(values, 'target-prompt'),
        site: await siteFromFlags(h, values),
        topN: values.top === undefined ? 20 : parseIntOption('top', values.top, 1, 100_000),
        ...(values.scale === undefined ? {} : { scale: Number(values.scale) }),
      };
      const r = (await callOrThrow(h, 'attribution.patch', input)) as PatchOutput;
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
