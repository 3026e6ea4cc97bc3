// The files model.run writes beside its reply: the logits of every position and the captured hooks,
// which are too big for JSON (pos × 256k floats for Gemma). The engine writes them itself. Paths are
// checked before the run (output-path.ts: a browser writes only inside the workspace, the command
// line where its user points; nothing existing is replaced without force) and each file lands whole
// or not at all (temp file, fsync, rename).
import { extname } from 'node:path';
import type { ModelRunInput, RunOutput } from '../../shared/contract';
import type { CallerKind } from '../../shared/engine-protocol';
import { FeaturescopeError } from '../../shared/errors';
import { writeNpyF32 } from '../formats/npy-write';
import { writeSafetensors } from '../formats/safetensors';
import { checkOutputFile } from '../handlers/output-path';

export type RunFile = NonNullable<RunOutput['files']>[number];

/** Where a run's files go, checked. */
export interface RunFileTargets {
  logits?: { path: string; format: 'npy' | 'safetensors' };
  hooks?: string;
}

/** The tensor name of the logits in a .safetensors file. */
export const LOGITS_TENSOR = 'logits';

export function checkRunFiles(input: Pick<ModelRunInput, 'logits' | 'dumpHooks' | 'force'>, caller: CallerKind, workspace: string): RunFileTargets {
  const targets: RunFileTargets = {};
  if (input.logits !== undefined) {
    const format = formatOf(input.logits);
    if (format === null) throw new FeaturescopeError('invalid_input', `logits: ${input.logits} must end in .npy or .safetensors (that says the format to write).`, 'logits');
    targets.logits = { path: checkOutputFile(input.logits, { caller, workspace, force: input.force, field: 'logits' }), format };
  }
  if (input.dumpHooks !== undefined) {
    if (formatOf(input.dumpHooks) !== 'safetensors') throw new FeaturescopeError('invalid_input', `dumpHooks: ${input.dumpHooks} must end in .safetensors.`, 'dumpHooks');
    targets.hooks = checkOutputFile(input.dumpHooks, { caller, workspace, force: input.force, field: 'dumpHooks' });
  }
  if (targets.logits !== undefined && targets.logits.path === targets.hooks) throw new FeaturescopeError('invalid_input', `dumpHooks: ${targets.hooks} is also the logits file; give two files.`, 'dumpHooks');
  return targets;
}

function formatOf(path: string): 'npy' | 'safetensors' | null {
  const ext = extname(path).toLowerCase();
  return ext === '.npy' ? 'npy' : ext === '.safetensors' ? 'safetensors' : null;
}

/** Logits [1, pos, vocab] as float32 in the chosen format. */
export function writeLogitsFile(target: NonNullable<RunFileTargets['logits']>, shape: number[], values: Float32Array): RunFile {
  if (target.format === 'npy') writeNpyF32(target.path, shape, values);
  else writeSafetensors(target.path, [{ name: LOGITS_TENSOR, dtype: 'F32', shape, data: values }]);
  return { path: target.path, format: target.format, tensors: [{ name: LOGITS_TENSOR, shape }] };
}

/** Captured hooks by TransformerLens name, each with the shape it was captured in. */
export function writeHooksFile(path: string, hooks: Array<{ name: string; shape: number[]; values: Float32Array }>): RunFile {
  writeSafetensors(
    path,
    hooks.map((h) => ({ name: h.name, dtype: 'F32' as const, shape: h.shape, data: h.values })),
    { format: 'pt', producer: 'featurescope run --dump-hooks' },
  );
  return { path, format: 'safetensors', tensors: hooks.map((h) => ({ name: h.name, shape: h.shape })) };
}
