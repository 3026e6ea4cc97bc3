// featurescope <command>: the same engine and contract as the desktop app, headless.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AttributionOutput, AuditReplayOutput, CorpusSpec, ModelInfo, ProbeTrainOutput, Progress, RunOutput } from '../shared/contract';
import { FeaturescopeError, toCommandError } from '../shared/errors';
import type { Host } from '../main/host/host';
import { createNodeHost } from '../main/host/node-host';
import { runJob } from '../main/host/run-job';
import { startServer } from '../main/serve/server';
import { formatDoctor, formatNumber, formatProgress, formatRun } from './format';
import { parseInterventionFlags } from './interventions';

interface CliCommand {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, host: () => Promise<Host>): Promise<number>;
}

const cliCommands: Record<string, CliCommand> = {
  doctor: {
    summary: 'Report the compute backend (and why), versions and data paths',
    usage: 'featurescope doctor [--json]',
    options: { json: { type: 'boolean' } },
    async run(values, host) {
      const h = await host();
      const report = await callOrThrow(h, 'app.doctor', {});
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report as never)}\n`);
      return 0;
    },
  },
  serve: {
    summary: 'Serve the workbench to a browser on 127.0.0.1 (prints the URL with a one-time token)',
    usage: 'featurescope serve [--port N]',
    options: { port: { type: 'string' } },
    async run(values, host) {
      const h = await host();
      const port = values.port === undefined ? 0 : parseIntOption('port', values.port, 0, 65535);
      const server = await startServer(h, { port, rendererDir: h.paths.rendererDir });
      process.stdout.write(`Featurescope is serving on 127.0.0.1 only. Open this address (it carries a one-time token):\n${server.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      return 0;
    },
  },
  run: {
    summary: 'Run a prompt through a model: tokens, top next-token probabilities, captured hooks, continuation',
    usage: [
      'featurescope run [--model DIR|NAME] --prompt TEXT [--hook NAME]… [--ablate HOOK:N,M]… [--steer HOOK:N=V]… [--clamp HOOK:N=V]…',
      '                 [--generate N] [--temperature T] [--top-p P] [--seed S] [--top K] [--json]',
      '',
      'The model defaults to the bundled one. --hook captures a hook point (TransformerLens names:',
      'blocks.0.hook_resid_post, blocks.1.mlp.hook_post, …) and prints its shape. Interventions apply to',
      'this run only: --ablate zeroes neurons, --steer adds to one, --clamp sets one.',
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
  capture: {
    summary: 'Capture activations of a model over a corpus into the workspace (resumes under the same --name)',
    usage: [
      'featurescope capture --corpus PATH --hook NAME [--hook NAME]… --name NAME [--model DIR|NAME]',
      '                     [--kind txt|jsonl|folder] [--text-field text] [--recursive] [--context N]',
      '                     [--bos auto|prepend|separator|none] [--dtype float32|float16] [--max-tokens N] [--batch N]',
    ].join('\n'),
    options: {
      model: { type: 'string' },
      corpus: { type: 'string' },
      kind: { type: 'string' },
      'text-field': { type: 'string' },
      recursive: { type: 'boolean' },
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
  train: {
    summary: 'Train a sparse autoencoder on a captured activation store (resumes under the same --name)',
    usage: [
      'featurescope train --store DIR --name NAME --d-sae N --steps N [--arch topk|batchtopk|standard|jumprelu] [--k N]',
      '                   [--batch 1024] [--lr X] [--l1 X] [--l0 X] [--seed 0] [--checkpoint-every 200]',
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
        }).filter(([, v]) => v !== undefined),
      );
      const h = await host();
      const r = await runJob(h, 'sae.train', input as never, progressToStderr());
      clearProgress();
      process.stdout.write(`${r.status} at step ${r.step}${r.resumedFromStep !== null ? ` (resumed from ${r.resumedFromStep})` : ''}: SAE #${r.saeId} → ${r.path}\n`);
      process.stdout.write(`${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join('  ')}\n`);
      return 0;
    },
  },
  analyze: {
    summary: 'Analyse an SAE over a corpus into the catalog (density, examples, logit effects, explanations)',
    usage: 'featurescope analyze --sae ID|NAME --corpus PATH [--kind txt|jsonl|folder] [--text-field text] [--model DIR] [--context N] [--max-tokens N] [--top 20]',
    options: {
      sae: { type: 'string' },
      corpus: { type: 'string' },
      kind: { type: 'string' },
      'text-field': { type: 'string' },
      recursive: { type: 'boolean' },
      model: { type: 'string' },
      context: { type: 'string' },
      'max-tokens': { type: 'string' },
      top: { type: 'string' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        saeId: await resolveSae(h, requireString(values, 'sae')),
        corpus: corpusFromFlags(values),
        ...(values.model === undefined ? {} : { model: resolve(values.model as string) }),
        ...(values.context === undefined ? {} : { contextLength: Number(values.context) }),
        ...(values['max-tokens'] === undefined ? {} : { maxTokens: Number(values['max-tokens']) }),
        ...(values.top === undefined ? {} : { topExamples: Number(values.top) }),
      };
      const r = await runJob(h, 'sae.analyze', input as never, progressToStderr());
      clearProgress();
      process.stdout.write(`analysis #${r.analysisId}: ${r.features} features over ${r.tokens} tokens, ${r.deadFeatures} dead\n`);
      return 0;
    },
  },
  evaluate: {
    summary: 'Evaluate an SAE spliced into its model: CE loss recovered, KL, reconstruction, density (stored in the catalog)',
    usage: 'featurescope evaluate --sae ID|NAME --corpus PATH [--kind txt|jsonl|folder] [--model DIR] [--context N] [--windows 64] [--json]',
    options: {
      sae: { type: 'string' },
      corpus: { type: 'string' },
      kind: { type: 'string' },
      'text-field': { type: 'string' },
      recursive: { type: 'boolean' },
      model: { type: 'string' },
      context: { type: 'string' },
      windows: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        saeId: await resolveSae(h, requireString(values, 'sae')),
        corpus: corpusFromFlags(values),
        ...(values.model === undefined ? {} : { model: resolve(values.model as string) }),
        ...(values.context === undefined ? {} : { contextLength: Number(values.context) }),
        ...(values.windows === undefined ? {} : { windows: parseIntOption('windows', values.windows, 1, 4096) }),
      };
      const r = await runJob(h, 'sae.evaluate', input as never, progressToStderr());
      clearProgress();
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${Object.entries(r.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join('\n')}\n`);
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
      const r = (await callOrThrow(h, 'catalog.search', input)) as { total: number; rows: Array<{ idx: number; density: number; maxAct: number; explanation: string; userLabel: string | null }> };
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.total} feature${r.total === 1 ? '' : 's'}\n`);
      for (const f of r.rows) {
        process.stdout.write(`${String(f.idx).padStart(7)}  density ${formatNumber(f.density).padStart(8)}  max ${formatNumber(f.maxAct).padStart(7)}  ${f.userLabel ?? f.explanation}\n`);
      }
      return 0;
    },
  },
  attribute: {
    summary: 'Rank MLP neurons or SAE features by attribution patching for a next-token metric; --verify patches the top ones for real',
    usage: [
      'featurescope attribute --prompt TEXT --target TOKEN [--versus TOKEN] [--model DIR|NAME] [--layers 0,1,…] [--sae ID|NAME]',
      '                       [--patch-prompt TEXT] [--method gradient|integrated-gradients] [--top 20] [--verify] [--json]',
      '',
      'The metric is log p(TARGET) after the prompt, or logit(TARGET) − logit(VERSUS). Scores predict',
      'metric(unit zero-ablated or patched) − metric(clean).',
    ].join('\n'),
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'patch-prompt': { type: 'string' },
      target: { type: 'string' },
      versus: { type: 'string' },
      layers: { type: 'string' },
      sae: { type: 'string' },
      method: { type: 'string' },
      top: { type: 'string' },
      verify: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      const target = requireString(values, 'target');
      const input = {
        model: await resolveModel(h, values.model as string | undefined),
        prompt: requireString(values, 'prompt'),
        ...(values['patch-prompt'] === undefined ? {} : { patchPrompt: values['patch-prompt'] }),
        metric: values.versus === undefined ? { kind: 'logprob', token: target } : { kind: 'logit-diff', tokenA: target, tokenB: values.versus },
        site:
          values.sae !== undefined
            ? { kind: 'sae', saeId: await resolveSae(h, values.sae as string) }
            : { kind: 'neurons', ...(values.layers === undefined ? {} : { layers: String(values.layers).split(',').map((l) => parseIntOption('layers', l, 0, 1023)) }) },
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
  probe: {
    summary: 'Sparse probe: the lasso path over MLP neurons or SAE features at a hook on labelled prompts, and the smallest set reaching a target accuracy',
    usage: [
      'featurescope probe --examples FILE.jsonl --hook NAME --name NAME [--model DIR|NAME] [--sae ID|NAME] [--pooling mean|last]',
      '                   [--target 0.9] [--test-fraction 0.25] [--seed 0] [--json]',
      '',
      'FILE.jsonl holds one {"text": …, "label": 0|1} per line. With --sae the chosen features are tagged probe:NAME.',
    ].join('\n'),
    options: {
      model: { type: 'string' },
      examples: { type: 'string' },
      hook: { type: 'string' },
      name: { type: 'string' },
      sae: { type: 'string' },
      pooling: { type: 'string' },
      target: { type: 'string' },
      'test-fraction': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      const input = {
        model: await resolveModel(h, values.model as string | undefined),
        name: requireString(values, 'name'),
        hook: requireString(values, 'hook'),
        examples: resolve(requireString(values, 'examples')),
        ...(values.sae === undefined ? {} : { sae: await resolveSae(h, values.sae as string) }),
        ...(values.pooling === undefined ? {} : { pooling: values.pooling }),
        ...(values.target === undefined ? {} : { targetAccuracy: Number(values.target) }),
        ...(values['test-fraction'] === undefined ? {} : { testFraction: Number(values['test-fraction']) }),
        ...(values.seed === undefined ? {} : { seed: parseIntOption('seed', values.seed, 0, 2 ** 31 - 1) }),
      };
      const r = (await callOrThrow(h, 'probe.train', input)) as ProbeTrainOutput;
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.experiment.citeId}  ${r.prompts} prompts, ${r.width} units\n`);
      for (const s of r.path) process.stdout.write(`  λ ${formatNumber(s.lambda).padStart(9)}  ${String(s.features.length).padStart(4)} units  train ${s.trainAccuracy.toFixed(3)}  test ${s.testAccuracy.toFixed(3)}\n`);
      if (r.smallest) process.stdout.write(`Smallest set reaching the target: ${r.smallest.features.length} units (test accuracy ${r.smallest.testAccuracy.toFixed(3)}): ${r.smallest.features.map((f) => `${f.index}(${formatNumber(f.coef)})`).join(' ')}\n`);
      else process.stdout.write('No λ of the path reaches the target accuracy on held-out prompts.\n');
      if (r.tagged.length > 0) process.stdout.write(`Tagged ${r.tagged.length} features probe:${input.name}\n`);
      return 0;
    },
  },
  audit: {
    summary: 'Bias audit over a contrast set (built-in "gendered" or a JSON file): units sensitive to the attribute, logged, tagged, HTML report',
    usage: [
      'featurescope audit [--contrast-set gendered|FILE.json] [--model DIR|NAME] [--sae ID|NAME | --layers 0,1,…] [--pooling mean|last]',
      '                   [--top 20] [--alpha 0.05] [--seed 0] [--out REPORT.html] [--json]',
      'featurescope audit --replay exp-000123   (re-run one logged finding and compare)',
    ].join('\n'),
    options: {
      model: { type: 'string' },
      'contrast-set': { type: 'string' },
      sae: { type: 'string' },
      layers: { type: 'string' },
      pooling: { type: 'string' },
      top: { type: 'string' },
      alpha: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      replay: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      if (typeof values.replay === 'string') {
        const r = (await callOrThrow(h, 'audit.replay', { ref: /^\d+$/.test(values.replay) ? Number(values.replay) : values.replay })) as AuditReplayOutput;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (difference ${formatNumber(r.meanDiff)}, t ${formatNumber(r.t)}, p ${formatNumber(r.p)})\n`);
        return r.matches ? 0 : 1;
      }
      const input = {
        model: await resolveModel(h, values.model as string | undefined),
        contrastSet: (values['contrast-set'] as string | undefined) === undefined ? 'gendered' : /^[a-z0-9-]+$/.test(values['contrast-set'] as string) ? (values['contrast-set'] as string) : resolve(values['contrast-set'] as string),
        ...(values.sae === undefined ? {} : { sae: await resolveSae(h, values.sae as string) }),
        ...(values.layers === undefined ? {} : { layers: String(values.layers).split(',').map((l) => parseIntOption('layers', l, 0, 1023)) }),
        ...(values.pooling === undefined ? {} : { pooling: values.pooling }),
        ...(values.top === undefined ? {} : { topN: parseIntOption('top', values.top, 1, 500) }),
        ...(values.alpha === undefined ? {} : { alpha: Number(values.alpha) }),
        ...(values.seed === undefined ? {} : { seed: parseIntOption('seed', values.seed, 0, 2 ** 31 - 1) }),
        ...(values.out === undefined ? {} : { outPath: resolve(values.out as string) }),
      };
      const r = await runJob(h, 'audit.run', input as never, progressToStderr());
      clearProgress();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.unitsTested} units over ${r.pairs} pairs, ${r.significant} significant\n`);
      for (const f of r.findings) {
        process.stdout.write(`  ${f.citeId}  ${`${f.hook}[${f.index}]`.padEnd(30)} d ${formatNumber(f.cohenD).padStart(8)}  q ${formatNumber(f.q).padStart(9)}  attr ${f.attribution === null ? '—' : formatNumber(f.attribution)}  probe ${formatNumber(f.probeWeight)}${f.tagged ? '  [bias]' : ''}\n`);
      }
      process.stdout.write(`Report: ${r.reportPath}${r.exportedTo ? `\nExported: ${r.exportedTo}` : ''}\n`);
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
  benchmark: {
    summary: 'Measure fp32 matmul throughput of the engine backend',
    usage: 'featurescope benchmark [--size 512] [--seconds 3]',
    options: { size: { type: 'string' }, seconds: { type: 'string' } },
    async run(values, host) {
      const h = await host();
      const input: { size?: number; seconds?: number } = {};
      if (values.size !== undefined) input.size = parseIntOption('size', values.size, 16, 4096);
      if (values.seconds !== undefined) input.seconds = Number(values.seconds);
      const r = await runJob(h, 'engine.benchmark', input, progressToStderr());
      clearProgress();
      process.stdout.write(`${r.backend}: ${r.gflops.toFixed(2)} GFLOP/s (matmul ${r.size}×${r.size}, ${r.iterations} iterations in ${r.seconds.toFixed(2)} s)\n`);
      return 0;
    },
  },
};

function requireString(values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new FeaturescopeError('invalid_input', `--${flag} is required.`, flag);
  return v;
}

function parseIntOption(name: string, raw: unknown, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new FeaturescopeError('invalid_input', `--${name} must be an integer from ${min} to ${max}, got "${String(raw)}".`, name);
  return n;
}

/** An SAE by catalog id or by name. */
async function resolveSae(host: Host, given: string): Promise<number> {
  if (/^\d+$/.test(given)) return Number(given);
  const saes = (await callOrThrow(host, 'catalog.saes', {})) as Array<{ id: number; name: string }>;
  const found = saes.find((s) => s.name === given);
  if (!found) throw new FeaturescopeError('not_found', `No SAE named "${given}" (known: ${saes.map((s) => s.name).join(', ') || 'none'}).`, 'sae');
  return found.id;
}

/** --corpus PATH with --kind (guessed from the path when absent), --text-field, --recursive. */
function corpusFromFlags(values: Record<string, unknown>): CorpusSpec {
  const path = resolve(requireString(values, 'corpus'));
  const kind = (values.kind as string | undefined) ?? (statSync(path, { throwIfNoEntry: false })?.isDirectory() ? 'folder' : path.endsWith('.jsonl') ? 'jsonl' : 'txt');
  if (kind === 'jsonl') return { kind, path, textField: (values['text-field'] as string | undefined) ?? 'text' };
  if (kind === 'folder') return { kind, path, recursive: values.recursive === true };
  if (kind === 'txt') return { kind, path };
  throw new FeaturescopeError('invalid_input', `--kind must be txt, jsonl or folder, got "${kind}".`, 'kind');
}

/** A folder path, the name of a bundled model, or (nothing) the first bundled model. */
async function resolveModel(host: Host, given: string | undefined): Promise<string> {
  if (given !== undefined && (given.includes('/') || given.includes('\\') || given.startsWith('.'))) return resolve(given);
  const models = (await callOrThrow(host, 'model.list', {})) as ModelInfo[];
  const bundled = models.filter((m) => m.bundled);
  if (given === undefined) {
    if (!bundled[0]) throw new FeaturescopeError('not_found', 'No bundled model is installed; pass --model DIR.', 'model');
    return bundled[0].path;
  }
  const named = models.find((m) => m.name === given);
  if (named) return named.path;
  if (existsSync(given)) return resolve(given);
  throw new FeaturescopeError('not_found', `No model folder or known model named "${given}" (known: ${models.map((m) => m.name).join(', ') || 'none'}).`, 'model');
}

async function callOrThrow(host: Host, command: string, input: unknown): Promise<unknown> {
  const r = await host.call(command, input);
  if (!r.ok) throw new FeaturescopeError(r.error.code, r.error.message, r.error.field);
  return r.value;
}

let progressShown = false;
function progressToStderr(): (p: Progress) => void {
  return (p) => {
    const line = formatProgress(p);
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
    progressShown = true;
  };
}
function clearProgress(): void {
  if (progressShown && process.stderr.isTTY) process.stderr.write('\n');
  progressShown = false;
}

function help(): string {
  const width = Math.max(...Object.keys(cliCommands).map((k) => k.length));
  return [
    'featurescope — look inside language models through sparse features, offline.',
    '',
    'Usage: featurescope <command> [options]',
    '',
    'Commands:',
    ...Object.entries(cliCommands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "featurescope <command> --help" for its options.',
    'Environment: FEATURESCOPE_HOME (data folder), FEATURESCOPE_BACKEND (gpu|native|wasm|cpu), FEATURESCOPE_THREADS.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = cliCommands[name];
  if (!command) {
    process.stderr.write(`featurescope: unknown command "${name}".\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: rest, options: command.options, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new FeaturescopeError('invalid_input', `${(err as Error).message} (see "featurescope ${name} --help")`);
  }
  let host: Host | undefined;
  const getHost = async () => {
    host ??= createNodeHost('cli');
    await host.engine.whenReady();
    return host;
  };
  try {
    return await command.run(values, getHost);
  } finally {
    await host?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    clearProgress();
    const e = toCommandError(err);
    process.stderr.write(`featurescope: ${e.message}\n`);
    process.exit(e.code === 'invalid_input' ? 2 : 1);
  },
);
