#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench` run as a Markdown table,
read from criterion's estimates under target/criterion (or the folder given
as the first argument). Criterion's own summary line shows the mean or the
regression slope instead, with its confidence interval.

    python3 benches/medians.py [CRITERION_DIR]
"""
import glob
import json
import os
import sys


def format_nanoseconds(value):
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    return f"{value / 1e3:.1f} µs"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "target", "criterion")
    paths = sorted(glob.glob(os.path.join(root, "*", "*", "new", "estimates.json")))
    if not paths:
        sys.exit(f"error: no criterion estimates under {root}; run `cargo bench -p vaultgate` first")
    print("| benchmark | median | median absolute deviation |")
    print("| --- | --- | --- |")
    for path in paths:
        with open(path) as file:
            estimates = json.load(file)
        group, name = path.split(os.sep)[-4:-2]
        median = estimates["median"]["point_estimate"]
        deviation = estimates["median_abs_dev"]["point_estimate"]
        print(f"| {group}/{name} | {format_nanoseconds(median)} | {format_nanoseconds(deviation)} |")


if __name__ == "__main__":
    main()
