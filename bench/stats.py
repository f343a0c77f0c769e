"""Benchmark: values, 95% and 99.8% limits, benchmark comparison and recent trend for 1,000,000 rows.

200,000 series (indicator x area) x 5 periods, half proportions (Wilson) and half crude rates (Byar's / exact),
computed by observatory.stats and by a plain per-row Python loop (math module; scipy.special for the exact Poisson
limits) in the same run. The loop is timed on a sample of series and scaled up, as printed. Prints figures only.

    .venv/bin/python bench/stats.py [--series 200000] [--loop-series 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaincinv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.stats import compare, methods, trend  # noqa: E402

PERIODS = 5
Z95, Z998 = methods.z_value(0.95), methods.z_value(0.998)


def make_rows(series: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic tidy rows: proportions with counts in the thousands, rates with many counts under 10."""
    rng = np.random.default_rng(seed)
    gid = np.repeat(np.arange(series), PERIODS)
    n = series * PERIODS
    proportion = gid % 2 == 0
    denominator = rng.integers(50, 20000, n).astype(float)
    level = rng.uniform(0.02, 0.6, series)[gid] * (1 + 0.03 * np.tile(np.arange(PERIODS), series))
    numerator = np.where(
        proportion, rng.binomial(denominator.astype(np.int64), np.minimum(level, 0.95)), rng.poisson(denominator * level * 0.005)
    ).astype(float)
    indicator = np.where(proportion, "P", "R") + (gid % 100).astype(str)
    return pd.DataFrame(
        {
            "indicator_id": pd.array(indicator, dtype="string"),
            "area_code": pd.array((gid // 100).astype(str), dtype="string"),
            "period_sort": np.tile((np.arange(PERIODS) + 2015) * 10000, series),
            "numerator": numerator,
            "denominator": denominator,
            "value_type": pd.Categorical(np.where(proportion, "proportion", "crude_rate")),
            "polarity": pd.Categorical(np.where(gid % 3 == 0, "high_is_good", "low_is_good")),
            "benchmark": np.where(proportion, 30.0, 150.0),
        }
    )


def vectorised(rows: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    proportion = (rows["value_type"] == "proportion").to_numpy()
    x = rows["numerator"].to_numpy()
    n = rows["denominator"].to_numpy()
    p_rows, r_rows = np.flatnonzero(proportion), np.flatnonzero(~proportion)
    proportions = methods.proportion_ci(x[p_rows], n[p_rows], 100)
    rates = methods.rate_ci(x[r_rows], n[r_rows], 100000)
    limits = {}
    for column in ("value", "lower95", "upper95", "lower998", "upper998"):
        limits[column] = np.empty(len(rows))
        limits[column][p_rows], limits[column][r_rows] = proportions[column].to_numpy(), rates[column].to_numpy()
    values = rows.assign(**limits)
    comparison = compare.compare(
        values["value"],
        values["lower95"],
        values["upper95"],
        values["benchmark"],
        values["polarity"],
        values["lower998"],
        values["upper998"],
        level="both",
    )
    trends = trend.recent_trend(values, ["indicator_id", "area_code"])
    return comparison, trends


def wilson(x: float, n: float, z: float) -> tuple[float, float]:
    root = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    return (2 * x + z * z - root) / 2 / (n + z * z), (2 * x + z * z + root) / 2 / (n + z * z)


def poisson(x: float, z: float, level: float) -> tuple[float, float]:
    if x < 10:
        alpha = 1 - level
        return (gammaincinv(x, alpha / 2) if x > 0 else 0.0), gammaincinv(x + 1, 1 - alpha / 2)
    return (
        x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3,
        (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3,
    )


def per_row_loop(rows: pd.DataFrame) -> list[tuple]:
    """The same work, one row and one series at a time."""
    results, series = [], []
    for x, n, kind, polarity, benchmark in zip(
        rows["numerator"], rows["denominator"], rows["value_type"], rows["polarity"], rows["benchmark"]
    ):
        if kind == "proportion":
            value = x / n * 100
            l95, u95 = (v * 100 for v in wilson(x, n, Z95))
            l998, u998 = (v * 100 for v in wilson(x, n, Z998))
        else:
            value = x / n * 100000
            l95, u95 = (v / n * 100000 for v in poisson(x, Z95, 0.95))
            l998, u998 = (v / n * 100000 for v in poisson(x, Z998, 0.998))
        strong = 1 if l998 > benchmark else -1 if u998 < benchmark else 0
        weak = 1 if l95 > benchmark else -1 if u95 < benchmark else 0
        good = (strong or weak) * (1 if polarity == "high_is_good" else -1)
        level = "(99.8%)" if strong else "(95%)"
        label = f"better {level}" if good > 0 else f"worse {level}" if good < 0 else "similar"
        results.append((value, l95, u95, l998, u998, label))
        series.append((x, n, value, l95, u95, kind))
        if len(series) == PERIODS:
            results.append(loop_trend(series))
            series = []
    return results


def loop_trend(points: list[tuple]) -> tuple[float, bool]:
    slopes = []
    if points[0][5] == "proportion":
        N = sum(p[1] for p in points)
        X = sum(p[0] for p in points)
        A = sum(p[0] * t for t, p in enumerate(points, 1))
        B = sum(p[1] * t for t, p in enumerate(points, 1))
        C = sum(p[1] * t * t for t, p in enumerate(points, 1))
        chi2 = N * (N * A - X * B) ** 2 / (X * (N - X) * (N * C - B * B))
        for leave in range(PERIODS + 1):
            kept = [(t, math.log(p[0] / (p[1] - p[0]))) for t, p in enumerate(points, 1) if t != leave]
            m = len(kept)
            st, sy = sum(t for t, _ in kept), sum(y for _, y in kept)
            slopes.append((m * sum(t * y for t, y in kept) - st * sy) / (m * sum(t * t for t, _ in kept) - st * st))
    else:
        chi2 = 0.0
        for leave in range(PERIODS + 1):
            s = [0.0] * 5
            for t, p in enumerate(points, 1):
                if t == leave:
                    continue
                w = 1 / ((p[4] - p[3]) / 3.92) ** 2
                s = [s[0] + w, s[1] + w * p[2] * t, s[2] + w * t, s[3] + w * p[2], s[4] + w * t * t]
            slope = (s[0] * s[1] - s[2] * s[3]) / (s[0] * s[4] - s[2] ** 2)
            if leave == 0:
                chi2 = slope**2 * (s[0] * s[4] - s[2] ** 2) / s[0]
            slopes.append(slope)
    stable = all(s < 0 for s in slopes) or all(s >= 0 for s in slopes)
    return chi2, stable and chi2 > trend.CHI2_CRITICAL


def timed(function, *args) -> tuple[float, float]:
    """Elapsed and CPU seconds (the process's CPU time, every thread counted: steadier on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - start, time.process_time() - cpu


def medians(timings: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200_000)
    parser.add_argument("--loop-series", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    rows = make_rows(args.series)
    sample = rows.iloc[: args.loop_series * PERIODS]
    scale = len(rows) / len(sample)
    vectorised(rows.iloc[:1000])

    fast = [timed(vectorised, rows) for _ in range(args.runs)]
    with_limits = rows.assign(value=rows["numerator"] / rows["denominator"], lower95=0.0, upper95=1.0)
    trend_only = [timed(trend.recent_trend, with_limits, ["indicator_id", "area_code"]) for _ in range(args.runs)]
    slow = [timed(per_row_loop, sample) for _ in range(args.runs)]
    (fast_median, fast_cpu), (slow_sample, slow_cpu) = medians(fast), medians(slow)
    slow_median, slow_cpu = slow_sample * scale, slow_cpu * scale

    tracemalloc.start()
    vectorised(rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"rows: {len(rows):,} ({args.series:,} series x {PERIODS} periods; half proportions, half crude rates)")
    print("work: value + 95% and 99.8% limits + two-level benchmark comparison + recent trend")
    print(
        f"observatory.stats: median {fast_median:.3f} s of {args.runs} runs ({', '.join(f'{t:.3f}' for t, _ in fast)}); "
        f"CPU {fast_cpu:.3f} s"
    )
    print(
        f"per-row Python loop: median {slow_sample:.3f} s on {len(sample):,} rows, "
        f"x {scale:g} = {slow_median:.1f} s estimated for {len(rows):,} rows; CPU {slow_cpu:.1f} s"
    )
    print(f"of which the recent trend alone: median {medians(trend_only)[0]:.3f} s; CPU {medians(trend_only)[1]:.3f} s")
    print(f"speed-up: {slow_median / fast_median:.0f}x elapsed, {slow_cpu / fast_cpu:.0f}x CPU (target >= 50x)")
    print(f"load average at the end (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"peak traced memory (tracemalloc, vectorised run): {peak / 2**20:.0f} MiB")
    print(f"peak resident memory of the process (ru_maxrss): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
