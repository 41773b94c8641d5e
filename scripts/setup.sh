#!/usr/bin/env bash
# Installs the system libraries LMSweep links against (Debian/Ubuntu), when missing:
# Open MPI (mpirun, mpi.h) and OpenBLAS (cblas.h). Safe to run again.
set -euo pipefail
need=()
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
pkg-config --exists ompi-c 2>/dev/null || need+=(libopenmpi-dev)
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" libopenmpi-dev openmpi-bin libopenblas-dev
fi
command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (Swift 6 toolchain needed: https://www.swift.org/install/linux/)" >&2; exit 1; }
