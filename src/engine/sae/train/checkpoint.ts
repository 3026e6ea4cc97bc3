// Training checkpoints (DESIGN.md §5): one folder per checkpoint, `step-<n>/` holding
//   tensors.safetensors  parameters, Adam moments (adam_m.*, adam_v.*), dead-latent counters
//   state.json           step, RNG state, Adam t, data-provider position, input scale, extras,
//                        and the run's full settings (a resume must match them, trainer.ts)
//   manifest.json        sha256 of each file above, written last
// Files are written atomically into a temporary folder that is renamed into place, so a
// `kill -9` leaves either a complete checkpoint or a temp folder that resume ignores. Resume
// takes the newest folder whose manifest hashes all match.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FeaturescopeError } from '../../../shared/errors';
import { writeFileAtomic } from '../../formats/atomic';
import { SafetensorsFile, writeSafetensors } from '../../formats/safetensors';

export interface CheckpointState {
  step: number;
  tokens: number;
  rng: number[];
  adamT: number;
  data: unknown;
  scale: number;
  extra: Record<string, number>;
  /** The run's resolved settings (train/settings.ts); absent in checkpoints of older versions. */
  settings?: Record<string, unknown>;
}

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface LoadedCheckpoint {
  path: string;
  state: CheckpointState;
  tensors: Map<string, HostTensor>;
}

const FILES = ['tensors.safetensors', 'state.json'] as const;
const NAME = /^step-(\d{10})$/;

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${String(step).padStart(10, '0')}`);
}

/** Writes a complete checkpoint for `state.step` and keeps only the newest `keep`. */
export function writeCheckpoint(dir: string, state: CheckpointState, tensors: Map<string, HostTensor>, keep = 2): string {
  mkdirSync(dir, { recursive: true });
  const final = checkpointPath(dir, state.step);
  const tmp = join(dir, `.tmp-step-${state.step}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  writeSafetensors(
    join(tmp, FILES[0]),
    [...tensors].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data })),
    { format: 'featurescope-sae-checkpoint', step: String(state.step) },
  );
  writeFileAtomic(join(tmp, FILES[1]), JSON.stringify(state));
  const files: Record<string, string> = {};
  for (const f of FILES) files[f] = sha256File(join(tmp, f));
  writeFileAtomic(join(tmp, 'manifest.json'), JSON.stringify({ format: 1, step: state.step, files }));
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(dir);
  prune(dir, keep);
  return final;
}

function listSteps(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

function prune(dir: string, keep: number): void {
  for (const step of listSteps(dir).slice(keep)) rmSync(checkpointPath(dir, step), { recursive: true, force: true });
  // Temp folders of writers that died mid-checkpoint.
  for (const n of readdirSync(dir)) {
    if (n.startsWith('.tmp-step-') && !n.includes(`-${process.pid}-`)) rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/** Checks one checkpoint folder; returns why it is unusable, or undefined if it is complete. */
function verify(path: string): string | undefined {
  const manifestPath = join(path, 'manifest.json');
  if (!existsSync(manifestPath)) return 'no manifest.json';
  let manifest: { files?: Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch {
    return 'manifest.json is not JSON';
  }
  for (const f of FILES) {
    const want = manifest.files?.[f];
    if (typeof want !== 'string') return `manifest has no hash for ${f}`;
    if (!existsSync(join(path, f))) return `${f} is missing`;
    if (sha256File(join(path, f)) !== want) return `${f} does not match its sha256`;
  }
  return undefined;
}

/** The newest complete checkpoint in `dir`, or undefined when there is none. */
export function loadLatestCheckpoint(dir: string): LoadedCheckpoint | undefined {
  for (const step of listSteps(dir)) {
    const path = checkpointPath(dir, step);
    if (verify(path) !== undefined) continue;
    const state = JSON.parse(readFileSync(join(path, FILES[1]), 'utf8')) as CheckpointState;
    if (state.step !== step) throw new FeaturescopeError('bad_file', `${path}: state.json says step ${state.step}, folder says ${step}`);
    const file = SafetensorsFile.open(join(path, FILES[0]));
    try {
      const tensors = new Map<string, HostTensor>();
      for (const name of file.tensors.keys()) tensors.set(name, { shape: file.entry(name).shape, data: file.readFloat32(name) });
      return { path, state, tensors };
    } finally {
      file.close();
    }
  }
  return undefined;
}

/** Newest complete checkpoint's path, for messages. */
export function latestCheckpointPath(dir: string): string | undefined {
  for (const step of listSteps(dir)) {
    const path = checkpointPath(dir, step);
    if (verify(path) === undefined) return path;
  }
  return undefined;
}
