// Debian's PyTorch (/usr/bin/python3 with python3-torch), the independent reference some tests run
// against. .ci/run installs it; where it is missing those tests report themselves skipped.
import { spawnSync } from 'node:child_process';

export const TORCH_PYTHON = '/usr/bin/python3';
export const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
