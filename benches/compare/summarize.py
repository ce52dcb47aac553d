#!/usr/bin/env python3
"""Reads the measurements that run.sh leaves in a results folder and prints
a Markdown summary: median wall time, peak memory, the ratios to vaultgate
against the targets, and the resource types on which the templates differ.

    summarize.py extra TOTAL TEMPLATE_DIR   extra subnets for a big stack of TOTAL resources
    summarize.py report RESULTS_DIR         the summary
"""
import collections
import glob
import json
import os
import re
import statistics
import sys

TOOLS = ["vaultgate", "cdk", "troposphere"]
# At the many size, vaultgate also runs with every stack in one App, as the
# CDK app keeps its stacks. `vaultgate` itself builds and writes one stack
# at a time there, as the troposphere app does.
APP_VARIANT = "vaultgate-app"
SIZES = ["default", "big", "many"]
# Resources that only the CDK's own machinery adds, not the architecture.
SCAFFOLDING = {"AWS::CDK::Metadata"}
# Minimum ratio of each tool's figure to vaultgate's: (time, peak memory).
TARGETS = {"cdk": (500, 50), "troposphere": (30, 3)}
# Resources that each extra subnet of the big stack adds: the subnet, its
# route table and their association.
RESOURCES_PER_EXTRA_SUBNET = 3


def resource_types(directory):
    """Counts the resources of every *.template.json in directory by type."""
    counts = collections.Counter()
    paths = sorted(glob.glob(os.path.join(directory, "*.template.json")))
    if not paths:
        sys.exit(f"error: no *.template.json in {directory}; did the tool run?")
    for path in paths:
        with open(path) as file:
            template = json.load(file)
        for resource in template.get("Resources", {}).values():
            if resource["Type"] not in SCAFFOLDING:
                counts[resource["Type"]] += 1
    return counts, len(paths)


def extra_subnets(total, directory):
    """Returns the number of extra subnets that brings the default stack in
    directory nearest to total resources."""
    counts, _ = resource_types(directory)
    base = sum(counts.values())
    return max(0, round((total - base) / RESOURCES_PER_EXTRA_SUBNET))


def peak_rss_mib(results, size, tool):
    """Returns the median over runs of GNU time's maximum resident set size, in MiB."""
    values = []
    for path in glob.glob(os.path.join(results, size, f"{tool}.time.*.txt")):
        with open(path) as file:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", file.read())
        if match:
            values.append(int(match.group(1)) / 1024)
    return statistics.median(values) if values else None, len(values)


def wall_time(results, size, tool):
    """Returns hyperfine's median, mean, standard deviation (seconds) and run count."""
    with open(os.path.join(results, size, f"{tool}.hyperfine.json")) as file:
        result = json.load(file)["results"][0]
    # hyperfine leaves the standard deviation empty after a single run.
    return result["median"], result["mean"], result["stddev"] or 0.0, len(result["times"])


def format_ratio(ratio):
    """Formats a ratio with one decimal below 10, where it matters."""
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def format_seconds(seconds):
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def report(results):
    with open(os.path.join(results, "machine.txt")) as file:
        machine = file.read().strip()
    print("## Whole-process comparison\n")
    print("```\n" + machine + "\n```\n")
    if os.path.exists(os.path.join(results, "load.txt")):
        with open(os.path.join(results, "load.txt")) as file:
            print("Load average (1, 5, 15 min) before each tool and size:\n")
            print("```\n" + file.read().strip() + "\n```\n")

    print("| size | tool | stacks | resources | median wall | mean ± sd | runs | peak RSS | time ratio | memory ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    verdicts = []
    differences = {}
    for size in SIZES:
        figures = {}
        tools = TOOLS + [APP_VARIANT] if os.path.exists(os.path.join(results, size, f"{APP_VARIANT}.out")) else TOOLS
        for tool in tools:
            counts, stacks = resource_types(os.path.join(results, size, f"{tool}.out"))
            median, mean, stddev, runs = wall_time(results, size, tool)
            rss, _ = peak_rss_mib(results, size, tool)
            figures[tool] = (counts, stacks, median, mean, stddev, runs, rss)
        base_median, base_rss = figures["vaultgate"][2], figures["vaultgate"][6]
        for tool in tools:
            counts, stacks, median, mean, stddev, runs, rss = figures[tool]
            time_ratio = median / base_median
            memory_ratio = rss / base_rss
            print(
                f"| {size} | {tool} | {stacks} | {sum(counts.values())} | {format_seconds(median)} "
                f"| {format_seconds(mean)} ± {format_seconds(stddev)} | {runs} | {rss:.1f} MiB "
                f"| {format_ratio(time_ratio)} | {memory_ratio:.1f}× |"
            )
            if tool in TARGETS:
                time_target, memory_target = TARGETS[tool]
                verdicts.append(
                    f"- {size}, {tool}: time {time_ratio:.0f}× (target ≥{time_target}×: "
                    f"{'met' if time_ratio >= time_target else 'missed'}), memory {memory_ratio:.1f}× "
                    f"(target ≥{memory_target}×: {'met' if memory_ratio >= memory_target else 'missed'})"
                )
                if APP_VARIANT in figures:
                    _, _, app_median, _, _, _, app_rss = figures[APP_VARIANT]
                    verdicts.append(
                        f"  - against {APP_VARIANT}: time {format_ratio(median / app_median)}, "
                        f"memory {rss / app_rss:.1f}×"
                    )
        if APP_VARIANT in figures and figures[APP_VARIANT][0] != figures["vaultgate"][0]:
            sys.exit(f"error: {APP_VARIANT} and vaultgate wrote different resources at size {size}")
        all_types = sorted(set().union(*(figures[tool][0] for tool in TOOLS)))
        differences[size] = [
            [resource_type] + [figures[tool][0][resource_type] for tool in TOOLS]
            for resource_type in all_types
            if len({figures[tool][0][resource_type] for tool in TOOLS}) > 1
        ]

    print("\nRatios are the tool's median wall time and median peak RSS divided by vaultgate's.\n")
    print("\n".join(verdicts))
    print_rounds(results)
    print("\n### Resource types whose counts differ between the tools\n")
    print(f"Not counted: {', '.join(sorted(SCAFFOLDING))}. Types with equal counts everywhere are left out.\n")
    for size in SIZES:
        print(f"**{size}**\n")
        if not differences[size]:
            print("Every tool's templates have the same resource types in the same numbers.\n")
            continue
        print("| type | " + " | ".join(TOOLS) + " |")
        print("| --- |" + " --- |" * len(TOOLS))
        for row in differences[size]:
            print("| " + " | ".join(str(cell) for cell in row) + " |")
        print()


ROUND_FILE = re.compile(r"^(?P<tool>[a-z-]+)\.round-(?P<number>\d+)\.hyperfine\.json$")


def round_medians(results, size, tool):
    """Returns hyperfine's median (seconds) of each paired round of `tool`
    at `size`, by round number. Files whose names do not follow run.sh's
    pattern are ignored."""
    directory = os.path.join(results, size)
    medians = {}
    paths = {}
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        match = ROUND_FILE.match(name)
        if not match or match.group("tool") != tool:
            continue
        number = int(match.group("number"))
        path = os.path.join(directory, name)
        if number in paths:
            sys.exit(f"error: {paths[number]} and {path} are both round {number}; remove one")
        paths[number] = path
        try:
            with open(path) as file:
                medians[number] = json.load(file)["results"][0]["median"]
        except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
            sys.exit(f"error: cannot read the median from {path}: {error!r}")
    return medians


def print_rounds(results):
    """Prints the paired rounds of vaultgate and troposphere, when run.sh
    ran them. Rounds are paired by number; a round that only one tool
    finished is named below the table."""
    rows = []
    unpaired = []
    for size in SIZES:
        ours = round_medians(results, size, "vaultgate")
        theirs = round_medians(results, size, "troposphere")
        numbers = sorted(set(ours) & set(theirs))
        for number in sorted(set(ours) ^ set(theirs)):
            tool = "vaultgate" if number in ours else "troposphere"
            unpaired.append(f"{size} round {number} (only {tool})")
        if numbers:
            rows.append((size, numbers, [ours[number] for number in numbers], [theirs[number] for number in numbers]))
    if not rows and not unpaired:
        return

    time_target = TARGETS["troposphere"][0]
    print("\n### Paired rounds against troposphere\n")
    print("vaultgate and troposphere alternate, so both medians of a round come from the same few seconds.\n")
    print("| size | rounds | vaultgate medians | troposphere medians | ratio per round | median ratio | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size, numbers, ours, theirs in rows:
        ratios = [their / our for our, their in zip(ours, theirs)]
        median_ratio = statistics.median(ratios)
        verdict = "met" if median_ratio >= time_target else "missed"
        print(
            f"| {size} | {', '.join(str(number) for number in numbers)} | {', '.join(format_seconds(value) for value in ours)} "
            f"| {', '.join(format_seconds(value) for value in theirs)} "
            f"| {', '.join(format_ratio(ratio) for ratio in ratios)} | {format_ratio(median_ratio)} "
            f"| {verdict} (target ≥{time_target}×) |"
        )

    if unpaired:
        print(f"\nLeft out, because the other tool has no round with the same number: {', '.join(unpaired)}.")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "extra":
        print(extra_subnets(int(sys.argv[2]), sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
