# Sourced by the benchmark scripts (bench, bench-web): the
# load generator, and release servers started on free loopback ports.

OHA_VERSION=1.16.0

# Installs oha, the load generator, at its pinned version when missing.
ensure_oha() {
  if ! oha --version 2>/dev/null | grep -q " ${OHA_VERSION}$"; then
    printf '\033[1m==> %s\033[0m\n' "installing oha ${OHA_VERSION} (the load generator; a few minutes, once)" >&2
    cargo install oha --version "${OHA_VERSION}" --locked >&2
  fi
}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# A scratch folder ($work) and the servers started from it ($pids, to which
# the caller adds): both gone when the script exits.
servers_begin() {
  work=$(mktemp -d)
  pids=()
  trap servers_end EXIT
}
servers_end() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

# Waits up to 30 s for $1 to answer 2xx.
wait_up() {
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 did not answer" >&2
  return 1
}
