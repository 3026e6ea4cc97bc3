#!/usr/bin/python3
"""Independent reference for src/engine/probes/lasso.ts: L1-regularised logistic regression.

Objective (same as the TypeScript solver, written independently here):
    minimise over b, w:  (1/n) sum_i [log(1 + exp(z_i)) - y_i z_i] + lam * ||w||_1,
    z_i = b + x~_i . w,  x~ = (x - mean) / std  (population std), intercept not penalised.

Solver: glmnet-style proximal Newton. The outer loop takes the quadratic (IRLS) approximation of
the loss at the current point; the inner loop solves the weighted lasso by cyclic coordinate
descent with soft-thresholding; a backtracking step keeps the objective decreasing. Torch float64
tensors. The result is checked against the KKT conditions before it is written.

Writes test/fixtures/probes/lasso_reference.json: a seeded synthetic dataset (features on very
different scales, three informative, correlated distractors) and the solution at a list of lambdas.
Run: /usr/bin/python3 scripts/reference/lasso_reference.py
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'probes', 'lasso_reference.json')


def make_dataset(n=160, d=10, seed=1234):
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, d, generator=g)
    base[:, 4] = 0.7 * base[:, 1] + 0.3 * base[:, 4]  # a distractor correlated with an informative column
    scales = torch.tensor([1.0, 5.0, 0.2, 1.0, 3.0, 0.5, 10.0, 1.0, 0.05, 2.0])
    offsets = torch.tensor([0.0, 3.0, -1.0, 0.5, 0.0, 2.0, -4.0, 0.0, 1.0, 0.0])
    x = base * scales + offsets
    true_w = torch.zeros(d)
    true_w[1], true_w[2], true_w[6] = 1.5, -2.0, 1.0  # in standardised units
    z = 0.3 + base @ true_w
    y = (torch.rand(n, generator=g) < torch.sigmoid(z)).to(torch.float64)
    return x, y


def standardise(x):
    mean = x.mean(0)
    std = x.std(0, unbiased=False)
    return (x - mean) / std, mean, std


def objective(xs, y, b, w, lam):
    z = b + xs @ w
    return (torch.nn.functional.softplus(z) - y * z).mean() + lam * w.abs().sum()


def soft(u, t):
    return torch.sign(u) * torch.clamp(u.abs() - t, min=0.0)


def solve(xs, y, lam, b, w, outer=200, inner=2000, tol=1e-13):
    n, d = xs.shape
    for _ in range(outer):
        z = b + xs @ w
        p = torch.sigmoid(z)
        wt = torch.clamp(p * (1 - p), min=1e-6)
        work = z + (y - p) / wt  # IRLS working response
        nb, nw = b.clone(), w.clone()
        for _ in range(inner):
            prev = nw.clone()
            pb = nb.clone()
            r = work - nb - xs @ nw
            nb = nb + (wt * r).sum() / wt.sum()
            r = work - nb - xs @ nw
            for j in range(d):
                xj = xs[:, j]
                denom = (wt * xj * xj).sum() / n
                rho = (wt * xj * (r + xj * nw[j])).sum() / n
                new = soft(rho, lam) / denom
                r = r - xj * (new - nw[j])
                nw[j] = new
            if max((nw - prev).abs().max().item(), abs((nb - pb).item())) < tol:
                break
        # Backtracking on the Newton direction.
        step = 1.0
        f0 = objective(xs, y, b, w, lam)
        while True:
            cb, cw = b + step * (nb - b), w + step * (nw - w)
            if objective(xs, y, cb, cw, lam) <= f0 + 1e-15 or step < 1e-8:
                break
            step /= 2
        change = max((cw - w).abs().max().item(), abs((cb - b).item()))
        b, w = cb, cw
        if change < 1e-12:
            break
    return b, w


def kkt(xs, y, b, w, lam):
    n = xs.shape[0]
    r = (torch.sigmoid(b + xs @ w) - y) / n
    g = xs.T @ r
    worst = abs(r.sum().item())
    for j in range(xs.shape[1]):
        if w[j] == 0:
            worst = max(worst, max(0.0, abs(g[j].item()) - lam))
        else:
            worst = max(worst, abs(g[j].item() + lam * torch.sign(w[j]).item()))
    return worst


def main():
    x, y = make_dataset()
    xs, mean, std = standardise(x)
    n = x.shape[0]
    ybar = y.mean()
    lam_max = (xs.T @ (ybar - y)).abs().max().item() / n
    fractions = [0.9, 0.6, 0.4, 0.25, 0.15, 0.08, 0.04, 0.02]
    b = torch.log(ybar / (1 - ybar))
    w = torch.zeros(x.shape[1])
    fits = []
    for f in fractions:
        lam = lam_max * f
        b, w = solve(xs, y, lam, b, w)
        violation = kkt(xs, y, b, w, lam)
        assert violation < 1e-9, f'KKT violated by {violation} at lambda {lam}'
        fits.append({
            'lambda': lam,
            'intercept': b.item(),
            'coef': w.tolist(),
            'coefRaw': (w / std).tolist(),
            'interceptRaw': (b - (w / std * mean).sum()).item(),
            'objective': objective(xs, y, b, w, lam).item(),
            'kktViolation': violation,
        })
    out = {
        'about': 'L1 logistic regression reference from scripts/reference/lasso_reference.py (torch float64, proximal Newton + coordinate descent)',
        'n': x.shape[0], 'd': x.shape[1],
        'x': x.flatten().tolist(),  # repr round-trips float64 exactly
        'y': [int(v) for v in y.tolist()],
        'lambdaMax': lam_max,
        'fits': fits,
    }
    with open(OUT, 'w') as fh:
        json.dump(out, fh)
    print(f'wrote {OUT}: lambda_max {lam_max:.6f}, active per lambda', [sum(1 for c in f["coef"] if c != 0) for f in fits])


if __name__ == '__main__':
    main()
