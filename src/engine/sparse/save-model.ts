// A trained weight-sparse GPT-2 as an ordinary Hugging Face GPT-2 folder: model.safetensors (dense
// f32, the zeros stored), config.json with the sparsity settings under `featurescope_sparsity`,
// generation_config.json, the tokenizer's files and training-log.json. Written into a temporary
// folder beside the target and renamed into place, so models/<name> is whole or absent.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { SPARSITY_CONFIG_KEY } from '../../shared/contract/sparse';
import { FeaturescopeError } from '../../shared/errors';
import { writeFileAtomic } from '../formats/atomic';
import { writeSafetensors } from '../formats/safetensors';
import { hfGpt2Config, type TinyModelSpec } from '../lm-train/gpt2-params';
import { TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../model/tokenizer';
import { processAlive } from '../../node/process-alive';

export interface SavedSparseModel {
  dir: string;
  spec: TinyModelSpec;
  params: Map<string, tf.Tensor>;
  /** config.json's featurescope_sparsity object. */
  sparsity: Record<string, unknown>;
  tokenizerPath: string;
  tokenizerConfigPath: string | null;
  trainingLog: Record<string, unknown>;
}

export function refuseExistingModel(dir: string): void {
  if (existsSync(dir)) {
    throw new FeaturescopeError('invalid_input', `name: the model folder ${dir} already exists; train under another name or move that folder away first. Nothing was overwritten.`, 'name');
  }
}

export function saveSparseModel(m: SavedSparseModel): void {
  refuseExistingModel(m.dir);
  mkdirSync(dirname(m.dir), { recursive: true });
  removeStaleTemps(dirname(m.dir));
  const tmp = join(dirname(m.dir), `.tmp-${randomBytes(4).toString('hex')}-${process.pid}`);
  mkdirSync(tmp);
  try {
    // transformers' save_pretrained names GPT2LMHeadModel weights "transformer.*" and omits the tied lm_head.
    const tensors = [...m.params].map(([name, t]) => ({ name: `transformer.${name}`, dtype: 'F32' as const, shape: [...t.shape], data: t.dataSync() as Float32Array }));
    writeSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
    const config = { ...hfGpt2Config(m.spec), [SPARSITY_CONFIG_KEY]: m.sparsity };
    writeFileAtomic(join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    const ids = { bos_token_id: m.spec.endOfTextId, eos_token_id: m.spec.endOfTextId, max_length: m.spec.nPositions };
    writeFileAtomic(join(tmp, 'generation_config.json'), JSON.stringify(ids, null, 2) + '\n');
    copyFileSync(m.tokenizerPath, join(tmp, TOKENIZER_FILE));
    if (m.tokenizerConfigPath !== null) copyFileSync(m.tokenizerConfigPath, join(tmp, TOKENIZER_CONFIG_FILE));
    writeFileAtomic(join(tmp, 'training-log.json'), JSON.stringify(m.trainingLog, null, 2) + '\n');
    renameSync(tmp, m.dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Temporary folders of saves whose process died mid-write (kill -9): nothing refers to them. */
function removeStaleTemps(modelsDir: string): void {
  for (const n of readdirSync(modelsDir)) {
    const pid = /^\.tmp-[0-9a-f]{8}-(\d+)$/.exec(n)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(join(modelsDir, n), { recursive: true, force: true });
  }
}
