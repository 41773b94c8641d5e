#!/usr/bin/env bash
# Issue #16, "our own GEMM, only if it wins": a register-blocked AVX-512 sgemm of our own
# (scripts/bench/own-gemm.c, 14×32 zmm micro-kernel, packed B) against OpenBLAS's cblas_sgemm
# at the study's linear-layer GEMM shapes (forward, dx and dW of qkv, out, ffn1, ffn2), one
# thread. The program first checks its results against cblas_sgemm on every shape and on odd
# edge shapes (exit 1 if the relative error exceeds 1e-4), then alternates the two for ROUNDS
# rounds (1-64), each the best of 5 calls per shape, and prints each shape's median GFLOP/s
# and the median of the rounds' paired ratios (own / OpenBLAS).
#   scripts/bench-own-gemm.sh [ROUNDS]      # needs an AVX-512F CPU, libopenblas-dev, cc
# For a benchmark, unset the environment's OpenBLAS pins in that one command:
#   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench-own-gemm.sh 7
set -euo pipefail
rounds=${1:-5}
[[ $rounds =~ ^[1-9][0-9]?$ && $rounds -le 64 ]] || { echo "bench-own-gemm: ROUNDS must be an integer from 1 to 64, got '$rounds'" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
grep -qw avx512f /proc/cpuinfo || { echo "bench-own-gemm: this CPU has no AVX-512F; the kernel needs it" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O3 -mavx512f -mfma -o "$work/own-gemm" "$here/bench/own-gemm.c" -lopenblas -lm
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# The OpenBLAS kernels lmsweep runs: it re-executes itself with OPENBLAS_CORETYPE set when
# OpenBLAS 0.3.21 misdetects the CPU (BLASKernelChoice), so the comparison pins the same family.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then export OPENBLAS_CORETYPE=SkylakeX; fi
"$work/own-gemm" "$rounds"
