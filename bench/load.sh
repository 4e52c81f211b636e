#!/usr/bin/env bash
# Load benchmark of `podsec serve`: starts the stand-in Kubernetes API and the webhook (release
# builds, HTTPS with certificates from `podsec certs`), then drives it with wrk at a fixed
# concurrency with alternating allowed and denied pod reviews. Prints requests/second,
# p50/p99/p99.9 latency, errors and the server's peak RSS.
#
#   bench/load.sh [CONNECTIONS] [DURATION]      defaults: 32 connections, 20s
#   POLICY=bench/load-policy.yaml bench/load.sh  the same with podsec's opt-in policy loaded
#
# Needs wrk (installed from Debian's packages when missing). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-32}
duration=${2:-20s}
port=${PODSEC_BENCH_PORT:-18443}

if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  apt-get install -y --no-install-recommends wrk >/dev/null || sudo apt-get install -y --no-install-recommends wrk >/dev/null
fi

echo "== building (release)"
cargo build --release -q -p podsec
cargo build --release -q -p podsec-kube --example fake_apiserver --features testing

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting the stand-in API and podsec serve"
target/release/examples/fake_apiserver team=restricted > "$work/api.url" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/api.url" ] && break; sleep 0.05; done
api=$(head -1 "$work/api.url")
cat > "$work/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: stand-in, cluster: {server: "$api"}}]
users: [{name: bench, user: {}}]
contexts: [{name: bench, context: {cluster: stand-in, user: bench}}]
current-context: bench
KUBECONFIG
target/release/podsec certs --service podsec-webhook --namespace podsec --out-dir "$work/pki" >/dev/null 2>&1
target/release/podsec serve --kubeconfig "$work/kubeconfig" \
  --tls-cert-file "$work/pki/tls.crt" --tls-private-key-file "$work/pki/tls.key" \
  --bind-address 127.0.0.1 --secure-port "$port" --log-format json \
  ${POLICY:+--policy "$POLICY"} 2> "$work/serve.log" &
server=$!
pids+=($server)
for _ in $(seq 200); do
  curl -ksf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.05
done
curl -ksf "https://127.0.0.1:$port/readyz" >/dev/null || { echo "podsec serve did not become ready"; cat "$work/serve.log"; exit 1; }

review() { # name, spec
  printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"%s","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"},"name":"%s","namespace":"team","operation":"CREATE","userInfo":{"username":"bench"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"team","labels":{"app":"web"}},"spec":%s},"oldObject":null,"dryRun":false}}' "$1" "$1" "$1" "$2"
}
allowed=$(review ok '{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"web:1","ports":[{"containerPort":8080}],"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}},{"name":"proxy","image":"proxy:1","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}')
denied=$(review bad '{"hostNetwork":true,"containers":[{"name":"app","image":"web:1","securityContext":{"privileged":true}}]}')

# Sanity: one of each, with the expected decisions.
curl -ks -H 'Content-Type: application/json' -d "$allowed" "https://127.0.0.1:$port/" | grep -q '"allowed":true' || { echo "allowed review not allowed"; exit 1; }
curl -ks -H 'Content-Type: application/json' -d "$denied" "https://127.0.0.1:$port/" | grep -q '"allowed":false' || { echo "denied review not denied"; exit 1; }

lua_quote() { python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }
cat > "$work/reviews.lua" <<LUA
local bodies = { $(printf '%s' "$allowed" | lua_quote), $(printf '%s' "$denied" | lua_quote) }
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/", { ["Content-Type"] = "application/json" }, bodies[(n % 2) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.3f ms, p99: %.3f ms, p99.9: %.3f ms, max: %.3f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
  io.write(string.format("requests: %d, errors: %d (non-2xx: %d)\n", summary.requests, errors, summary.errors.status))
end
LUA

echo "== wrk: $connections connections, $duration, 2 threads, alternating allowed and denied pods"
wrk -t2 -c"$connections" -d"$duration" -s "$work/reviews.lua" "https://127.0.0.1:$port/" | sed -n '/^requests\/s/,$p'
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$server/status")"
