"""What a user would write in a notebook to check Featurescope against torch: read the logits and
hooks `featurescope run` dumped, with the Python client's readers, and compare them with a plain
PyTorch GPT-2 forward of the same safetensors file (scripts/reference/make_model_fixtures.py).

  /usr/bin/python3 compare_dump.py MODEL_DIR IDS_JSON LOGITS.npy HOOKS.safetensors

Prints {"logits": max_rel_err, "hooks": {name: max_rel_err}, "missing": [...]} as JSON.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'clients', 'python'))
sys.path.insert(0, os.path.join(ROOT, 'scripts', 'reference'))
from featurescope_client import read_npy, read_safetensors  # noqa: E402
from make_model_fixtures import gpt2_forward  # noqa: E402
from torch_forward_bench import load_gpt2  # noqa: E402


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(1e-6, float(np.max(np.abs(b)))))


def main():
    model, ids, logits_path, hooks_path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
    cfg, weights = load_gpt2(model)
    seen = {}

    def hooks(name, x):
        seen[name] = x.detach().clone()
        return x

    t = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        ref_logits = gpt2_forward(cfg, weights, t, torch.ones_like(t), hooks)
    logits = read_npy(logits_path)
    dumped = read_safetensors(hooks_path)
    out = {'logits': rel(logits, ref_logits.numpy()), 'shape': list(np.asarray(logits).shape), 'hooks': {}, 'missing': []}
    for name, ref in seen.items():
        if name not in dumped:
            out['missing'].append(name)
            continue
        out['hooks'][name] = rel(dumped[name], ref.numpy())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
