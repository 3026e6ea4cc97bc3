import * as tf from '@tensorflow/tfjs';
import { ALL_HOOKS, type Intervention, type RunInput, type RunOutput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { checkId } from '../attribution/token-ref';
import { logSoftmax, topTokens, type LoadedModel } from '../model';
import type { Sae } from '../sae/sae';
import { saeInterventionHandler } from '../sae/intervene';
import { readback } from '../readback';
import { writeHooksFile, writeLogitsFile, type RunFileTargets } from './run-files';

export interface PromptRun {
  output: RunOutput;
  /** Log-probabilities of the whole next-token distribution after the prompt (for KL). */
  logProbs: Float64Array;
}

/**
 * One prompt through one model with the given interventions: the shared core of model.run and
 * the experiment commands. Nothing outlives the call but its numbers (and the files of `files`,
 * checked by the caller before).
 */
export async function runPrompt(model: LoadedModel, input: RunInput, interventions: Intervention[], sae: Sae | undefined, files: RunFileTargets = {}): Promise<PromptRun> {
  const t0 = performance.now();
  const ids = promptIds(model, input);
  const maxPositions = model.config.maxPositions;
  const newTokens = input.generate?.maxNewTokens ?? 0;
  if (maxPositions !== null && ids.length > maxPositions) {
    throw new FeaturescopeError('invalid_input', `The prompt is ${ids.length} tokens; this model reads at most ${maxPositions}. Shorten it.`, 'prompt');
  }
  // The bound is the model's context, not the contract's ceiling: point at the field that can give.
  if (maxPositions !== null && ids.length + newTokens > maxPositions) {
    const left = maxPositions - ids.length;
    throw new FeaturescopeError(
      'invalid_input',
      `New tokens (maxNewTokens) can be at most ${left} here: this model reads at most ${maxPositions} tokens and the prompt takes ${ids.length}.`,
      'generate.maxNewTokens',
    );
  }
  const known = new Set(model.hookNames());
  const wanted = input.capture.includes(ALL_HOOKS) ? model.hookNames() : input.capture;
  input.capture.forEach((hook, i) => {
    if (hook === ALL_HOOKS) return;
    if (!known.has(hook)) throw new FeaturescopeError('invalid_input', `capture.${i}: "${hook}" is not a hook of this model (e.g. ${model.hookNames().slice(0, 3).join(', ')}).`, `capture.${i}`);
  });
  const probeHook = probeHookOf(input, sae);
  if (probeHook !== null && !known.has(probeHook)) throw new FeaturescopeError('invalid_input', `probe.hook: "${probeHook}" is not a hook of this model.`, 'probe.hook');
  const capture = probeHook === null || wanted.includes(probeHook) ? wanted : [...wanted, probeHook];
  const saeHandler = sae ? saeInterventionHandler(sae) : undefined;
  // Every position's logits only when they are shown or written: the unembedding is the costly part.
  const everyPosition = input.allPositions === true || files.logits !== undefined;

  const { logits, captured } = model.run([ids], { capture, interventions, ...(saeHandler ? { saeHandler } : {}), lastPositionOnly: capture.length === 0 && !everyPosition });
  let lastRow: Float32Array;
  let rows: Float32Array | null = null;
  let probe: RunOutput['probe'] = null;
  const written: NonNullable<RunOutput['files']> = [];
  const shapes = new Map([...captured.entries()].map(([hook, t]) => [hook, t.shape]));
  const vocab = logits.shape[2];
  try {
    lastRow = readback(() => logits.slice([0, logits.shape[1] - 1, 0], [1, 1, -1]).reshape([-1])) as Float32Array;
    if (everyPosition) rows = logits.dataSync() as Float32Array;
    if (probeHook !== null && input.probe) probe = readProbe(input.probe, captured.get(probeHook)!, sae);
    if (files.logits && rows) written.push(writeLogitsFile(files.logits, [1, ids.length, vocab], rows));
    if (files.hooks !== undefined) written.push(writeHooksFile(files.hooks, wanted.map((name) => ({ name, shape: captured.get(name)!.shape, values: captured.get(name)!.dataSync() as Float32Array }))));
  } finally {
    logits.dispose();
    for (const t of captured.values()) t.dispose();
  }
  const text = (id: number) => model.tokenizer.tokenText(id);
  const tokens = model.tokenizer.tokenTexts(ids).map((t, i) => ({ id: ids[i]!, text: t }));
  const top = (row: Float32Array) => topTokens(row, input.topK).map((t) => ({ id: t.token, text: text(t.token), prob: t.prob, logit: t.logit }));
  const output: RunOutput = {
    model: model.dir,
    tokens,
    next: top(lastRow),
    captured: wanted.map((hook) => ({ hook, shape: shapes.get(hook) ?? [] })),
    continuation: null,
    probe,
    seconds: 0,
  };
  if (input.allPositions && rows) {
    const all = rows;
    output.positions = tokens.map((token, p) => ({ position: p, token, next: top(all.subarray(p * vocab, (p + 1) * vocab)) }));
  }
  if (written.length > 0) output.files = written;
  if (input.generate) {
    const tokens: Array<{ id: number; text: string; logProb: number }> = [];
    const gen = model.generate(ids, { ...input.generate, interventions, ...(saeHandler ? { saeHandler } : {}) });
    let step = await gen.next();
    while (!step.done) {
      tokens.push({ id: step.value.token, text: '', logProb: step.value.logProb });
      step = await gen.next();
    }
    // In context, so a byte run that makes one character reads as it (first token), not as "�".
    model.tokenizer.tokenTexts(tokens.map((t) => t.id)).forEach((t, i) => (tokens[i]!.text = t));
    output.continuation = { text: model.tokenizer.decode(tokens.map((t) => t.id)), tokens, stop: step.value };
  }
  output.seconds = (performance.now() - t0) / 1000;
  return { output, logProbs: logSoftmax(lastRow) };
}

/** The prompt's token ids: its text encoded (BOS where the tokenizer adds one), or the ids as given. */
function promptIds(model: LoadedModel, input: RunInput): number[] {
  if (input.ids !== undefined) return input.ids.map((id, i) => checkId(id, `ids.${i}`, model.config.vocabSize));
  if (input.prompt === undefined) throw new FeaturescopeError('invalid_input', 'Give the prompt as text (prompt) or as token ids (ids).', 'prompt');
  const ids = model.tokenizer.encode(input.prompt);
  if (ids.length === 0) {
    // An empty prompt means "start from BOS alone" (as llama2.c samples); without a BOS there is nothing to run.
    const why = input.prompt === '' ? "The prompt must not be empty: this model's tokenizer adds no BOS token to start from." : 'The prompt encodes to no tokens.';
    throw new FeaturescopeError('invalid_input', why, 'prompt');
  }
  return ids;
}

function probeHookOf(input: RunInput, sae: Sae | undefined): string | null {
  if (!input.probe) return null;
  if ('hook' in input.probe) return input.probe.hook;
  if (!sae) throw new FeaturescopeError('invalid_input', 'probe.feature: a feature probe needs the run\'s SAE (field "sae").', 'probe.feature');
  return sae.cfg.metadata.hook_name;
}

function readProbe(probe: NonNullable<RunInput['probe']>, act: tf.Tensor, sae: Sae | undefined): NonNullable<RunOutput['probe']> {
  return tf.tidy(() => {
    const width = act.shape[act.shape.length - 1]!;
    if ('neuron' in probe) {
      if (probe.neuron >= width) throw new FeaturescopeError('invalid_input', `probe.neuron: ${probe.neuron} is out of range for ${probe.hook} (width ${width})`, 'probe.neuron');
      const values = act.reshape([-1, width]).slice([0, probe.neuron], [-1, 1]).dataSync();
      return { label: `${probe.hook}[${probe.neuron}]`, values: Array.from(values) };
    }
    const features = sae!.encode(act); // [1, pos, d_sae]
    const dSae = features.shape[features.shape.length - 1]!;
    if (probe.feature >= dSae) throw new FeaturescopeError('invalid_input', `probe.feature: ${probe.feature} is out of range (the SAE has ${dSae} features)`, 'probe.feature');
    const values = features.reshape([-1, dSae]).slice([0, probe.feature], [-1, 1]).dataSync();
    return { label: `feature ${probe.feature}`, values: Array.from(values) };
  });
}
