#!/usr/bin/env python3
"""Scores perfgate's detector and Apache Otava's on the same synthetic histories.

Reads the histories and manifest that `cargo bench --bench detection -- --write DIR`
writes, replays each series through both detectors as if each run had just happened
(judging run i on runs 0..=i only), and scores them alike:

  - perfgate: `perfgate backtest --input FILE --format json`, its regression alerts;
  - Otava: `compute_change_points` (E-divisive means with its t-test merge, the
    algorithm `otava analyze` runs; defaults p 0.001, window 50, magnitude 0) on the
    runs so far, after every run. A change point not within TOLERANCE runs of one
    already reported is a new alert at that run; it is a regression when its mean
    moved the bad way.

Scores per family, as the detection bench does: false alarms in % of judged runs
of series without a change; 4-sigma steps reported within 3 and 5 runs; 6-sigma
steps (plain, behind an open 2-sigma alert, after a blip, after either varied by
series) within 5 runs; the ramp
within 10 runs of its start. Only the first SERIES series of each file are used:
Otava costs about half a millisecond per run replayed.

Usage: bench/otava_compare.py DIR PERFGATE [--series N] [--p P] [--magnitude M] [--window W]
                               [--families A,B]
(bench/otava.sh installs Otava and writes the histories first).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from multiprocessing import Pool

TOLERANCE = 2

ROWS = [
    # (label, change tag, what is scored, within runs)
    ("false alarms %", "null", "false", None),
    ("2σ in 5 runs %", "step2", "caught", 5),
    ("3σ in 5 runs %", "step3", "caught", 5),
    ("4σ in 3 runs %", "step4", "caught", 3),
    ("4σ in 5 runs %", "step4", "caught", 5),
    ("6σ in 5 runs %", "step6", "caught", 5),
    ("6σ behind an alert in 5 %", "after_alert6", "caught", 5),
    ("6σ after a blip in 5 %", "blip6", "caught", 5),
    ("6σ after varied, in 5 %", "varied6", "caught", 5),
    ("ramp in 10 runs %", "ramp6x8", "caught", 10),
]


def read_series(path, limit):
    """{series name: [values in run order]} of the first `limit` series."""
    series = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            name = row["metric"]
            if name not in series and len(series) >= limit:
                continue
            series.setdefault(name, []).append(float(row["value"]))
    return series


def perfgate_alerts(perfgate, series):
    """{series: [runs of regression alerts]} from `perfgate backtest`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "history.csv")
        with open(path, "w") as f:
            f.write("metric,run,value\n")
            for name, values in series.items():
                for i, v in enumerate(values):
                    f.write(f"{name},{i},{v}\n")
        done = subprocess.run(
            [perfgate, "backtest", "--input", path, "--format", "json"],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            sys.exit(f"{perfgate} backtest failed ({done.returncode}): {done.stderr.strip()}")
        out = done.stdout
    alerts = {name: [] for name in series}
    for a in json.loads(out)["alerts"]:
        if a["kind"] == "regression":
            alerts[a["metric"]].append(int(a["run"]))
    return alerts


def otava_series(args):
    """Runs at which Otava, replayed after every run, reports a new regression."""
    values, first, higher, opts = args
    from otava.analysis import compute_change_points

    reported, alerts = [], []
    for i in range(first, len(values)):
        cps, _ = compute_change_points(
            values[: i + 1], window_len=opts["window"], max_pvalue=opts["p"],
            min_magnitude=opts["magnitude"],
        )
        for cp in cps:
            if any(abs(cp.index - r) <= TOLERANCE for r in reported):
                continue
            reported.append(cp.index)
            up = cp.stats.mean_2 > cp.stats.mean_1
            if up != higher:
                alerts.append(i)
    return alerts


def score(alerts, row, what, within):
    """The figure of one file's alerts, as the detection bench scores it."""
    start, quiet, first = int(row["start"]), int(row["quiet_until"]), int(row["first_judged"])
    if what == "false":
        checks = len(alerts) * max(quiet - first, 0)
        false = sum(1 for runs in alerts.values() for r in runs if r < quiet)
        return 100.0 * false / max(checks, 1)
    caught = sum(
        1 for runs in alerts.values() if any(start <= r < start + within for r in runs)
    )
    return 100.0 * caught / max(len(alerts), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("perfgate")
    ap.add_argument("--series", type=int, default=100)
    ap.add_argument("--p", type=float, default=0.001)
    ap.add_argument("--magnitude", type=float, default=0.0)
    ap.add_argument("--window", type=int, default=50)
    ap.add_argument("--families", help="comma-separated: only these families")
    a = ap.parse_args()
    opts = {"p": a.p, "magnitude": a.magnitude, "window": a.window}
    if a.series < 1:
        ap.error("--series must be at least 1")
    try:
        with open(os.path.join(a.dir, "manifest.csv")) as f:
            manifest = list(csv.DictReader(f))
    except OSError as e:
        ap.error(f"{e}: write the histories with `cargo bench --bench detection -- --write {a.dir}`")
    families = list(dict.fromkeys(r["family"] for r in manifest))
    if a.families:
        families = [f for f in families if f in a.families.split(",")]
    print(
        f"perfgate vs Apache Otava (p {a.p}, window {a.window}, magnitude {a.magnitude}), "
        f"{a.series} series per family and change, replayed run by run"
    )
    print(f"{'family':<16} {'figure':<27} {'perfgate':>9} {'otava':>9}  better")
    wins = {"perfgate": 0, "otava": 0, "tie": 0}
    # Per figure: (perfgate, Otava, who is better) of each family.
    by_figure = {}
    with Pool(os.cpu_count() or 1) as pool:
        for fam in families:
            # Only the changes a figure scores (the intermittent ones have none).
            scored = {tag for _, tag, _, _ in ROWS}
            rows = {
                r["change"]: r
                for r in manifest
                if r["family"] == fam and r["change"] in scored
            }
            results = {}
            for tag, row in rows.items():
                series = read_series(os.path.join(a.dir, row["file"]), a.series)
                higher = row["higher"] == "true"
                first = int(row["first_judged"])
                pg = perfgate_alerts(a.perfgate, series)
                jobs = [(v, first, higher, opts) for v in series.values()]
                ot = dict(zip(series, pool.map(otava_series, jobs)))
                results[tag] = (row, pg, ot)
            for label, tag, what, within in ROWS:
                if tag not in results:
                    continue
                row, pg, ot = results[tag]
                p, o = score(pg, row, what, within), score(ot, row, what, within)
                lower_better = what == "false"
                if abs(p - o) < 1e-9:
                    who = "tie"
                elif (p < o) == lower_better:
                    who = "perfgate"
                else:
                    who = "otava"
                wins[who] += 1
                by_figure.setdefault(label, []).append((p, o, who))
                print(f"{fam:<16} {label:<27} {p:>9.2f} {o:>9.2f}  {who}", flush=True)
    print(f"\n{'figure':<27} {'perfgate':>13} {'otava':>13}  families better: perfgate/otava/tie")
    for label, figures in by_figure.items():
        p = [f[0] for f in figures]
        o = [f[1] for f in figures]
        n = {w: sum(1 for f in figures if f[2] == w) for w in wins}
        print(
            f"{label:<27} {f'{min(p):.2f}-{max(p):.2f}':>13} {f'{min(o):.2f}-{max(o):.2f}':>13}  "
            f"{n['perfgate']}/{n['otava']}/{n['tie']}"
        )
    print(
        f"figures where perfgate is better: {wins['perfgate']}, Otava: {wins['otava']}, "
        f"tied: {wins['tie']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
