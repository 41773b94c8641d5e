#!/usr/bin/env bash
# Runs a sweep across the nodes of an Open MPI hostfile: one rank per slot.
#
#   scripts/run-cluster.sh HOSTFILE SPEC [mpirun options] [-- lmsweep run options]
#   scripts/run-cluster.sh hostfiles/example-cluster sweeps/grid.yaml
#   scripts/run-cluster.sh hosts.txt sweeps/grid.yaml --mca btl tcp,self \
#       --mca btl_tcp_if_include 10.0.0.0/24 -- --out results/grid --data-dir /shared/data
#
# The binary (.build/release/lmsweep, built here first) and the datasets must be at the same
# paths on every node. LMSWEEP_DATA and every OPENBLAS_* variable are exported to every rank.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 HOSTFILE SPEC [mpirun options] [-- lmsweep run options]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
hostfile="$1"; spec="$2"; shift 2
[ -f "$hostfile" ] || { echo "$0: no hostfile at $hostfile" >&2; exit 2; }
[ -f "$spec" ] || { echo "$0: no sweep spec at $spec" >&2; exit 2; }
mpi_options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do mpi_options+=("$1"); shift; done
[ $# -gt 0 ] && shift   # the "--"
scripts/setup.sh
swift build -c release --product lmsweep >&2
grep -qv '^[[:space:]]*\(#\|$\)' "$hostfile" || { echo "$0: $hostfile lists no hosts" >&2; exit 2; }
flags=()
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
[ -n "${LMSWEEP_DATA:-}" ] && flags+=(-x LMSWEEP_DATA)
# Every OPENBLAS_* variable set here goes to every rank (-x): ranks on other nodes do not inherit
# this shell's environment, and a rank whose OpenBLAS picks other kernels rounds differently (the
# start-up numerics check would refuse the sweep).
for name in $(compgen -e | grep '^OPENBLAS_' || true); do flags+=(-x "$name"); done
# A node that dies silently (power, cable, panic) closes no connection: TCP keepalive on the
# daemons' connections (30 s idle + 3 probes 10 s apart) lets mpirun notice within about a
# minute and end the job, and an attached ssh session fails a node that cannot start its daemon
# at once. Open MPI refuses a parameter given twice: one given after the spec replaces ours.
for setting in orte_leave_session_attached=1 oob_tcp_keepalive_time=30 oob_tcp_keepalive_intvl=10 \
               oob_tcp_keepalive_probes=3; do
  name="${setting%%=*}"
  given=0
  for option in "${mpi_options[@]}"; do [ "$option" = "$name" ] && given=1; done
  [ "$given" -eq 1 ] || flags+=(--mca "$name" "${setting#*=}")
done
# No -np: Open MPI starts one rank per slot (a host without `slots=` gets one per core).
# On SIGTERM or Ctrl-C, mpirun waits odls_base_sigkill_timeout seconds, forwards SIGTERM to every
# rank, and SIGKILLs them as long again later. Its default, 1 s, is too short for a large run to
# send its checkpoint; 5 s (10 s in all, under SLURM's 30 s KillWait) is enough for the study's.
export OMPI_MCA_odls_base_sigkill_timeout="${OMPI_MCA_odls_base_sigkill_timeout:-5}"
exec mpirun --hostfile "$hostfile" "${flags[@]}" "${mpi_options[@]}" \
  "$(pwd)/.build/release/lmsweep" run "$spec" "$@"
