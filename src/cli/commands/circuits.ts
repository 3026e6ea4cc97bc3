// Circuit pruning: featurescope prune --task NAME [--model DIR] [--target-loss 0.15] …
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { JSON_FLAG } from '../args';
import { modelOrBundled, replayFlag } from '../field-rules';
import { flagsFor } from '../flags';
import { mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import type { CircuitPruneResult } from '../../shared/contract';

const pruneFlags = flagsFor('circuit.prune', {
  fields: {
    model: modelOrBundled,
    // A built-in task is a bare name; anything else is a file, relative to where the user stands.
    task: { value: 'NAME|FILE.jsonl', describe: 'A built-in task (featurescope tasks list) or a task file', parse: (text) => (/^[a-z0-9][a-z0-9-]*$/.test(text) ? text : resolve(text)) },
  },
});
const replay = flagsFor('circuit.replay', { fields: { ref: replayFlag } });

const f = (v: number) => v.toFixed(3);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function printResult(r: CircuitPruneResult): void {
  const c = r.circuit;
  const v = r.verification;
  const out = [
    `${r.experiment.citeId}  ${r.task.name} on ${r.model}`,
    `nodes: MLP neurons of every layer (${c.maskable} maskable of ${c.allNodes} nodes); ablation: ${r.ablation}${r.meansOver ? ', means over the task’s prompts' : ''}`,
    `full model      loss ${f(r.full.loss)}  acc ${pct(r.full.accuracy)}`,
    `trained mask    ${r.trainedActive} active nodes`,
    r.reachedTarget ? `circuit         ${c.size.nodes} nodes, ${c.size.edges} edges` : `circuit         ${c.size.nodes} nodes, ${c.size.edges} edges (the target loss was NOT reached; this is the trained mask's circuit)`,
    `                relative sparsity ${pct(c.relativeSparsity)}, full sparsity ${pct(c.fullSparsity)}`,
    `                loss ${f(c.loss)}  acc ${pct(c.accuracy)}  KL to full ${f(c.kl)}  exact match ${pct(c.exactMatch)}`,
    `sufficiency     ${v.sufficient ? 'yes' : 'no'} (circuit alone ${v.sufficient ? 'reaches' : 'misses'} the target)`,
    `necessity       circuit ablated from the full model: loss ${f(v.necessity.loss)}, acc ${pct(v.necessity.accuracy)} (${v.necessity.necessary ? 'falls toward chance' : 'stays up: not necessary'})`,
    `random control  ${v.randomControl.draws} circuits of ${c.size.nodes}: mean loss ${f(v.randomControl.meanLoss)}, best ${f(v.randomControl.bestLoss)}, mean acc ${pct(v.randomControl.meanAccuracy)}${v.randomControl.matches ? ' (one reaches the target)' : ''}`,
    `verdict         ${v.faithful ? 'faithful' : 'NOT faithful'}`,
    `kept: ${c.nodes.map((n) => `${n.layer}:${n.index}`).join(' ')}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

export const circuitCliCommands: Record<string, CliCommand> = {
  prune: {
    summary: 'Prune a model to the smallest circuit of MLP neurons that still does a task (task loss ≤ target), with its verification; logged',
    usage: [
      'featurescope prune --task NAME|FILE.jsonl [--model DIR|NAME] [--target-loss 0.15] [--lambda 0.001] [--steps 200]',
      '                   [--learning-rate 0.05] [--seed 0] [--ablation mean|zero] [--random-controls 5] [--json]',
      'featurescope prune --replay exp-000123   (prune again from the log and compare the circuits)',
      '',
      'Nodes are the MLP neurons of every layer. A neuron outside the circuit is replaced by its mean over',
      'the task’s prompts (or 0 with --ablation zero). The mask is trained with a hard step forward and a',
      'sigmoid derivative backward (task loss + λ · active nodes, AdamW), then a bisection on the ranking finds',
      'the smallest circuit whose task loss is at most the target.',
    ].join('\n'),
    flags: mergeFlags(pruneFlags, replay, JSON_FLAG),
    async run(values, host) {
      if (typeof values.replay === 'string') {
        const r = await callOrThrow(await host(), 'circuit.replay', await replay.read(values, host));
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (${r.now.length} nodes now, ${r.logged.length} logged; loss difference ${r.lossDifference.toPrecision(2)})\n`);
        return r.matches ? 0 : 1;
      }
      const input = await pruneFlags.read(values, host);
      const r = await runJob(await host(), 'circuit.prune', input, progressToStderr());
      clearProgress();
      if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else printResult(r);
      return 0;
    },
  },
};
