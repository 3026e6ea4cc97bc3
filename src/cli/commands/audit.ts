// Sparse probes and the bias audit.
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { JSON_FLAG } from '../args';
import { aka, modelOrBundled, pathFlag, replayFlag, saeFlag } from '../field-rules';
import { flagsFor } from '../flags';
import { mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber } from '../format';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';

const probe = flagsFor('probe.train', {
  fields: {
    model: modelOrBundled,
    sae: saeFlag,
    examples: pathFlag('FILE.jsonl', { describe: 'Labelled prompts: one {"text": …, "label": 0|1} per line' }),
    targetAccuracy: aka('target'),
  },
});
const probeReplay = flagsFor('probe.replay', { fields: { ref: replayFlag } });
const audit = flagsFor('audit.run', {
  fields: {
    model: modelOrBundled,
    sae: saeFlag,
    // A built-in set is named by its id; anything else is a file, relative to where the user stands.
    contrastSet: { value: 'gendered|FILE.json', default: 'gendered', parse: (text) => (/^[a-z0-9-]+$/.test(text) ? text : resolve(text)) },
    topN: aka('top'),
    outPath: pathFlag('REPORT.html', { aliases: ['out'] }),
  },
});
const auditReplay = flagsFor('audit.replay', { fields: { ref: replayFlag } });

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
    flags: mergeFlags(probe, probeReplay, JSON_FLAG),
    async run(values, host) {
      if (typeof values.replay === 'string') {
        const r = await callOrThrow(await host(), 'probe.replay', await probeReplay.read(values, host));
        const coef = r.coefChange === null ? 'the smallest set holds other units' : `largest coefficient change ${formatNumber(r.coefChange)} of the largest`;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (${r.stepsDiffering} λ step(s) differ, ${coef})\n`);
        return r.matches ? 0 : 1;
      }
      const input = await probe.read(values, host);
      const r = await callOrThrow(await host(), 'probe.train', input);
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
    flags: mergeFlags(audit, auditReplay, JSON_FLAG),
    async run(values, host) {
      if (typeof values.replay === 'string') {
        const r = await callOrThrow(await host(), 'audit.replay', await auditReplay.read(values, host));
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (difference ${formatNumber(r.meanDiff)}, t ${formatNumber(r.t)}, p ${formatNumber(r.p)})${r.method === 'all-legacy' ? '; made by the old method (every token pooled, the swapped words included): it measures token identity too, run the audit again' : ''}\n`);
        return r.matches ? 0 : 1;
      }
      const input = await audit.read(values, host);
      const r = await runJob(await host(), 'audit.run', input, progressToStderr());
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
