#!/usr/bin/env bash
# Test hosts for cluster mode on one machine: each host is a Linux network namespace with its
# own network stack and address, wired to a bridge in the root namespace, so that `mpirun`
# launches daemons on them through an rsh agent (scripts/netns-rsh, in place of ssh) and MPI
# traffic really crosses TCP between hosts.
#
#   scripts/netns-cluster.sh [--net K] [--state DIR] up N    # N hosts, prints the mpirun flags
#   scripts/netns-cluster.sh [--net K] [--state DIR] down    # removes everything `up` made
#   scripts/netns-cluster.sh [--net K] [--state DIR] cut I    # host I dies: link silent, processes frozen
#   scripts/netns-cluster.sh [--net K] [--state DIR] crash I  # host I's processes are all killed
#   scripts/netns-cluster.sh [--net K] [--state DIR] hide I DIR  # host I no longer sees DIR
#
# Everything lives on the private test subnet 10.213.K.0/24 (K = 7 by default): the bridge is
# .1, host I is .(10+I). Names carry K so two clusters with different K can coexist:
# namespace and host name `lmsweepK-nodeI`, bridge `lmswK-br`, veth `lmswK-vI` (root side).
# No route, NAT or forwarding is added: traffic only flows between these namespaces, the
# bridge address and loopback. Requires root (or CAP_NET_ADMIN + CAP_SYS_ADMIN).
#
# `up` writes into the state directory (default /tmp/lmsweep-netns-K):
#   hostfile    one `lmsweepK-nodeI slots=1` line per host (Open MPI hostfile syntax)
#   rsh-agent   the agent for `--mca plm_rsh_agent` (calls scripts/netns-rsh)
#   mpirun-flags   the flags besides --hostfile that mpirun needs for these hosts, one per
#               line: `mpirun --hostfile STATE/hostfile $(cat STATE/mpirun-flags) ...`, or
#               `scripts/run-cluster.sh STATE/hostfile SPEC $(cat STATE/mpirun-flags)`
#   hosts       `NAME ADDRESS` per host, for tools and tests
# If `up` fails half-way, a trap runs `down` so nothing is left behind.
set -Eeuo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
net=7
state=""

usage() {
  echo "usage: $0 [--net K] [--state DIR] up N | down | cut I | crash I | hide I DIR" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --net) net="${2:?--net needs a value}"; shift 2 ;;
    --state) state="${2:?--state needs a value}"; shift 2 ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
case "$net" in
  ''|*[!0-9]*) echo "netns-cluster: --net must be a number 1-254, got '$net'" >&2; exit 2 ;;
esac
[ "$net" -ge 1 ] && [ "$net" -le 254 ] || { echo "netns-cluster: --net must be 1-254, got '$net'" >&2; exit 2; }
state="${state:-/tmp/lmsweep-netns-$net}"

subnet="10.213.$net.0/24"
bridge="lmsw$net-br"
bridge_addr="10.213.$net.1"
ns_name() { echo "lmsweep$net-node$1"; }
veth_name() { echo "lmsw$net-v$1"; }
host_addr() { echo "10.213.$net.$((10 + $1))"; }
max_hosts=200

# Every namespace and link this script could have made for this K, found by name, so `down`
# also cleans up after an `up` that died before writing its state.
our_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^lmsweep$net-node[0-9]+\$" || true; }
our_veths() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^lmsw$net-v[0-9]+\$" || true; }

signal_namespace_processes() {
  local ns="$1" signal="$2" pids
  pids="$(ip netns pids "$ns" 2>/dev/null || true)"
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill "-$signal" $pids 2>/dev/null || true
}

kill_namespace_processes() {
  local ns="$1"
  signal_namespace_processes "$ns" KILL
  # A killed process leaves the namespace only once reaped; wait briefly so `ip netns del`
  # does not race with processes still exiting.
  for _ in $(seq 50); do
    [ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ] && break
    sleep 0.1
  done
}

# IPv4 only: no link-local IPv6 addresses, so MPI and the daemons have exactly one address
# per host to use, and no router solicitations or multicast reports chatter on the bridge.
no_ipv6() {
  local flag="/proc/sys/net/ipv6/conf/$1/disable_ipv6"
  [ ! -e "$flag" ] || echo 1 > "$flag"
}

down() {
  local ns link
  for ns in $(our_namespaces); do
    kill_namespace_processes "$ns"
    ip netns del "$ns" 2>/dev/null || true
    # Open MPI daemons on the host made per-host session directories named after it.
    rm -rf "/tmp/ompi.$ns."* 2>/dev/null || true
  done
  for link in $(our_veths); do ip link del "$link" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
  # Only a folder `up` made (it holds the marker) is removed: --state never deletes anything else.
  if [ -f "$state/.lmsweep-netns" ]; then rm -rf "$state"; fi
}

up() {
  local count="$1" i ns veth
  case "$count" in ''|*[!0-9]*) echo "netns-cluster: up needs a host count, got '$count'" >&2; exit 2 ;; esac
  [ "$count" -ge 1 ] && [ "$count" -le "$max_hosts" ] || { echo "netns-cluster: host count must be 1-$max_hosts, got $count" >&2; exit 2; }
  ip netns del "lmsweep$net-probe" 2>/dev/null || true
  if ! ip netns add "lmsweep$net-probe" 2>/dev/null; then
    echo "netns-cluster: cannot create network namespaces here (needs root / CAP_SYS_ADMIN + CAP_NET_ADMIN)" >&2
    exit 3
  fi
  ip netns del "lmsweep$net-probe"
  if ip link show "$bridge" >/dev/null 2>&1 || [ -n "$(our_namespaces)" ]; then
    echo "netns-cluster: a cluster on $subnet is already up (state $state); run '$0 --net $net down' first" >&2
    exit 4
  fi
  if ip -o addr show | grep -q " 10\.213\.$net\."; then
    echo "netns-cluster: $subnet is already in use on this machine; pick another --net" >&2
    exit 4
  fi

  if [ -e "$state" ] && [ ! -f "$state/.lmsweep-netns" ]; then
    echo "netns-cluster: state folder $state exists and was not made by this script; pick another --state" >&2
    exit 4
  fi

  trap 'echo "netns-cluster: up failed; removing what was made" >&2; down' ERR
  mkdir -p "$state"
  touch "$state/.lmsweep-netns"
  ip link add "$bridge" type bridge
  no_ipv6 "$bridge"
  ip addr add "$bridge_addr/24" dev "$bridge"
  ip link set "$bridge" up
  : > "$state/hostfile.tmp"
  : > "$state/hosts.tmp"
  for i in $(seq 1 "$count"); do
    ns="$(ns_name "$i")"
    veth="$(veth_name "$i")"
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    no_ipv6 "$veth"
    ip netns exec "$ns" sh -c 'f=/proc/sys/net/ipv6/conf/eth0/disable_ipv6; [ ! -e $f ] || echo 1 > $f'
    ip link set "$veth" master "$bridge"
    ip link set "$veth" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$(host_addr "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
    echo "$ns slots=1" >> "$state/hostfile.tmp"
    echo "$ns $(host_addr "$i")" >> "$state/hosts.tmp"
  done
  mkdir -p "$state/empty" "$state/hidden"
  mv "$state/hostfile.tmp" "$state/hostfile"
  mv "$state/hosts.tmp" "$state/hosts"
  cat > "$state/rsh-agent" <<EOF
#!/bin/sh
exec "$here/netns-rsh" --net $net --state "$state" "\$@"
EOF
  chmod +x "$state/rsh-agent"
  write_mpirun_flags > "$state/mpirun-flags"
  trap - ERR

  # Each host reaches the bridge before anyone launches onto it: a TCP connect to a closed
  # port of the bridge address is refused at once when the path works, and times out when not.
  for i in $(seq 1 "$count"); do
    reply="$(ip netns exec "$(ns_name "$i")" timeout 3 bash -c "exec 3<>/dev/tcp/$bridge_addr/9" 2>&1 || true)"
    case "$reply" in
      *"Connection refused"*) ;;
      *) echo "netns-cluster: host $(ns_name "$i") cannot reach $bridge_addr: ${reply:-no answer}" >&2; down; exit 5 ;;
    esac
  done
  echo "netns-cluster: $count hosts up on $subnet (state $state)" >&2
  cat "$state/mpirun-flags"
}

# The flags that, with --hostfile, turn a one-node mpirun into a run on these hosts; the
# README's "Running on a cluster" says why each one is there.
write_mpirun_flags() {
  cat <<EOF
--mca
plm_rsh_agent
$state/rsh-agent
--mca
btl
tcp,self
--mca
btl_tcp_if_include
$subnet
--mca
oob_tcp_if_include
$subnet
--mca
orte_leave_session_attached
1
--mca
oob_tcp_keepalive_time
2
--mca
oob_tcp_keepalive_intvl
1
--mca
oob_tcp_keepalive_probes
3
EOF
}

# A host dies the way a machine does: its link goes silent (no FIN, no RST reaches anyone)
# and its processes freeze. Peers can only find out by timeouts; this is the case that hangs
# mpirun without keepalive settings. `down` later kills the frozen processes.
#
# The processes freeze first, and the link goes down half a second later. Freezing the host
# makes mpirun send that host's daemon a message at once (seen in `ss`: 144 bytes sent at the
# moment of the cut; likely mpirun waking on SIGCHLD, since the rsh agent's chain it started
# is among the frozen processes). Sent after the link is down, it stays unacknowledged, and a
# connection with unacknowledged data waits for TCP's retransmission timeout (~15 min) instead
# of keepalive: mpirun still waited after 45 s in 3 of 22 trials without the pause, and in
# none of 16 with it. A real dead node stops no process of the launching node's.
cut_host() {
  local ns
  ns="$(existing_host "$1")"
  signal_namespace_processes "$ns" STOP
  sleep 0.5
  ip -n "$ns" link set eth0 down
}

# A host's daemons crash: every process in it is killed while the link stays up, so the
# kernel closes their connections and peers see it at once.
crash_host() {
  local ns
  ns="$(existing_host "$1")"
  kill_namespace_processes "$ns"
}

# Host I stops seeing PATH (a node without the shared filesystem): commands launched on it
# from now on find an empty directory there.
hide_path() {
  local ns path="$2"
  ns="$(existing_host "$1")"
  [ -d "$path" ] || { echo "netns-cluster: hide needs an existing directory, got '$path'" >&2; exit 2; }
  (cd "$path" && pwd -P) >> "$state/hidden/$ns"
}

existing_host() {
  local ns
  ns="$(ns_name "$1")"
  ip netns list | awk '{print $1}' | grep -qx "$ns" || { echo "netns-cluster: no host $ns" >&2; exit 2; }
  echo "$ns"
}

case "$1" in
  up) [ $# -eq 2 ] || usage; up "$2" ;;
  down) [ $# -eq 1 ] || usage; down ;;
  cut) [ $# -eq 2 ] || usage; cut_host "$2" ;;
  crash) [ $# -eq 2 ] || usage; crash_host "$2" ;;
  hide) [ $# -eq 3 ] || usage; hide_path "$2" "$3" ;;
  *) usage ;;
esac
