#!/usr/bin/env bash
# The test command: sets up a fresh Debian machine, builds in release (training in a debug
# build is far too slow) and runs every test, multi-rank mpirun tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for-tests
# Tests launch real `mpirun`; as root Open MPI refuses without these.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# One BLAS thread, as every rank runs: OpenBLAS's default (a thread per core) makes each small
# GEMM wait for a second thread, which on a busy machine turns a 2-second test into minutes.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
