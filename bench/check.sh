#!/usr/bin/env bash
# Throughput benchmark of `podsec check`: generates one YAML stream of N pods (default
# 100,000; about 1 KB each, every one denied at restricted because of a privileged sidecar),
# then times a release build on it in every format, in level mode and in namespace mode.
# Namespace mode also runs on a mixed stream: a labelled Namespace, then pods and
# Deployments. Prints wall time (median of RUNS, default 5), the report size and the peak RSS.
#
#   bench/check.sh [PODS] [RUNS]
#   PODSEC=path/to/podsec bench/check.sh   # time another build (skips building)
#   ONLY=namespace bench/check.sh           # namespace mode only
#
# Needs GNU time (/usr/bin/time). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
runs=${2:-5}

podsec=${PODSEC:-}
if [[ -z $podsec ]]; then
  echo "== building (release)"
  cargo build --release -q -p podsec
  podsec=target/release/podsec
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stream="$work/pods.yaml"
# One object: a pod (or, with deployment=1, a Deployment of it) whose sidecar is privileged
# (denied at baseline) or, with privileged=0, runs as root-capable (allowed at baseline,
# denied at restricted).
generate() {
  awk -v n="$1" -v mixed="$2" 'function object(i, deployment, privileged,   p) {
    print "---"
    if (deployment) {
      print "apiVersion: apps/v1"
      print "kind: Deployment"
    } else {
      print "apiVersion: v1"
      print "kind: Pod"
    }
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
    p = ""
    if (deployment) {
      print "  replicas: 3"
      print "  selector:"
      print "    matchLabels: {app: web}"
      print "  template:"
      print "    metadata:"
      print "      labels: {app: web}"
      print "    spec:"
      p = "    "
    }
    print p "  securityContext:"
    print p "    runAsNonRoot: true"
    print p "    runAsUser: 10001"
    print p "    seccompProfile:"
    print p "      type: RuntimeDefault"
    print p "  containers:"
    print p "  - name: app"
    print p "    image: registry.example.com/web/app:1.2.3"
    print p "    env:"
    print p "    - name: LOG_LEVEL"
    print p "      value: info"
    print p "    - name: CACHE_DIR"
    print p "      value: /cache"
    print p "    ports:"
    print p "    - containerPort: 8080"
    print p "      name: http"
    print p "    securityContext:"
    print p "      allowPrivilegeEscalation: false"
    print p "      capabilities:"
    print p "        drop: [\"ALL\"]"
    print p "      readOnlyRootFilesystem: true"
    print p "    resources:"
    print p "      limits: {cpu: 500m, memory: 256Mi}"
    print p "      requests: {cpu: 100m, memory: 128Mi}"
    print p "    readinessProbe:"
    print p "      httpGet: {path: /healthz, port: 8080}"
    print p "    volumeMounts:"
    print p "    - name: cache"
    print p "      mountPath: /cache"
    print p "  - name: sidecar"
    print p "    image: registry.example.com/proxy:2.0"
    print p "    securityContext:"
    if (privileged) {
      print p "      privileged: true"
    } else {
      print p "      runAsUser: 0"
    }
    print p "  volumes:"
    print p "  - name: cache"
    print p "    emptyDir: {}"
  }
  BEGIN {
    if (mixed) {
      print "apiVersion: v1"
      print "kind: Namespace"
      print "metadata:"
      print "  name: production"
      print "  labels:"
      print "    pod-security.kubernetes.io/enforce: baseline"
      print "    pod-security.kubernetes.io/warn: restricted"
      print "    pod-security.kubernetes.io/audit: restricted"
      n = n - 1
    }
    for (i = 0; i < n; i++) {
      if (mixed) object(i, i % 3 == 2, i % 2 == 0)
      else object(i, 0, 1)
    }
  }'
}
generate "$pods" 0 > "$stream"
echo "== $pods pods, $(($(stat -c %s "$stream") / 1000000)) MB"
# Namespace mode's stream: a labelled Namespace (enforce baseline, warn and audit
# restricted), then pods and, one object in three, Deployments.
mixed="$work/mixed.yaml"
generate "$pods" 1 > "$mixed"
echo "== mixed: a Namespace, $((pods - 1)) pods and Deployments, $(($(stat -c %s "$mixed") / 1000000)) MB"

measure() {
  local label=$1 input=$stream
  shift
  if [[ $1 == --input ]]; then
    input=$2
    shift 2
  fi
  local times=() rss=0 size=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$work/time" -f "%e %M" "$podsec" check "$@" "$input" >"$work/out" 2>/dev/null || true
    read -r t m < <(tail -n 1 "$work/time")
    times+=("$t")
    ((m > rss)) && rss=$m
    size=$(stat -c %s "$work/out")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  printf '%-44s %6s s   report %4s MB   peak RSS %4s MB\n' "$label" "$median" "$((size / 1000000))" "$((rss / 1024))"
}

if [[ ${ONLY:-} != namespace ]]; then
  for format in text json kubectl github junit sarif; do
    measure "--level restricted --format $format" --level restricted --format "$format"
  done
fi
measure "namespace mode, --format json" --namespace-labels enforce=restricted --format json
measure "namespace mode, --format text" --namespace-labels enforce=restricted --format text
measure "namespace mode, mixed stream, --format json" --input "$mixed" --format json
measure "namespace mode, mixed stream, --format text" --input "$mixed" --format text
