#!/usr/bin/env bash
# Wall time and peak memory of every adoption command (release build) on the generated
# snapshot of bench/snapshot.sh (NAMESPACES, default 50: 10,000 pods, 2,000 workloads):
# read as a `---` stream, as one YAML `List` (what `kubectl get -o yaml` writes), as a JSON
# `List` (`-o json`, needs python3 with PyYAML to convert), and live, page by page, from the
# stand-in API server (`fake_apiserver` example). Median of RUNS (default 5) per command.
#
#   bench/adopt.sh [NAMESPACES] [RUNS]
#
# Needs GNU time (/usr/bin/time). Not part of CI. The goal: every command under 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
namespaces=${1:-50}
runs=${2:-5}

echo "== building (release)"
cargo build --release -q -p podsec
cargo build --release -q -p podsec-kube --features testing --example fake_apiserver
podsec=$PWD/target/release/podsec

work=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
FORMAT=stream bench/snapshot.sh "$work/stream.yaml" "$namespaces"
bench/snapshot.sh "$work/list.yaml" "$namespaces"
stream=$work/stream.yaml
echo "snapshot: $(grep -c '^kind: Pod$' "$stream") pods, $(grep -cE '^kind: (Deployment|ReplicaSet|StatefulSet|DaemonSet|Job|CronJob)$' "$stream") workloads, $namespaces namespaces, $(du -h "$stream" | cut -f1)"
echo "nproc: $(nproc)"

# Median wall time and peak RSS of RUNS runs of the command (exit status 0 or 1: findings).
measure() {
  local label=$1
  shift
  local times=() rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || [[ $? == 1 ]] || {
      echo "$label: failed" >&2
      cat "$work/stderr" >&2
      exit 1
    }
    read -r t m < <(tail -n 1 "$work/time")
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  printf '%-58s %6s s  %7d KB\n' "$label" "$median" "$rss"
}

echo "== on the --- stream"
for format in text json policyreport; do
  measure "audit --format $format" "$podsec" audit --format "$format" "$stream"
done
for format in text json; do
  measure "recommend --format $format" "$podsec" recommend --format "$format" "$stream"
done
measure "diff --from v1.21 --to latest --level restricted" \
  "$podsec" diff --from v1.21 --to latest --level restricted "$stream"
measure "whatif -n team-03 --enforce restricted" "$podsec" whatif -n team-03 --enforce restricted "$stream"
measure "whatif --all-namespaces --enforce baseline" "$podsec" whatif --all-namespaces --enforce baseline "$stream"
for format in text html; do
  measure "plan --format $format" "$podsec" plan --format "$format" "$stream"
done
measure "fix --level restricted (a diff)" "$podsec" fix --level restricted "$stream"
measure "fix --level restricted --format patch" "$podsec" fix --level restricted --format patch "$stream"
measure "psp (test policies, namespaces covered)" \
  "$podsec" psp crates/podsec-cli/tests/data/psp/policies.yaml "$stream"
measure "check (for comparison)" "$podsec" check "$stream"

echo "== other inputs"
measure "audit, one YAML List" "$podsec" audit "$work/list.yaml"
measure "recommend, one YAML List" "$podsec" recommend "$work/list.yaml"
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$stream" "$work/list.json" <<'PY'
import json, sys, yaml
items = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
PY
  measure "audit, one JSON List" "$podsec" audit "$work/list.json"
  target/release/examples/fake_apiserver "$work/list.json" >"$work/url" &
  server=$!
  for _ in $(seq 100); do [[ -s $work/url ]] && break; sleep 0.1; done
  url=$(cat "$work/url")
  printf 'apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n  cluster: {server: "%s"}\ncontexts:\n- name: bench\n  context: {cluster: bench, user: anonymous}\nusers:\n- name: anonymous\n  user: {}\n' "$url" >"$work/kubeconfig"
  measure "audit, live from the stand-in (pages of 500)" "$podsec" audit --kubeconfig "$work/kubeconfig"
  measure "recommend, live from the stand-in" "$podsec" recommend --kubeconfig "$work/kubeconfig"
  measure "plan, live from the stand-in" "$podsec" plan --kubeconfig "$work/kubeconfig"
else
  echo "(python3 with PyYAML not found: JSON List and live runs skipped)"
fi
