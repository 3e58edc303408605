"""Benchmark: the additive leniency model (innerclient.scoring.adjust.additive).

1. Fit a million answers (60 ratee departments, 20,000 raters by default, 8 criteria per
   rater and ratee, an incomplete design) and print the time, beside the time of one
   ``np.bincount`` pass over the same arrays, so the ratio survives a noisy machine.
2. With ``--compare``: fit 50,000 answers (60 ratees, 2,000 raters) with statsmodels
   OLS on dummy coding (score ~ C(ratee) + C(rater)), check the centred effects agree
   within 1e-6 and print the speed-up. statsmodels is a dev dependency; its dense QR on a
   50,000 x 2,060 design takes minutes (about 300 s on a 2-core machine), hence opt-in.

Usage::

    .venv/bin/python benchmarks/scoring_additive.py [--answers 1000000] [--raters 20000] [--compare]

Goals (issue 4): a million answers in a few seconds; >= 50x faster than statsmodels.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from innerclient.scoring.adjust import additive


def simulate(rng, answers, ratees, raters, criteria=8):
    """Each rater rates a handful of ratees on every criterion, with planted effects."""
    pairs = answers // criteria
    rater = rng.integers(0, raters, pairs)
    ratee = rng.integers(0, ratees, pairs)
    true_ratee = rng.normal(0, 0.5, ratees)
    true_rater = rng.normal(0, 0.7, raters)
    rater = np.repeat(rater, criteria)
    ratee = np.repeat(ratee, criteria)
    noise = rng.normal(0, 0.8, ratee.size)
    score = np.clip(np.rint(3.5 + true_ratee[ratee] + true_rater[rater] + noise), 1, 5)
    return ratee, rater, score


def best_of(repeat, fn):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--ratees", type=int, default=60)
    parser.add_argument("--raters", type=int, default=20_000)
    parser.add_argument(
        "--compare", action="store_true", help="also run the statsmodels comparison (minutes)"
    )
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    ratee, rater, score = simulate(rng, args.answers, args.ratees, args.raters)
    t_bincount, _ = best_of(3, lambda: np.bincount(ratee, weights=score))
    t_fit, fit = best_of(3, lambda: additive(ratee, rater, score))
    print(
        f"additive: {ratee.size:,} answers, {args.ratees} ratees, {args.raters:,} raters: "
        f"{t_fit:.3f} s (best of 3); one bincount pass {t_bincount * 1000:.1f} ms; "
        f"ratio {t_fit / t_bincount:.0f}x; components {fit.n_components}"
    )

    if not args.compare:
        return
    from statsmodels.regression.linear_model import OLS

    ratee, rater, score = simulate(rng, 50_000, 60, 2_000)
    t_ours, ours = best_of(3, lambda: additive(ratee, rater, score))

    def statsmodels_fit():
        # Treatment (dummy) coding, as C(ratee) + C(rater) builds it; dense design matrix.
        ra = np.unique(ratee)
        rb = np.unique(rater)
        design = np.zeros((score.size, ra.size + rb.size - 1))
        design[:, 0] = 1.0
        a_idx = np.searchsorted(ra, ratee)
        b_idx = np.searchsorted(rb, rater)
        rows = np.arange(score.size)
        design[rows[a_idx > 0], a_idx[a_idx > 0]] = 1.0
        design[rows[b_idx > 0], ra.size - 1 + b_idx[b_idx > 0]] = 1.0
        return OLS(score, design).fit(method="qr").params, ra, rb

    t_sm, (params, ra, rb) = best_of(1, statsmodels_fit)
    n_a = ra.size
    alpha = np.concatenate([[0.0], params[1:n_a]])
    beta = np.concatenate([[0.0], params[n_a:]])
    diff_a = np.abs((alpha - alpha.mean()) - ours.ratee_effects[ra]).max()
    diff_b = np.abs((beta - beta.mean()) - ours.rater_effects[rb]).max()
    print(
        f"statsmodels OLS on dummies (50,000 answers, 60 ratees, 2,000 raters): {t_sm:.2f} s; "
        f"ours {t_ours * 1000:.1f} ms; speed-up {t_sm / t_ours:.0f}x; "
        f"max |effect difference| ratee {diff_a:.2e}, rater {diff_b:.2e}"
    )


if __name__ == "__main__":
    main()
