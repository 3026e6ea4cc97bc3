// Trains the bundled default model (resources/models/featurescope-tiny) end to end:
// corpus → tokenizer → GPT-2 trained with tfjs autograd on the wasm backend, through the
// engine's own forward (src/engine/model/gpt2.ts). Writes model.safetensors, config.json,
// generation_config.json and training-log.json into the model folder.
//
//   npx tsx scripts/default-model/train.ts [--minutes 30] [--max-steps N] [--resume]
//
// The learning-rate schedule runs on progress = max(step / maxSteps, elapsed / budget), so the
// run anneals fully inside its wall-clock budget on a loaded or slower machine; the number of
// steps taken is recorded in training-log.json. Checkpoints (params + AdamW state) go to
// .cache/default-model/checkpoint every CHECKPOINT_EVERY steps; --resume continues from one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../../src/engine/formats/safetensors';
import { AdamW } from '../../src/engine/lm-train/adamw';
import { CACHE_DIR, CORPUS_PATH, writeCorpus } from './corpus';
import { countParams, engineConfig, hfGpt2Config, initGpt2Params, isDecayed, type TinyModelSpec } from '../../src/engine/lm-train/gpt2-params';
import { lmLoss } from '../../src/engine/lm-train/lm-loss';
import { CONTEXT_LENGTH, MODEL_DIR, VOCAB_SIZE, buildTokenizer, loadTokens, splitPath } from './tokenizer';
import { patchWasmForTraining } from '../../src/engine/lm-train/wasm-training-kernels';
import { mulberry32 } from '../../src/engine/random';

export const SPEC: TinyModelSpec = {
  vocabSize: VOCAB_SIZE,
  nPositions: CONTEXT_LENGTH,
  nEmbd: 128,
  nLayer: 4,
  nHead: 2,
  endOfTextId: VOCAB_SIZE - 1,
};

const BATCH = 16;
const MAX_LR = 3e-3;
const MIN_LR = 2e-4;
const WARMUP_STEPS = 30;
const SEED = 1234;
const CHECKPOINT_EVERY = 50;
const EVAL_EVERY = 50;
const EVAL_WINDOWS = 48;
const OPTIMIZER = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clipNorm: 1.0 };
const CHECKPOINT_DIR = join(CACHE_DIR, 'checkpoint');

interface Args {
  minutes: number;
  maxSteps: number;
  resume: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { minutes: 30, maxSteps: 100_000, resume: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--minutes') args.minutes = Number(argv[++i]);
    else if (a === '--max-steps') args.maxSteps = Number(argv[++i]);
    else if (a === '--resume') args.resume = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(args.minutes > 0) || !(args.maxSteps > 0)) throw new Error('--minutes and --max-steps must be positive');
  return args;
}

function randomWindows(tokens: Uint16Array, batch: number, span: number, random: () => number): tf.Tensor2D {
  const data = new Int32Array(batch * span);
  for (let b = 0; b < batch; b++) {
    const start = Math.floor(random() * (tokens.length - span));
    for (let i = 0; i < span; i++) data[b * span + i] = tokens[start + i]!;
  }
  return tf.tensor2d(data, [batch, span], 'int32');
}

/** Evenly spaced, fixed windows of the validation split: the same ones at every evaluation. */
function validationWindows(tokens: Uint16Array, count: number, span: number): Int32Array {
  const data = new Int32Array(count * span);
  const stride = Math.floor((tokens.length - span) / count);
  for (let w = 0; w < count; w++) for (let i = 0; i < span; i++) data[w * span + i] = tokens[w * stride + i]!;
  return data;
}

function evaluate(params: Map<string, tf.Tensor>, config: ReturnType<typeof engineConfig>, windows: Int32Array, span: number): number {
  const count = windows.length / span;
  let total = 0;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    total += tf.tidy(() => {
      const ids = tf.tensor2d(windows.subarray(start * span, (start + n) * span), [n, span], 'int32');
      return lmLoss(params, config, ids).dataSync()[0]! * n;
    });
  }
  return total / count;
}

function tensorsToWrite(named: [string, tf.Tensor][]): TensorToWrite[] {
  return named.map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array }));
}

function saveCheckpoint(params: Map<string, tf.Variable>, opt: AdamW, state: object): void {
  mkdirSync(CHECKPOINT_DIR, { recursive: true });
  const named: [string, tf.Tensor][] = [];
  for (const [name, p] of params) named.push([`param/${name}`, p], [`m/${name}`, opt.m.get(name)!], [`v/${name}`, opt.v.get(name)!]);
  // Tensors first, then the state file that names them complete: a kill between the two
  // leaves the previous state file pointing at the previous (still whole) tensors file.
  writeSafetensors(join(CHECKPOINT_DIR, 'state.safetensors'), tensorsToWrite(named), { step: String(opt.step) });
  writeFileSync(join(CHECKPOINT_DIR, 'state.json'), JSON.stringify({ ...state, step: opt.step }));
}

function loadCheckpoint(params: Map<string, tf.Variable>, opt: AdamW): Record<string, unknown> | null {
  const statePath = join(CHECKPOINT_DIR, 'state.json');
  if (!existsSync(statePath)) return null;
  const file = SafetensorsFile.open(join(CHECKPOINT_DIR, 'state.safetensors'));
  try {
    const read = (name: string, target: tf.Variable): void => {
      const loaded = tf.tensor(file.readFloat32(name), target.shape, 'float32');
      target.assign(loaded);
      loaded.dispose();
    };
    for (const [name, p] of params) {
      read(`param/${name}`, p);
      read(`m/${name}`, opt.m.get(name)!);
      read(`v/${name}`, opt.v.get(name)!);
    }
    opt.step = Number(file.metadata.step);
  } finally {
    file.close();
  }
  return JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
}

function saveModel(params: Map<string, tf.Variable>, log: object): void {
  mkdirSync(MODEL_DIR, { recursive: true });
  // transformers' save_pretrained names GPT2LMHeadModel weights "transformer.*" and omits the
  // tied lm_head; both HF and the engine's loader accept this.
  const named: [string, tf.Tensor][] = [...params].map(([name, p]) => [`transformer.${name}`, p]);
  writeSafetensors(join(MODEL_DIR, 'model.safetensors'), tensorsToWrite(named), { format: 'pt' });
  writeFileSync(join(MODEL_DIR, 'config.json'), JSON.stringify(hfGpt2Config(SPEC), null, 2) + '\n');
  writeFileSync(
    join(MODEL_DIR, 'generation_config.json'),
    JSON.stringify({ bos_token_id: SPEC.endOfTextId, eos_token_id: SPEC.endOfTextId, max_length: CONTEXT_LENGTH }, null, 2) + '\n',
  );
  writeFileSync(join(MODEL_DIR, 'training-log.json'), JSON.stringify(log, null, 2) + '\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The earlier stages run here when their outputs are missing, so one command does it all.
  if (!existsSync(CORPUS_PATH)) writeCorpus();
  if (!existsSync(splitPath('train')) || !existsSync(splitPath('validation'))) buildTokenizer();
  const backend = await initBackend({ prefer: 'wasm' });
  if (backend.kind !== 'wasm') throw new Error(`training expects the wasm backend, got ${backend.name}`);
  patchWasmForTraining();
  console.log(`backend: ${backend.reason}`);

  const config = engineConfig(SPEC);
  const train = loadTokens('train');
  const span = CONTEXT_LENGTH + 1;
  const validation = validationWindows(loadTokens('validation'), EVAL_WINDOWS, span);
  const params = initGpt2Params(config, SEED);
  const opt = new AdamW(params, OPTIMIZER, isDecayed);
  console.log(`model: ${countParams(config)} parameters, d_model ${SPEC.nEmbd}, ${SPEC.nLayer} layers, ${SPEC.nHead} heads, ctx ${CONTEXT_LENGTH}, vocab ${SPEC.vocabSize}`);
  console.log(`data: ${train.length} train tokens; batch ${BATCH}×${CONTEXT_LENGTH}; budget ${args.minutes} min`);

  const history: { step: number; tokens: number; seconds: number; lr: number; trainLoss: number; gradNorm: number; valLoss?: number }[] = [];
  let elapsedBefore = 0;
  if (args.resume) {
    const state = loadCheckpoint(params, opt);
    if (state !== null) {
      elapsedBefore = Number(state.seconds ?? 0);
      history.push(...((state.history as typeof history | undefined) ?? []));
      console.log(`resumed at step ${opt.step} (${elapsedBefore.toFixed(0)} s already trained)`);
    }
  }
  // The batch stream is a function of the seed and the step, so a resumed run sees the same data.
  const random = mulberry32(SEED + opt.step * 7919);
  const budgetSeconds = args.minutes * 60;
  const started = performance.now() - elapsedBefore * 1000;
  const seconds = (): number => (performance.now() - started) / 1000;
  const vars = [...params.values()];
  const names = [...params.keys()];

  let smoothed = NaN;
  for (;;) {
    const progress = Math.max(opt.step / args.maxSteps, seconds() / budgetSeconds);
    if (progress >= 1) break;
    const lr = opt.step < WARMUP_STEPS ? (MAX_LR * (opt.step + 1)) / WARMUP_STEPS : MIN_LR + 0.5 * (MAX_LR - MIN_LR) * (1 + Math.cos(Math.PI * progress));
    const windows = randomWindows(train, BATCH, span, random);
    const { value, grads } = tf.variableGrads(() => lmLoss(params, config, windows), vars);
    const loss = value.dataSync()[0]!;
    if (!Number.isFinite(loss)) throw new Error(`non-finite loss at step ${opt.step}: the last checkpoint in ${CHECKPOINT_DIR} is kept`);
    const gradMap = new Map(names.map((n) => [n, grads[vars[names.indexOf(n)]!.name]!]));
    const gradNorm = opt.apply(gradMap, lr);
    tf.dispose([value, windows, ...Object.values(grads)]);
    smoothed = Number.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
    const entry: (typeof history)[number] = { step: opt.step, tokens: opt.step * BATCH * CONTEXT_LENGTH, seconds: seconds(), lr, trainLoss: loss, gradNorm };
    if (opt.step % EVAL_EVERY === 0) entry.valLoss = evaluate(params, config, validation, span);
    history.push(entry);
    if (opt.step % 10 === 0 || entry.valLoss !== undefined) {
      const tokPerSec = (BATCH * CONTEXT_LENGTH * opt.step) / Math.max(1e-9, seconds());
      console.log(
        `step ${opt.step} ${seconds().toFixed(0)}s lr ${lr.toExponential(2)} loss ${loss.toFixed(3)} (ema ${smoothed.toFixed(3)}) |g| ${gradNorm.toFixed(2)} ${tokPerSec.toFixed(0)} tok/s` +
          (entry.valLoss !== undefined ? ` val ${entry.valLoss.toFixed(3)}` : '') + ` tensors ${tf.memory().numTensors}`,
      );
    }
    if (opt.step % CHECKPOINT_EVERY === 0) saveCheckpoint(params, opt, { seconds: seconds(), history });
  }

  const finalVal = evaluate(params, config, validation, span);
  const recent = history.slice(-20);
  const finalTrain = recent.reduce((s, h) => s + h.trainLoss, 0) / Math.max(1, recent.length);
  const log = {
    spec: SPEC,
    parameters: countParams(config),
    batch: BATCH,
    contextLength: CONTEXT_LENGTH,
    optimizer: { ...OPTIMIZER, maxLr: MAX_LR, minLr: MIN_LR, warmupSteps: WARMUP_STEPS, schedule: 'cosine on max(step/maxSteps, elapsed/budget)' },
    seed: SEED,
    backend: backend.reason,
    steps: opt.step,
    tokensSeen: opt.step * BATCH * CONTEXT_LENGTH,
    wallSeconds: seconds(),
    finalTrainLoss: finalTrain,
    finalValidationLoss: finalVal,
    validationWindows: EVAL_WINDOWS,
    history,
  };
  saveCheckpoint(params, opt, { seconds: seconds(), history });
  saveModel(params, log);
  console.log(`done: ${opt.step} steps, ${log.tokensSeen} tokens, ${seconds().toFixed(0)} s; train loss ${finalTrain.toFixed(3)}, validation loss ${finalVal.toFixed(3)}`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
