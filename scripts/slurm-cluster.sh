#!/usr/bin/env bash
# A one-node SLURM on this machine, for trying the SLURM recipes and for Tests/SlurmTests:
# munged, slurmctld and slurmd from the Debian packages (slurmctld slurmd slurm-client munge),
# started by hand (no systemd needed), everything under one state folder, stopped by PID.
#
#   scripts/slurm-cluster.sh [--state DIR] [--cpus N] [--port P] up   # start, wait until the node is idle
#   scripts/slurm-cluster.sh [--state DIR] down              # cancel every job, stop the daemons
#   . DIR/env                                                # then sbatch, srun, squeue, sinfo ...
#
# `up` writes into the state folder (default /tmp/lmsweep-slurm, mode 0700):
#   slurm.conf   this host as the only node (N CPUs, default 2), one partition `test`, own ports
#                (slurmctld P and slurmd P+1, default 16817: apart from a real SLURM's 6817/6818),
#                own munge socket
#   env          `export SLURM_CONF=DIR/slurm.conf`: what the client commands need
#   *.pid        the PID of munged, slurmctld and slurmd;  *.log  their logs
# and `down` removes it, but only a folder `up` made (it refuses any other).
# Daemons run as root (SlurmUser=root): jobs run as the submitting user, so only root can run
# this. Process tracking is by parent PID (proctrack/linuxproc) and no task plugin: no cgroups,
# so it works in containers. If `up` fails half-way, a trap runs `down`.
# Exit status: 0 up / down, 2 usage, 3 cannot run here (not root, packages missing), 4 the
# daemons did not come up (their logs are printed).
set -Eeuo pipefail

state=/tmp/lmsweep-slurm
cpus=2
port=16817

usage() {
  echo "usage: $0 [--state DIR] [--cpus N] [--port P] up | down" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --state) state="${2:?--state needs a folder}"; shift 2 ;;
    --cpus) cpus="${2:?--cpus needs a number}"; shift 2 ;;
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
case "$cpus" in ''|*[!0-9]*|0) echo "slurm-cluster: --cpus must be a positive number, got '$cpus'" >&2; exit 2 ;; esac
case "$port" in ''|*[!0-9]*) echo "slurm-cluster: --port must be a number, got '$port'" >&2; exit 2 ;; esac
[ "$port" -ge 1024 ] && [ "$port" -le 65534 ] || { echo "slurm-cluster: --port must be 1024-65534, got '$port'" >&2; exit 2; }
case "$state" in /*) ;; *) state="$PWD/$state" ;; esac

node="$(hostname -s)"
export SLURM_CONF="$state/slurm.conf"

# The PID in FILE if that process is alive.
live_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# SIGTERM to every daemon named by a pidfile, at once (each takes up to 2 s to shut down), then
# SIGKILL to any still alive after 10 s.
stop_pid_files() {
  local file pid pids=()
  for file in "$@"; do
    pid="$(live_pid "$file" || true)"
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$@"
}

# `up` makes this file first in the state folder: `down` removes only a folder that has it.
marker=.made-by-slurm-cluster

down() {
  trap - ERR
  [ -d "$state" ] || return 0
  if [ -n "$(ls -A "$state")" ] && [ ! -f "$state/$marker" ]; then
    echo "slurm-cluster: $state is not a folder this script made (no $state/$marker): leaving it alone" >&2
    exit 2
  fi
  # Jobs first, while slurmctld and slurmd can still end them (their job steps are not ours to
  # hunt down by name), then the daemons.
  if [ -n "$(live_pid "$state/slurmctld.pid" || true)" ] && [ -n "$(live_pid "$state/slurmd.pid" || true)" ]; then
    scancel --full --signal=KILL --quiet --user="$(id -un)" 2>/dev/null || true
    scancel --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 100); do
      [ -z "$(squeue -h -t pending,running,suspended,completing -o %i 2>/dev/null | head -1)" ] && break
      sleep 0.1
    done
  fi
  stop_pid_files "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munged.pid"
  rm -rf "$state"
}

# Runs a command with no file descriptor open beyond 0-2. A daemon must not hold what the
# caller of `up` gave this script: a program that waits for `up` to end by end-of-file on a
# pipe or socket (Foundation's Process does) would otherwise wait for the daemons' end.
without_inherited_fds() {
  # In the daemon's own subshell: a descriptor that is already gone (the one that listed the
  # folder) is no failure of `up`.
  trap - ERR
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec "$@"
}

# Prints a daemon's log and fails `up`.
failed() {
  echo "slurm-cluster: $1" >&2
  for log in "$state"/*.log; do
    [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 20 "$log" >&2; }
  done
  down
  exit 4
}

up() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-cluster: needs root (SlurmUser=root runs every job, and munged wants its key owned by its user)" >&2
    exit 3
  fi
  local tool missing=()
  for tool in munged slurmctld slurmd sinfo sbatch srun scontrol; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm-cluster: ${missing[*]} not installed (apt-get install slurmctld slurmd slurm-client munge, or scripts/setup.sh --for-tests)" >&2
    exit 3
  fi
  PATH="$PATH:/usr/sbin:/sbin"
  # A previous `up` whose owner died: `down` is idempotent.
  down
  mkdir -p "$state"
  chmod 0700 "$state"
  : >"$state/$marker"
  mkdir -p "$state/ctld" "$state/spool" "$state/tmp"
  trap 'down' ERR

  # munge: a fresh key of 1024 random bytes, readable by root only (munged refuses anything else).
  head -c 1024 /dev/urandom >"$state/munge.key"
  chmod 0400 "$state/munge.key"
  (without_inherited_fds munged --force --socket="$state/munge.socket" --key-file="$state/munge.key" --pid-file="$state/munged.pid" \
    --log-file="$state/munged.log" --seed-file="$state/munged.seed" </dev/null) ||
    failed "munged did not start"
  for _ in $(seq 50); do [ -S "$state/munge.socket" ] && break; sleep 0.1; done
  [ -S "$state/munge.socket" ] || failed "munged made no socket at $state/munge.socket"

  local memory
  memory="$(awk '/^MemTotal:/ { print int($2 / 1024 / 2) }' /proc/meminfo)"
  cat >"$SLURM_CONF" <<EOF
# Written by scripts/slurm-cluster.sh: a one-node test cluster on $node.
ClusterName=lmsweep-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a job step's credential lifetime, which is also how long a requeued job waits
# before it may start again (default 120 s); a local node needs far less.
AuthInfo=socket=$state/munge.socket,cred_expire=6
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
TmpFS=$state/tmp
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
# No cgroups (containers): track job processes by parent PID, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Tasks are placed per core; --mpi=pmix on srun's command line wires MPI for srun launches.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
# Look at pending jobs every second (defaults: 60 s and 30 s), so that a requeued job starts
# as soon as it may instead of at the next pass.
SchedulerParameters=sched_interval=1,bf_interval=1
# Requeue as the recipes use it (sbatch --requeue, scontrol requeue).
JobRequeue=1
ReturnToService=2
MailProg=/bin/true
# The node is what this file says, even on a machine with more or fewer cores.
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
# Preemption as sites run it: a job of partition urgent requeues the jobs of partition test
# whose CPUs it needs; they get their --signal (sbatch --signal=B:TERM@60) at once, and
# GraceTime seconds before they are killed.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
SlurmctldParameters=preempt_send_user_signal
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE GraceTime=30
PartitionName=urgent Nodes=$node MaxTime=INFINITE State=UP PriorityTier=2 PreemptMode=OFF
EOF

  # -D: in the foreground of a background job, so $! is the daemon's PID; the pidfile says the same.
  without_inherited_fds slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$state/slurmctld.log" 2>&1 &
  echo $! >"$state/slurmctld.pid"
  without_inherited_fds slurmd -D -N "$node" -f "$SLURM_CONF" </dev/null >>"$state/slurmd.log" 2>&1 &
  echo $! >"$state/slurmd.pid"
  echo "export SLURM_CONF=$SLURM_CONF" >"$state/env"

  local node_state=""
  for _ in $(seq 300); do
    [ -n "$(live_pid "$state/slurmctld.pid" || true)" ] || failed "slurmctld exited"
    [ -n "$(live_pid "$state/slurmd.pid" || true)" ] || failed "slurmd exited"
    # One line per partition the node is in.
    node_state="$(sinfo -h -N -n "$node" -o %T 2>/dev/null | sort -u | paste -sd, || true)"
    [ "$node_state" = idle ] && break
    sleep 0.1
  done
  [ "$node_state" = idle ] || failed "node $node is '${node_state:-unknown}', not idle, after 30 s"
  trap - ERR
  echo "slurm-cluster: node $node idle with $cpus CPUs (partition test); . $state/env to use it" >&2
}

case "$1" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
