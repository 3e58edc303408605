"""Benchmark: score a whole cycle from answer arrays to results (issue 4).

Simulates a cycle of about a million answers (60 departments, 20,000 raters, each rating 6
distinct provider departments on 8 criteria, heads' self-assessments included) with planted
department effects and rater leniency, plus the previous cycle for the change figures, and
runs ``innerclient.scoring.pipeline.score_cycle`` on it: cells, the raw and the adjusted
index, the SRM, reliability, change and trend, integrity flags, problem areas and the
privacy rules. ``as_json`` (what a snapshot stores) is timed separately.

For scale it also times one ``np.bincount`` pass over the same arrays in the same run, so
the ratio survives a noisy machine.

Usage::

    .venv/bin/python benchmarks/scoring_cycle.py [--raters 20000] [--repeat 3]

Goals: <= 2 s for a million answers, and <= 200x one bincount pass (for the cycle alone;
the figure with the previous cycle's change and trend is printed beside it).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from innerclient.scoring.cells import Scale
from innerclient.scoring.pipeline import CycleAnswers, Methodology, as_json, score_cycle

DEPARTMENTS = 60
CRITERIA = 8
PER_RATER = 6


def simulate(rng, raters: int, effects, shift: float = 0.0) -> CycleAnswers:
    rater_department = rng.integers(0, DEPARTMENTS, raters)
    providers = np.argsort(rng.random((raters, DEPARTMENTS)), axis=1)[:, :PER_RATER]
    response_rater = np.repeat(np.arange(raters), PER_RATER)
    response_provider = providers.ravel()
    # One head per department rates his own department (a self-assessment).
    heads = np.arange(DEPARTMENTS)
    response_rater = np.concatenate([response_rater, raters + heads])
    response_provider = np.concatenate([response_provider, heads])
    department_of = np.concatenate([rater_department, heads])
    n_responses = response_rater.size
    response = np.repeat(np.arange(n_responses), CRITERIA)
    criterion = np.tile(np.arange(CRITERIA), n_responses)
    rater = response_rater[response]
    provider = response_provider[response]
    client = department_of[rater]
    leniency = rng.normal(0, 0.5, raters + DEPARTMENTS)
    noise = rng.normal(0, 0.7, response.size)
    score = np.clip(np.rint(3.5 + shift + effects[provider] + leniency[rater] + noise), 1, 5)
    return CycleAnswers.build(
        scale=Scale(1, 5),
        weights=np.ones(CRITERIA),
        n_departments=DEPARTMENTS,
        provider=provider,
        client=client,
        rater=rater,
        criterion=criterion,
        response=response,
        score=score,
        response_seconds=rng.uniform(10, 300, n_responses),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raters", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(2027)
    effects = rng.normal(0, 0.5, DEPARTMENTS)
    previous = simulate(rng, args.raters, effects)
    current = simulate(rng, args.raters, effects, shift=0.05)
    n = current.score.size
    print(
        f"answers: {n:,} ({DEPARTMENTS} departments, {args.raters:,} raters, {CRITERIA} criteria)"
    )

    bincount = []
    for _ in range(max(args.repeat, 3)):
        start = time.perf_counter()
        np.bincount(current.provider * CRITERIA + current.criterion, weights=current.score)
        bincount.append(time.perf_counter() - start)
    scoring, serialising, alone = [], [], []
    result = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        score_cycle(current, Methodology())
        alone.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = score_cycle(current, Methodology(), [previous])
        scoring.append(time.perf_counter() - start)
        start = time.perf_counter()
        as_json(result)
        serialising.append(time.perf_counter() - start)
    assert result is not None
    best, one_pass = min(scoring), min(bincount)
    print(
        f"score_cycle, one cycle alone: best {min(alone):.3f} s "
        f"(ratio {min(alone) / one_pass:.0f}x one bincount pass)"
    )
    print(
        f"score_cycle with the previous cycle (change, trend): best {best:.3f} s, "
        f"all {', '.join(f'{t:.3f}' for t in scoring)}"
    )
    print(f"as_json:     best {min(serialising):.3f} s")
    print(f"one bincount pass over the same arrays: {one_pass * 1000:.2f} ms")
    shown = np.isfinite(result.index)
    recovered = np.corrcoef(result.index[shown], effects[shown])[0, 1]
    print(
        f"departments shown: {int(shown.sum())}/{DEPARTMENTS}; correlation of the index with "
        f"the planted effects {recovered:.4f}; problems {len(result.problems)}; "
        f"reliability ICC1 {result.reliability.icc1:.3f}, "
        f"alpha {result.reliability.alpha_interval:.3f}"
    )
    single = min(alone)
    verdict = {True: "met", False: "NOT met"}
    print(
        f"goals for one cycle: <= 2 s {verdict[single <= 2.0]}; "
        f"<= 200x bincount {verdict[single / one_pass <= 200]} "
        f"(with the previous cycle as well: {best:.3f} s, {best / one_pass:.0f}x)"
    )


if __name__ == "__main__":
    main()
