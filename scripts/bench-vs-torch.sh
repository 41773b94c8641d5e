#!/usr/bin/env bash
# Side by side, in one run: each study model's training windows/s in LMSweep and in PyTorch
# (shared/bench/torch_study.py), one thread each, alternating for ROUNDS rounds so that both
# see the same machine (a shared machine's speed drifts by 10-25% between minutes); and
# LMSweep's share of the FMA peak that `lmsweep bench` measures in the same round.
#
#   scripts/bench-vs-torch.sh [ROUNDS]
#
# Environment: PYTHON (a Python with torch; default python3), TORCH_STUDY (default
# ../shared/bench/torch_study.py beside the checkout), LMSWEEP (default .build/release/lmsweep).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
python=${PYTHON:-python3}
study=${TORCH_STUDY:-../shared/bench/torch_study.py}
lmsweep=${LMSWEEP:-.build/release/lmsweep}
[[ -x $lmsweep ]] || { echo "bench-vs-torch: $lmsweep not found; run: swift build -c release" >&2; exit 1; }
[[ -f $study ]] || { echo "bench-vs-torch: $study not found; set TORCH_STUDY" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || { echo "bench-vs-torch: $python cannot import torch; set PYTHON" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    "$lmsweep" bench --sections models 2>/dev/null | awk '$2 == "last" || $2 == "all" { print "lmsweep", $1, $2, $4, $6, $8 }' >>"$log"
    "$python" "$study" --threads 1 2>/dev/null | grep '^{' | sed 's/^/torch /' >>"$log"
    "$python" "$study" --threads 1 --models transformer --objective all 2>/dev/null | grep '^{' | sed 's/^/torch /' >>"$log"
done
"$python" - "$log" <<'EOF'
import json, statistics, sys
ours, theirs, gflops, peak = {}, {}, {}, {}
for line in open(sys.argv[1]):
    source, rest = line.split(" ", 1)
    if source == "lmsweep":
        model, objective, windows, rate, share = rest.split()
        ours.setdefault((model, objective), []).append(float(windows))
        gflops.setdefault((model, objective), []).append(float(rate))
        peak.setdefault((model, objective), []).append(float(share.rstrip("%")) if share != "n/a" else float("nan"))
    else:
        record = json.loads(rest)
        theirs.setdefault((record["model"], record["objective"]), []).append(record["windows_per_s"])
print("| model | objective | lmsweep windows/s | PyTorch windows/s | ratio | lmsweep exact GFLOP/s | share of FMA peak |")
print("|---|---|--:|--:|--:|--:|--:|")
for key in ours:
    if key not in theirs: continue
    a, b = statistics.median(ours[key]), statistics.median(theirs[key])
    print(f"| {key[0]} | {key[1]} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x | {statistics.median(gflops[key]):.1f} | {statistics.median(peak[key]):.1f}% |")
print(f"\nmedians of {len(next(iter(ours.values())))} alternating rounds, one thread each")
EOF
