// The training run used by the kill/resume test, shared by the child process and the
// uninterrupted in-process run so both are exactly the same job.
import { trainSae, type TrainSaeResult } from '../../../../src/engine/sae/train/trainer';
import { PlantedFeatures } from '../plantedData';

export const RESUME_STEPS = 400;

export function resumeRun(checkpointDir: string | undefined, signal?: AbortSignal): Promise<TrainSaeResult> {
  return trainSae({
    architecture: 'batchtopk', // exercises the running threshold too
    dIn: 16,
    dSae: 64,
    k: 3,
    hookName: 'h',
    modelName: 'm',
    steps: RESUME_STEPS,
    batchSize: 64,
    seed: 11,
    data: new PlantedFeatures(16, 32, 3, 5),
    lr: 3e-3,
    deadTokens: 64 * 20, // AuxK kicks in during the run
    checkpointDir,
    checkpointEvery: 20,
    ...(signal ? { signal } : {}),
  });
}
