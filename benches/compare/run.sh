#!/usr/bin/env bash
# Compares vaultgate with the same backup architecture written for AWS CDK v2
# and for troposphere, each run as a whole process, at three sizes: one
# default stack, one big stack and an app of many default stacks. At the
# many size vaultgate runs twice: as `vaultgate`, building and writing one
# stack at a time as the troposphere app does, and as `vaultgate-app`,
# holding every stack in one App as the CDK app does. It records
# the wall time (hyperfine, no shell in between) and the peak memory (GNU
# time's maximum resident set size), checks that the templates describe the
# same resources, and prints a summary with the ratios to vaultgate.
#
#   benches/compare/run.sh REFERENCES [INSTALL_DIR] [RESULTS_DIR]
#
# REFERENCES is the folder of the reference apps, which are not part of this
# repository: cdk/app.js and cdk/backup-stack.js (AWS CDK v2), troposphere/app.py
# and setup.sh, which installs both into INSTALL_DIR (default
# /tmp/vaultgate-compare; skipped when they are already there). RESULTS_DIR
# (default INSTALL_DIR/results-DATE) receives the raw measurements and
# summary.md. Needs cargo, node, npm, python3, hyperfine and /usr/bin/time
# (Debian: apt-get install -y hyperfine time).
#
# Environment variables, all optional:
#   WARMUP         warm-up runs before timing (default 2)
#   SLOW_RUNS      timed runs of CDK, which takes seconds per run (default 5)
#   MIN_RUNS       minimum timed runs of vaultgate and troposphere (default 20)
#   RSS_RUNS       runs under GNU time for the peak memory (default 3)
#   BIG_RESOURCES  resources each tool's big stack is sized to (default 445)
#   STACKS         stacks of the many size (default 50)
#   ROUNDS         paired rounds of vaultgate and troposphere per size (default 5)
#   ROUND_RUNS     timed runs of vaultgate in each round (default 40)
#   ROUND_SLOW_RUNS  timed runs of troposphere in each round (default 10)
set -euo pipefail

usage="usage: benches/compare/run.sh REFERENCES [INSTALL_DIR] [RESULTS_DIR]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
references=$(realpath "$1")
install_dir=$(realpath -m "${2:-/tmp/vaultgate-compare}")
results=$(realpath -m "${3:-$install_dir/results-$(date +%Y%m%d-%H%M%S)}")
workspace=$(cd "$(dirname "$0")/../.." && pwd)
summarize="$workspace/benches/compare/summarize.py"
# hyperfine --shell=none splits its command line at spaces.
case "$references$install_dir$results$workspace" in
  *' '*) echo "error: the folders must not contain spaces, because hyperfine splits commands at spaces" >&2; exit 2 ;;
esac

warmup=${WARMUP:-2}
slow_runs=${SLOW_RUNS:-5}
min_runs=${MIN_RUNS:-20}
rss_runs=${RSS_RUNS:-3}
big_resources=${BIG_RESOURCES:-445}
stacks=${STACKS:-50}
rounds=${ROUNDS:-5}
round_runs=${ROUND_RUNS:-40}
round_slow_runs=${ROUND_SLOW_RUNS:-10}
for setting in WARMUP="$warmup" SLOW_RUNS="$slow_runs" MIN_RUNS="$min_runs" RSS_RUNS="$rss_runs" \
  BIG_RESOURCES="$big_resources" STACKS="$stacks" ROUNDS="$rounds" ROUND_RUNS="$round_runs" ROUND_SLOW_RUNS="$round_slow_runs"; do
  case "${setting#*=}" in
    '' | *[!0-9]*) echo "error: invalid ${setting}: expected a whole number" >&2; exit 2 ;;
  esac
done

for file in cdk/app.js cdk/backup-stack.js troposphere/app.py setup.sh; do
  [ -f "$references/$file" ] || { echo "error: $references/$file not found; pass the folder of the reference apps ($usage)" >&2; exit 2; }
done
for tool in cargo node npm python3 hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found; install it (Debian: apt-get install -y hyperfine time nodejs npm)" >&2; exit 2; }
done

if [ ! -f "$install_dir/node_modules/aws-cdk-lib/package.json" ] \
  || ! "$install_dir/venv/bin/python" -c 'import troposphere' 2>/dev/null; then
  echo "installing the reference apps' dependencies into $install_dir" >&2
  "$references/setup.sh" "$install_dir"
fi

echo "building vaultgate in release" >&2
# One cargo command for both, so that both see the same features and the
# shared crates are compiled once.
(cd "$workspace" && cargo build --release -p vaultgate-cli -p vaultgate --bin vaultgate --example synth_sizes)
target_dir=$(cd "$workspace" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
vaultgate_bin="$target_dir/release/vaultgate"
synth_sizes_bin="$target_dir/release/examples/synth_sizes"

mkdir -p "$results"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), hypervisor $(lscpu | sed -n 's/^Hypervisor vendor: *//p')"
  echo "cores: $(nproc)"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "vaultgate: $(git -C "$workspace" rev-parse --short HEAD)$(git -C "$workspace" diff --quiet HEAD || echo ' (uncommitted changes)')"
  echo "rustc: $(rustc --version)"
  echo "node: $(node --version)"
  echo "aws-cdk-lib: $(node -p "require('$install_dir/node_modules/aws-cdk-lib/package.json').version")"
  echo "python: $("$install_dir/venv/bin/python" --version)"
  echo "troposphere: $("$install_dir/venv/bin/python" -c 'import troposphere; print(troposphere.__version__)')"
  echo "hyperfine: $(hyperfine --version)"
} > "$results/machine.txt"
cat "$results/machine.txt" >&2

# Prints the command line of TOOL at SIZE, one word per line.
command_of() {
  local tool=$1 size=$2
  case "$tool" in
    vaultgate | vaultgate-app)
      if [ "$size" = default ]; then
        # The default size runs the real command that users run.
        printf '%s\n' "$vaultgate_bin" synth --out "$results/$size/$tool.out/VaultgateBackup.template.json"
      else
        printf '%s\n' "$synth_sizes_bin"
      fi
      ;;
    cdk) printf '%s\n' node "$references/cdk/app.js" ;;
    troposphere) printf '%s\n' "$install_dir/venv/bin/python" "$references/troposphere/app.py" ;;
  esac
}

# Runs TOOL at SIZE with EXTRA extra subnets: once to check it works and to
# keep its templates, then under hyperfine and under GNU time.
measure() {
  local tool=$1 size=$2 extra=$3
  local directory="$results/$size"
  local out="$directory/$tool.out"
  local command
  mapfile -t command < <(command_of "$tool" "$size")
  mkdir -p "$out"
  local mode=$size
  [ "$tool" = vaultgate-app ] && mode=many-app
  local variables=(MODE="$mode" EXTRA="$extra" STACKS="$stacks" OUT="$out" NODE_PATH="$install_dir/node_modules")

  echo "== $tool $size (EXTRA=$extra, STACKS=$stacks); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  echo "$size $tool $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results/load.txt"
  if ! (cd "$install_dir" && env "${variables[@]}" REPORT=1 "${command[@]}" > "$directory/$tool.stdout" 2> "$directory/$tool.stderr"); then
    echo "error: $tool failed at size $size:" >&2
    cat "$directory/$tool.stderr" >&2
    exit 1
  fi

  local runs=(--min-runs "$min_runs")
  [ "$tool" = cdk ] && runs=(--runs "$slow_runs")
  (cd "$install_dir" && env "${variables[@]}" hyperfine --shell=none --warmup "$warmup" "${runs[@]}" \
    --command-name "$tool $size" --export-json "$directory/$tool.hyperfine.json" "${command[*]}") >&2

  for run in $(seq "$rss_runs"); do
    (cd "$install_dir" && env "${variables[@]}" /usr/bin/time -v -o "$directory/$tool.time.$run.txt" "${command[@]}" > /dev/null 2>&1)
  done
}

# Times TOOL at SIZE once more, as round ROUND of the paired comparison,
# into SIZE/TOOL.round-ROUND.hyperfine.json.
measure_round() {
  local tool=$1 size=$2 extra=$3 round=$4
  local directory="$results/$size"
  local command
  mapfile -t command < <(command_of "$tool" "$size")
  local variables=(MODE="$size" EXTRA="$extra" STACKS="$stacks" OUT="$directory/$tool.out" NODE_PATH="$install_dir/node_modules")
  local runs=$round_runs
  [ "$tool" = troposphere ] && runs=$round_slow_runs
  (cd "$install_dir" && env "${variables[@]}" hyperfine --shell=none --warmup 1 --runs "$runs" \
    --command-name "$tool $size round $round" --export-json "$directory/$tool.round-$round.hyperfine.json" "${command[*]}") > /dev/null
}

tools=(vaultgate cdk troposphere)
declare -A big_extra
for tool in "${tools[@]}"; do measure "$tool" default 0; done
for tool in "${tools[@]}"; do
  big_extra[$tool]=$(python3 "$summarize" extra "$big_resources" "$results/default/$tool.out")
  measure "$tool" big "${big_extra[$tool]}"
done
for tool in "${tools[@]}" vaultgate-app; do measure "$tool" many 0; done

# The blocks above time each tool for seconds on end, and the speed of the
# virtual machine these figures were taken on drifted by 10 to 25% between
# such periods. In the paired rounds vaultgate and troposphere alternate,
# so both figures of a round come from the same few seconds. Odd rounds
# start with vaultgate and even ones with troposphere, so neither tool
# always runs right after the other. Rounds left by an earlier run into
# the same folder are removed first, because the summary pairs rounds by
# number.
for size in default big many; do
  echo "== paired rounds at size $size" >&2
  rm -f "$results/$size/"*.round-*.hyperfine.json
  for round in $(seq "$rounds"); do
    order=(vaultgate troposphere)
    [ $((round % 2)) -eq 0 ] && order=(troposphere vaultgate)
    echo "$size round $round $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results/load.txt"
    for tool in "${order[@]}"; do
      extra=0
      [ "$size" = big ] && extra=${big_extra[$tool]}
      measure_round "$tool" "$size" "$extra" "$round"
    done
  done
done
echo "end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results/load.txt"

python3 "$summarize" report "$results" | tee "$results/summary.md"
