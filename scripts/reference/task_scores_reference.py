#!/usr/bin/python3
"""Reference task scores for test/integration/tasks.test.ts: the plain-PyTorch GPT-2 forward of
make_model_fixtures.py (imported, not copied) on a model folder, and per prompt the margin
logit(target) - logit(alternative) at the last position and the two-way cross-entropy
softplus(-margin), computed with torch's own log_softmax over the two logits.

  /usr/bin/python3 scripts/reference/task_scores_reference.py MODEL_DIR EXAMPLES.json [HOOK:N,M,...]

With HOOK:N,M the units N, M of that hook's last axis are set to zero in every forward (as the
engine's ablate-zero intervention on neurons does).

EXAMPLES.json: [{"tokens": [...], "target": id, "alternative": id}, ...] (the engine's token ids:
tokenization is not what this checks). Prints [{"margin": m, "loss": l}, ...] as JSON.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import gpt2_forward  # noqa: E402
from torch_forward_bench import load_gpt2, no_hooks  # noqa: E402


def main():
    folder, examples_path = sys.argv[1], sys.argv[2]
    hooks = no_hooks
    if len(sys.argv) > 3:
        name, units = sys.argv[3].split(':')
        zero = [int(u) for u in units.split(',')]

        def hooks(hook, x):
            if hook != name:
                return x
            x = x.clone()
            x[..., zero] = 0
            return x
    cfg, weights = load_gpt2(folder)
    with open(examples_path, encoding='utf-8') as f:
        examples = json.load(f)
    out = []
    with torch.no_grad():
        for e in examples:
            ids = torch.tensor([e['tokens']], dtype=torch.long)
            logits = gpt2_forward(cfg, weights, ids, torch.ones_like(ids), hooks)[0, -1].double()
            two = torch.stack([logits[e['target']], logits[e['alternative']]])
            out.append({'margin': float(two[0] - two[1]), 'loss': float(-torch.log_softmax(two, 0)[0])})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
