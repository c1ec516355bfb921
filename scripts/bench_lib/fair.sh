# Fair measurement for scripts/bench and scripts/bench_pair (sourced, not run):
# - every server process is pinned to the server CPUs (default CPU 0) and perfdhcp to the client
#   CPUs (default CPU 1) with taskset; --no-pin turns it off;
# - every server gets the same UDP receive buffer: net.core.rmem_default and rmem_max are set to
#   --rcvbuf BYTES for the run (restored at exit; Kea takes rmem_default), and Tandem asks for
#   half of it (TANDEM_UDP_RCVBUF: the kernel doubles what a socket asks for).
server_cpus=0
client_cpus=1
pin=1
rcvbuf=4194304
cpu_rates="1000 2000"

# fair_flag "$@": takes one fairness flag; sets fair_n to how many arguments it used (0 = not
# ours). No command substitution: the assignments must happen in this shell.
fair_n=0
fair_flag() {
  fair_n=0
  case "$1" in
    --server-cpus) server_cpus="$2"; fair_n=2 ;;
    --client-cpus) client_cpus="$2"; fair_n=2 ;;
    --no-pin) pin=0; fair_n=1 ;;
    --rcvbuf) rcvbuf="$2"; fair_n=2 ;;
    --cpu-rates) cpu_rates="$2"; fair_n=2 ;;
  esac
}

# Command prefixes (after `ip netns exec NS`) for a server and for perfdhcp; set by fair_setup.
server_pin=()
client_pin=()

saved_rmem=""
fair_setup() {
  saved_rmem="$(sysctl -n net.core.rmem_default) $(sysctl -n net.core.rmem_max)"
  sysctl -q -w net.core.rmem_default="$rcvbuf" net.core.rmem_max="$rcvbuf"
  export TANDEM_UDP_RCVBUF=$((rcvbuf / 2))
  if [ "$pin" = 1 ]; then
    server_pin=(taskset -c "$server_cpus")
    client_pin=(taskset -c "$client_cpus")
    echo "fair: servers pinned to CPU $server_cpus, perfdhcp to CPU $client_cpus (taskset);" \
      "UDP receive buffer $rcvbuf bytes for every server (rmem_default/rmem_max)"
  else
    echo "fair: no pinning; UDP receive buffer $rcvbuf bytes for every server"
  fi
}
fair_restore() {
  [ -n "$saved_rmem" ] || return 0
  read -r d m <<<"$saved_rmem"
  sysctl -q -w net.core.rmem_default="$d" net.core.rmem_max="$m" || true
}

# The CPUs a process may run on, as taskset reports them.
affinity() { taskset -cp "$1" 2>/dev/null | sed 's/.*: //'; }

# utime + stime of processes (all threads), in clock ticks.
cpu_ticks() {
  local t=0 pid
  for pid in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}

# Per-thread utime+stime: "tid comm ticks" lines (TANDEM_BENCH_THREADS=1 makes scripts/bench
# print the difference per thread name after each fixed-rate step).
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    awk -v tid="${t##*/}" '{print tid, $2, $(NF-38) + $(NF-37), $(NF-38), $(NF-37)}' "$t/stat" 2>/dev/null
  done
}
