#!/usr/bin/env bash
# Kill loop (issue 16): a small 2-worker run with periodic checkpoints is killed at random
# moments (from data loading on) and resumed, again and again, then allowed to finish. Checks that
#   - every SIGTERM stops the run with exit 75 (checkpoint written), every resume starts,
#   - each kill loses at most one checkpoint interval of training (plus a small allowance for
#     evaluations and the checkpoint write, SLACK seconds),
#   - the final run completes (exit 0),
#   - the metrics files are consistent: one row per evaluation the checkpoint counts, no
#     duplicate or partial line, steps increasing, metrics.csv and metrics.jsonl agreeing,
#   - no stray file is left: no *.partial-* or *.tmp, no hidden file but the lock file.
# Prints a summary; exits 1 when any check fails.
#
#   Examples/scripts/kill-loop.sh [--kills N] [--terms N] [--interval MINUTES] [--output DIR]
#
# Defaults: 20 SIGKILLs, 20 SIGTERMs, checkpoints every 0.05 min (3 s); about 2-3 minutes on 2
# cores. Uses $GRAWA_TRAIN if set, else builds .build/release/grawa-train. Trains tiny-cnn on
# 2,048 Fashion-MNIST images (synthetic data when the dataset is not installed). Needs python3.
set -euo pipefail

kills=20
terms=20
interval=0.05
output=""
slack=1.0
while (($#)); do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --terms) terms=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "kill-loop: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -n "${GRAWA_TRAIN:-}" ]]; then
  binary=$GRAWA_TRAIN
else
  (cd "$root" && swift build -c release -Xswiftc -enable-testing -Xswiftc -target-cpu -Xswiftc native \
    --product grawa-train >&2)
  binary="$root/.build/release/grawa-train"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/kill-loop.XXXXXX")
run=${output:-$work/run}
if [[ -e "$run" ]]; then echo "kill-loop: $run exists; choose another --output" >&2; exit 2; fi
log=$work/log

if [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  data=(--dataset fashion-mnist --train-limit 2048 --test-limit 256)
else
  data=(--dataset synthetic --train-limit 2048 --test-limit 256)
fi
interval_seconds=$(python3 -c "print($interval * 60)")

# "boundary training-seconds evaluations" of the checkpoint, or "0 0 0" when there is none.
checkpoint_info() {
  python3 - "$run/checkpoint.grawa" <<'PY'
import json, struct, sys
try:
    data = open(sys.argv[1], "rb").read()
except FileNotFoundError:
    print("0 0 0"); sys.exit()
(length,) = struct.unpack_from("<Q", data, 12)
header = json.loads(data[20:20 + length])
seconds = struct.unpack(">d", bytes.fromhex(header["trainingSecondsBits"]))[0]
print(header["boundary"], seconds, header["evaluations"])
PY
}

# Stray files in the run directory: temporaries of killed writes, hidden files but the lock.
strays() {
  find "$run" -maxdepth 1 -mindepth 1 \( -name '*.partial*' -o -name '*.tmp' -o -name '.*' \) \
    ! -name .grawa-lock -printf '%f\n' 2>/dev/null | sort
}

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The time in microseconds (bash 5's $EPOCHREALTIME without its point).
now_us() { echo "${EPOCHREALTIME/./}"; }
# A random number of microseconds in [low, high) seconds.
random_us() { python3 -c "import random; print(int(random.uniform($1, $2) * 1e6))"; }

# Starts the run (new or resumed) in the background; sets $pid and $started (microseconds).
start() {
  : >"$log"
  if [[ -f "$run/checkpoint.grawa" ]]; then
    "$binary" train --resume "$run" >"$log" 2>&1 &
  else
    "$binary" train --model tiny-cnn "${data[@]}" --batch-size 32 --strategy easgd --workers 2 \
      --threads 2 --steps 100000000 --eval-every 2 --checkpoint-every "$interval" --output "$run" >"$log" 2>&1 &
  fi
  pid=$!
  started=$(now_us)
}

# Waits for the header line ("output: ...", printed just before the first step), polling every
# 10 ms until `deadline` (microseconds); sets $training_since to when it appeared, or "".
training_since=""
wait_for_training() {
  local deadline=$1
  training_since=""
  while kill -0 "$pid" 2>/dev/null; do
    if grep -q '^  output: ' "$log"; then
      training_since=$(now_us)
      return 0
    fi
    (($(now_us) < deadline)) || return 1
    sleep 0.01
  done
  return 1
}

max_lost=0
total_lost=0
partials_seen=0
sigterm_codes=""
cycle() {
  local signal=$1 index=$2 deadline
  read -r before_boundary before_seconds _ < <(checkpoint_info)
  start
  # Anywhere from data loading to two intervals in (SIGTERM too: a scheduler pre-empts a job
  # whenever it needs the node).
  deadline=$((started + $(random_us 0.1 "2 * $interval_seconds")))
  wait_for_training "$deadline" || true
  local wait_us=$((deadline - $(now_us)))
  if ((wait_us > 0)); then sleep "$(printf '%d.%06d' $((wait_us / 1000000)) $((wait_us % 1000000)))"; fi
  local killed_at
  killed_at=$(now_us)
  if ! kill -0 "$pid" 2>/dev/null; then
    { wait "$pid"; } 2>/dev/null && code=0 || code=$?
    fail "$signal $index: the run had already exited ($code) before the signal: $(tail -3 "$log")"
    return
  fi
  kill -s "$signal" "$pid"
  { wait "$pid"; } 2>/dev/null && code=0 || code=$?
  if [[ $signal == TERM ]]; then
    sigterm_codes+="$code "
    [[ $code == 75 ]] || fail "SIGTERM $index: exit $code, expected 75: $(tail -3 "$log")"
  else
    [[ $code == 137 ]] || fail "SIGKILL $index: exit $code, expected 137"
  fi
  local stray
  stray=$(strays)
  if [[ -n $stray ]]; then partials_seen=$((partials_seen + $(wc -l <<<"$stray"))); fi
  read -r after_boundary after_seconds _ < <(checkpoint_info)
  # Training this process did is at most the wall time since training started.
  local trained_us=0
  [[ -z $training_since ]] || trained_us=$((killed_at - training_since))
  local verdict
  verdict=$(python3 - <<PY
before, after, trained = $before_seconds, $after_seconds, $trained_us / 1e6
lost = max(0.0, before + trained - after)
problems = []
if lost > $interval_seconds + $slack:
    problems.append(f"lost up to {lost:.2f} s of training, more than one interval ($interval_seconds s)")
if after < before:
    problems.append(f"the checkpoint went back from {before} to {after} s")
print(f"{lost:.3f} {max($max_lost, lost):.3f} {$total_lost + lost:.3f} " + "; ".join(problems))
PY
)
  local lost problems
  read -r lost max_lost total_lost problems <<<"$verdict"
  [[ -z $problems ]] || fail "$signal $index: $problems"
  printf '%-4s %2d: after %5.2f s, checkpoint step %6d -> %6d, %7.2f -> %7.2f s trained, lost <= %5.2f s%s\n' \
    "$signal" "$index" "$((killed_at - started))e-6" "$before_boundary" "$after_boundary" \
    "$before_seconds" "$after_seconds" "$lost" "${stray:+, left: $(tr '\n' ' ' <<<"$stray")}"
}

begin=$(date +%s)
echo "kill loop: $kills SIGKILLs and $terms SIGTERMs, checkpoints every $interval_seconds s, run in $run"
signals=()
for ((i = 1; i <= kills; i++)); do signals+=(KILL); done
for ((i = 1; i <= terms; i++)); do signals+=(TERM); done
# Interleaved at random.
mapfile -t signals < <(printf '%s\n' "${signals[@]}" | python3 -c "import random, sys; l = sys.stdin.read().split(); random.shuffle(l); print('\n'.join(l))")
count=0
for signal in "${signals[@]}"; do
  count=$((count + 1))
  cycle "$signal" "$count"
done

# The final run: a budget a little past the checkpoint, run to the end.
read -r boundary seconds evaluations < <(checkpoint_info)
final=0
"$binary" train --resume "$run" --steps $((boundary + 64)) --quiet >"$log" 2>&1 || final=$?
[[ $final == 0 ]] || fail "the final run exited $final: $(tail -3 "$log")"
read -r boundary seconds evaluations < <(checkpoint_info)

# Metrics consistency, against the checkpoint.
metrics=$(python3 - "$run" "$evaluations" <<'PY' || true
import json, sys
run, evaluations = sys.argv[1], int(sys.argv[2])
problems = []
csv = open(f"{run}/metrics.csv").read()
if not csv.endswith("\n"):
    problems.append("metrics.csv ends in a partial line")
lines = csv.splitlines()
columns = lines[0].split(",")
rows = lines[1:]
for number, line in enumerate(rows, 2):
    if len(line.split(",")) != len(columns):
        problems.append(f"metrics.csv line {number} has {len(line.split(','))} fields, the header {len(columns)}")
step = columns.index("step")
steps = [int(line.split(",")[step]) for line in rows]
if any(b <= a for a, b in zip(steps, steps[1:])):
    problems.append("metrics.csv steps do not increase (a duplicate row?)")
jsonl = open(f"{run}/metrics.jsonl").read()
if not jsonl.endswith("\n"):
    problems.append("metrics.jsonl ends in a partial line")
json_steps = []
for number, line in enumerate(jsonl.splitlines(), 1):
    try:
        json_steps.append(json.loads(line)["step"])
    except Exception as error:
        problems.append(f"metrics.jsonl line {number}: {error}")
if json_steps != steps:
    problems.append("metrics.jsonl and metrics.csv disagree")
if len(rows) != evaluations:
    problems.append(f"{len(rows)} rows, the checkpoint counts {evaluations} evaluations")
print(len(rows))
for problem in problems:
    print("PROBLEM " + problem)
PY
)
rows=$(head -1 <<<"$metrics")
while read -r line; do
  [[ $line == PROBLEM* ]] && fail "${line#PROBLEM }"
done <<<"$metrics"

left=$(strays)
[[ -z $left ]] || fail "stray files left: $(tr '\n' ' ' <<<"$left")"
elapsed=$(($(date +%s) - begin))

echo
echo "summary: $kills SIGKILLs, $terms SIGTERMs (exit codes: ${sigterm_codes:-none}), final run exit $final"
echo "  checkpoint interval $interval_seconds s; progress lost per kill at most $max_lost s (bound $interval_seconds + $slack s), $total_lost s in all"
echo "  final checkpoint: step $boundary, $seconds s trained, $evaluations evaluations; metrics rows: $rows"
echo "  stray files left by killed writes along the way: $partials_seen (removed by the next resume); left at the end: ${left:-none}"
echo "  $elapsed s in all"
if ((failures > 0)); then
  echo "kill loop: $failures check(s) FAILED" >&2
  exit 1
fi
echo "kill loop: all checks passed"
[[ -n $output ]] || rm -rf "$work"
