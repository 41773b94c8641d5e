#!/usr/bin/env bash
# Installs the system libraries LMSweep links against (Debian/Ubuntu), when missing:
# Open MPI (mpirun, mpi.h) and OpenBLAS (cblas.h). Safe to run again.
#
#   scripts/setup.sh               what building and running need
#   scripts/setup.sh --for-tests   also what the tests stand up: a one-node SLURM
#                                  (slurmctld slurmd slurm-client munge, for Tests/SlurmTests)
set -euo pipefail
for_tests=0
case "${1:-}" in
  "") ;;
  --for-tests) for_tests=1 ;;
  *) echo "usage: $0 [--for-tests]" >&2; exit 2 ;;
esac
need=()
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
pkg-config --exists ompi-c 2>/dev/null || need+=(libopenmpi-dev)
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
test_need=()
if [ "$for_tests" -eq 1 ]; then
  # The daemons are started by scripts/slurm-cluster.sh, never as services; the packages'
  # own plugins (slurm-wlm-basic-plugins: munge auth, pmix, linuxproc) are all it needs, so
  # none of the recommended extras (HDF5, InfluxDB, IPMI, ... plugins).
  for tool in slurmctld slurmd; do [ -x "/usr/sbin/$tool" ] || test_need+=("$tool"); done
  command -v sbatch >/dev/null 2>&1 || test_need+=(slurm-client)
  [ -x /usr/sbin/munged ] || test_need+=(munge)
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#need[@]} -gt 0 ] || [ ${#test_need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" libopenmpi-dev openmpi-bin libopenblas-dev
fi
if [ ${#test_need[@]} -gt 0 ]; then
  echo "setup: installing ${test_need[*]} (for the tests)" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${test_need[@]}"
fi
command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (Swift 6 toolchain needed: https://www.swift.org/install/linux/)" >&2; exit 1; }
