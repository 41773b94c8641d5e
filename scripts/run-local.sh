#!/usr/bin/env bash
# Runs a sweep on every core of this machine: one MPI rank per core, one BLAS thread per rank.
# Builds the release binary first; safe to run as root (CI containers).
#
#   scripts/run-local.sh SPEC [lmsweep run options]
#   scripts/run-local.sh sweeps/smoke.yaml
#   scripts/run-local.sh sweeps/grid.yaml --out results/grid --retry-failed
#
# Environment: LMSWEEP_RANKS (default: every core), LMSWEEP_DATA (dataset folder),
# MPIRUN_OPTIONS (extra mpirun flags). Run it again to resume an interrupted sweep.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 SPEC [lmsweep run options]   (e.g. $0 sweeps/smoke.yaml)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
scripts/setup.sh
# A first run on a fresh machine: fetch and check the datasets unless a folder is named.
if [ -z "${LMSWEEP_DATA:-}" ] && [ ! -d data ] && [[ " $* " != *" --data-dir"* ]]; then
  scripts/fetch-data.sh data >&2
fi
swift build -c release --product lmsweep >&2
ranks="${LMSWEEP_RANKS:-$(nproc)}"
flags=()
# As root, Open MPI refuses to start without this (containers, CI).
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
# More ranks than cores (LMSWEEP_RANKS above nproc) needs explicit permission.
[ "$ranks" -gt "$(nproc)" ] && flags+=(--oversubscribe)
# Every OPENBLAS_* variable set here goes to every rank (-x): ranks on other nodes do not inherit
# this shell's environment, and a rank whose OpenBLAS picks other kernels rounds differently (the
# start-up numerics check would refuse the sweep).
for name in $(compgen -e | grep '^OPENBLAS_' || true); do flags+=(-x "$name"); done
# shellcheck disable=SC2086  # MPIRUN_OPTIONS is a list of flags
# On SIGTERM or Ctrl-C, mpirun waits odls_base_sigkill_timeout seconds, forwards SIGTERM to every
# rank, and SIGKILLs them as long again later. Its default, 1 s, is too short for a large run to
# send its checkpoint; 5 s (10 s in all, under SLURM's 30 s KillWait) is enough for the study's.
export OMPI_MCA_odls_base_sigkill_timeout="${OMPI_MCA_odls_base_sigkill_timeout:-5}"
exec mpirun -np "$ranks" "${flags[@]}" ${MPIRUN_OPTIONS:-} .build/release/lmsweep run "$@"
