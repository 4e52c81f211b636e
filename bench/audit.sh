#!/usr/bin/env bash
# Wall time of `podsec audit` (release build) on the generated snapshot of bench/snapshot.sh
# (NAMESPACES, default 50: 10,000 pods and 2,000 workloads): as a YAML stream, as a JSON
# `List` (what `kubectl get -o json` writes; needs python3 with PyYAML to convert), and live,
# listed page by page from the stand-in API server (`fake_apiserver` example). Median of
# RUNS (default 5) per format, with the peak RSS.
#
#   bench/audit.sh [NAMESPACES] [RUNS]
#
# Needs GNU time (/usr/bin/time). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
namespaces=${1:-50}
runs=${2:-5}

echo "== building (release)"
cargo build --release -q -p podsec
cargo build --release -q -p podsec-kube --features testing --example fake_apiserver
podsec=target/release/podsec

work=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
FORMAT=stream bench/snapshot.sh "$work/snapshot.yaml" "$namespaces"
echo "snapshot: $(grep -c '^kind: Pod$' "$work/snapshot.yaml") pods, $(grep -cE '^kind: (Deployment|ReplicaSet|StatefulSet|DaemonSet|Job|CronJob)$' "$work/snapshot.yaml") workloads, $namespaces namespaces, $(du -h "$work/snapshot.yaml" | cut -f1)"

# Median wall time and peak RSS of RUNS runs of the command.
measure() {
  local label=$1
  shift
  local times=() rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || [[ $? == 1 ]]
    read -r t m < <(tail -n 1 "$work/time")
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  printf '%-34s %6s s  %6d KB\n' "$label" "$median" "$rss"
}

for format in text json policyreport; do
  measure "yaml stream, --format $format" "$podsec" audit --format "$format" "$work/snapshot.yaml"
done
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$work/snapshot.yaml" "$work/snapshot.json" <<'PY'
import json, sys, yaml
items = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
PY
  measure "json List, --format text" "$podsec" audit "$work/snapshot.json"
  target/release/examples/fake_apiserver "$work/snapshot.json" >"$work/url" &
  server=$!
  for _ in $(seq 100); do [[ -s $work/url ]] && break; sleep 0.1; done
  url=$(cat "$work/url")
  printf 'apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n  cluster: {server: "%s"}\ncontexts:\n- name: bench\n  context: {cluster: bench, user: anonymous}\nusers:\n- name: anonymous\n  user: {}\n' "$url" >"$work/kubeconfig"
  measure "live (page size 500), text" "$podsec" audit --kubeconfig "$work/kubeconfig"
else
  echo "(python3 with PyYAML not found: JSON and live runs skipped)"
fi
