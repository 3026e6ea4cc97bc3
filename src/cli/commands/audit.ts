// Sparse probes and the bias audit.
import type { CliCommand } from '../command';
import { requireString, parseIntOption } from '../args';
import { callOrThrow, resolveModel, resolveSae } from '../host-calls';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber } from '../format';
import { runJob } from '../../host/run-job';
import { resolve } from 'node:path';
import type { AuditReplayOutput, ProbeReplayOutput, ProbeTrainOutput } from '../../shared/contract';

export const auditCommands: Record<string, CliCommand> = {
  probe: {
    summary: 'Sparse probe: the lasso path over MLP neurons or SAE features at a hook on labelled prompts, and the smallest set reaching a target accuracy',
    usage: [
      'featurescope probe --examples FILE.jsonl --hook NAME --name NAME [--model DIR|NAME] [--sae ID|NAME] [--pooling mean|last]',
      '                   [--target 0.9] [--test-fraction 0.25] [--seed 0] [--json]',
      'featurescope probe --replay exp-000123   (re-train a logged probe on its prompts and seed, and compare)',
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
      replay: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      if (typeof values.replay === 'string') {
        const r = (await callOrThrow(h, 'probe.replay', { ref: /^\d+$/.test(values.replay) ? Number(values.replay) : values.replay })) as ProbeReplayOutput;
        const coef = r.coefChange === null ? 'the smallest set holds other units' : `largest coefficient change ${formatNumber(r.coefChange)} of the largest`;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (${r.stepsDiffering} λ step(s) differ, ${coef})\n`);
        return r.matches ? 0 : 1;
      }
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
      '                   [--top 20] [--alpha 0.05] [--seed 0] [--out REPORT.html [--force]] [--json]',
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
      force: { type: 'boolean' },
      replay: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      const h = await host();
      if (typeof values.replay === 'string') {
        const r = (await callOrThrow(h, 'audit.replay', { ref: /^\d+$/.test(values.replay) ? Number(values.replay) : values.replay })) as AuditReplayOutput;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (difference ${formatNumber(r.meanDiff)}, t ${formatNumber(r.t)}, p ${formatNumber(r.p)})${r.method === 'all-legacy' ? '; made by the old method (every token pooled, the swapped words included): it measures token identity too, run the audit again' : ''}\n`);
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
        ...(values.out === undefined ? {} : { outPath: resolve(values.out as string), force: values.force === true }),
      };
      const r = await runJob(h, 'audit.run', input as never, progressToStderr());
      clearProgress();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.unitsTested} units over ${r.comparedPairs} of ${r.pairs} pairs (${r.method.positions === 'context' ? 'shared context after the swapped words' : 'every token'}): ${r.significant} encode ${r.contrastSet.attribute}, ${r.biasDrivers} drive the biased outcome\n`);
      for (const f of r.findings) {
        process.stdout.write(`  ${f.citeId}  ${`${f.hook}[${f.index}]`.padEnd(30)} d ${formatNumber(f.cohenD).padStart(8)}  q ${formatNumber(f.q).padStart(9)}  attr ${f.attribution === null ? '—' : formatNumber(f.attribution)}  probe ${formatNumber(f.probeWeight)}${f.tag ? `  [${f.tag}]` : ''}${f.label ? `  "${f.label}"` : ''}\n`);
      }
      if (r.outcomeNote) process.stdout.write(`${r.outcomeNote}\n`);
      process.stdout.write(`Report: ${r.reportPath}${r.exportedTo ? `\nExported: ${r.exportedTo}` : ''}\n`);
      return 0;
    },
  },
};
