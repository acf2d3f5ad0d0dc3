#!/usr/bin/env bash
# Runs grawa-mpi-check across two "hosts" on one machine: two network namespaces joined by a
# veth pair (10.77.0.1 and 10.77.0.2), a hostfile naming both addresses, and Open MPI's
# TCP transport between them. Needs root (ip netns) and Open MPI (openmpi-bin, libopenmpi-dev).
#
#   Examples/scripts/mpi-two-hosts.sh [ranks per host, default 1] [extra program flags]
#   GRAWA_MPI_PROGRAM=grawa-mpi-bench Examples/scripts/mpi-two-hosts.sh 1 --sizes resnet20
#
# mpirun starts in the first namespace; the rank on the second host is started through
# plm_rsh_agent, a small script that runs Open MPI's daemon with `ip netns exec` instead of ssh.
# Each namespace also gets its own UTS namespace (hostname), so Open MPI sees two nodes and
# cannot fall back to shared memory between them. The namespaces are removed on exit.
# Ranks are not bound to cores (--bind-to none): both "hosts" share this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

per_host=${1:-1}
shift || true
if [ -d /opt/swift/usr/bin ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi

first=grawa-mpi-a
second=grawa-mpi-b
subnet=10.77.0.0/24
work=$(mktemp -d /tmp/grawa-mpi-two-hosts.XXXXXX)

cleanup() {
  ip netns del "$first" 2>/dev/null || true
  ip netns del "$second" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- the program (a debug build is enough: the work is in Open MPI) ---
program=${GRAWA_MPI_PROGRAM:-grawa-mpi-check}
swift build --traits MPI --scratch-path .build-mpi --product "$program" >/dev/null
executable="$(swift build --traits MPI --scratch-path .build-mpi --show-bin-path)/$program"

# --- two namespaces and a cable between them ---
ip netns del "$first" 2>/dev/null || true
ip netns del "$second" 2>/dev/null || true
ip netns add "$first"
ip netns add "$second"
ip link add veth-grawa-a type veth peer name veth-grawa-b
ip link set veth-grawa-a netns "$first"
ip link set veth-grawa-b netns "$second"
ip -n "$first" addr add 10.77.0.1/24 dev veth-grawa-a
ip -n "$second" addr add 10.77.0.2/24 dev veth-grawa-b
for ns in "$first" "$second"; do
  ip -n "$ns" link set lo up
done
ip -n "$first" link set veth-grawa-a up
ip -n "$second" link set veth-grawa-b up
echo "+ ip -n $first -brief addr; ip -n $second -brief addr"
ip -n "$first" -brief addr show veth-grawa-a
ip -n "$second" -brief addr show veth-grawa-b

# --- how mpirun reaches the second host: ip netns exec instead of ssh ---
# Open MPI calls the agent as ssh would be called: [options] HOST COMMAND...; the command is
# one shell string (it sets PATH and LD_LIBRARY_PATH, then starts orted).
cat >"$work/netns-agent" <<AGENT
#!/bin/sh
while [ \$# -gt 0 ]; do
  case "\$1" in
    -*) shift ;;
    *) break ;;
  esac
done
host=\$1
shift
case "\$host" in
  10.77.0.1) ns=$first; name=grawa-host-a ;;
  10.77.0.2) ns=$second; name=grawa-host-b ;;
  *) echo "netns-agent: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$name; \$*"
AGENT
chmod +x "$work/netns-agent"

printf '10.77.0.1 slots=%s\n10.77.0.2 slots=%s\n' "$per_host" "$per_host" >"$work/hostfile"
echo "+ cat hostfile"
cat "$work/hostfile"

bytes() {
  ip -n "$first" -s link show veth-grawa-a | awk '/RX:/{getline; rx=$1} /TX:/{getline; tx=$1} END{printf "%.0f\n", rx+tx}'
}
before=$(bytes)

command=(
  ip netns exec "$first" unshare --uts sh -c 'hostname grawa-host-a; exec "$@"' mpirun
  mpirun --allow-run-as-root
  --hostfile "$work/hostfile" -np $((2 * per_host)) --map-by node
  # Each "host" believes it has the machine's cores to itself and would bind its first rank to
  # core 0 on both: two busy-polling ranks on one core took 24 ms per 1 MB all-reduce, not 0.5.
  --bind-to none
  --mca plm_rsh_agent "$work/netns-agent"
  --mca pml ob1 --mca btl self,tcp
  --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet"
  "$executable" "$@"
)
echo "+ $(printf "%q " "${command[@]}")"
status=0
"${command[@]}" || status=$?
after=$(bytes)
echo "bytes through the veth pair during the run: $((after - before))"
echo "mpirun exit status: $status"
exit "$status"
