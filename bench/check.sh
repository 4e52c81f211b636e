#!/usr/bin/env bash
# Throughput benchmark of `podsec check`: generates one YAML stream of N pods (default
# 100,000; about 1 KB each, every one denied at restricted because of a privileged sidecar),
# then times a release build on it in every format, in level mode and in namespace mode.
# Prints wall time (median of RUNS, default 5), the report size and the peak RSS.
#
#   bench/check.sh [PODS] [RUNS]
#
# Needs GNU time (/usr/bin/time). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
runs=${2:-5}

echo "== building (release)"
cargo build --release -q -p podsec
podsec=target/release/podsec

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stream="$work/pods.yaml"
awk -v n="$pods" 'BEGIN {
  for (i = 0; i < n; i++) {
    print "---"
    print "apiVersion: v1"
    print "kind: Pod"
    print "metadata:"
    print "  name: web-" i
    print "  namespace: production"
    print "  labels:"
    print "    app: web"
    print "    tier: frontend"
    print "    version: v1.2.3"
    print "  annotations:"
    print "    example.com/owner: team-web"
    print "spec:"
    print "  securityContext:"
    print "    runAsNonRoot: true"
    print "    runAsUser: 10001"
    print "    seccompProfile:"
    print "      type: RuntimeDefault"
    print "  containers:"
    print "  - name: app"
    print "    image: registry.example.com/web/app:1.2.3"
    print "    env:"
    print "    - name: LOG_LEVEL"
    print "      value: info"
    print "    - name: CACHE_DIR"
    print "      value: /cache"
    print "    ports:"
    print "    - containerPort: 8080"
    print "      name: http"
    print "    securityContext:"
    print "      allowPrivilegeEscalation: false"
    print "      capabilities:"
    print "        drop: [\"ALL\"]"
    print "      readOnlyRootFilesystem: true"
    print "    resources:"
    print "      limits: {cpu: 500m, memory: 256Mi}"
    print "      requests: {cpu: 100m, memory: 128Mi}"
    print "    readinessProbe:"
    print "      httpGet: {path: /healthz, port: 8080}"
    print "    volumeMounts:"
    print "    - name: cache"
    print "      mountPath: /cache"
    print "  - name: sidecar"
    print "    image: registry.example.com/proxy:2.0"
    print "    securityContext:"
    print "      privileged: true"
    print "  volumes:"
    print "  - name: cache"
    print "    emptyDir: {}"
  }
}' > "$stream"
echo "== $pods pods, $(($(stat -c %s "$stream") / 1000000)) MB"

measure() {
  local label=$1
  shift
  local times=() rss=0 size=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$work/time" -f "%e %M" "$podsec" check "$@" "$stream" >"$work/out" 2>/dev/null || true
    read -r t m < <(tail -n 1 "$work/time")
    times+=("$t")
    ((m > rss)) && rss=$m
    size=$(stat -c %s "$work/out")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  printf '%-44s %6s s   report %4s MB   peak RSS %4s MB\n' "$label" "$median" "$((size / 1000000))" "$((rss / 1024))"
}

for format in text json kubectl github junit sarif; do
  measure "--level restricted --format $format" --level restricted --format "$format"
done
measure "namespace mode, --format json" --namespace-labels enforce=restricted --format json
measure "namespace mode, --format text" --namespace-labels enforce=restricted --format text
