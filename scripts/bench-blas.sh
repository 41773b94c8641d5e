#!/usr/bin/env bash
# OpenBLAS against BLIS (Debian's libblis) on raw sgemm at the study's GEMM shapes, one thread:
# builds scripts/bench/blas-gemm.c against each, alternates the two builds for ROUNDS rounds
# (each the best of 5 passes) and prints each shape's median GFLOP/s and the ratio.
#   scripts/bench-blas.sh [ROUNDS]          # needs: apt-get install libblis-dev
# For a benchmark, unset the environment's OpenBLAS pins in that one command:
#   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench-blas.sh 5
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
blis_dir=$(dirname "$(ls /usr/lib/x86_64-linux-gnu/blis-*/libblis.so.4 2>/dev/null | head -1)")
if [[ ! -e "$blis_dir/libblis.so.4" ]]; then
    echo "error: BLIS not found under /usr/lib/x86_64-linux-gnu/blis-*; fix: apt-get install libblis-dev" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/openblas" "$here/bench/blas-gemm.c" -lopenblas
cc -O2 -DUSE_BLIS -o "$work/blis" "$here/bench/blas-gemm.c" "$blis_dir/libblis.so.4" -Wl,-rpath,"$blis_dir"
export OPENBLAS_NUM_THREADS=1 BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1
# The OpenBLAS kernels lmsweep runs: it re-executes itself with OPENBLAS_CORETYPE set when
# OpenBLAS 0.3.21 misdetects the CPU (BLASKernelChoice), so the comparison pins the same family.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
    if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
for ((r = 0; r < rounds; r++)); do
    "$work/openblas" 5 > "$work/openblas.$r"
    "$work/blis" 5 > "$work/blis.$r"
done
python3 - "$work" "$rounds" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def read(lib):
    name, rates = None, {}
    for r in range(rounds):
        for line in open(f"{work}/{lib}.{r}"):
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "library": name = parts[1]; continue
            rates.setdefault(parts[0], []).append(float(parts[1]) / float(parts[2]) / 1e9)
    return name, {k: statistics.median(v) for k, v in rates.items()}
a_name, a = read("openblas")
b_name, b = read("blis")
print(f"raw sgemm, one thread, median of {rounds} alternated rounds (each the best of 5 passes)")
print(f"{'shape':<18}{a_name:>22}{b_name:>22}{'BLIS / OpenBLAS':>18}")
for shape in a:
    print(f"{shape:<18}{a[shape]:>20.1f}  {b[shape]:>20.1f}  {b[shape] / a[shape]:>16.2f}")
PY
