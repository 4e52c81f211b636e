#!/usr/bin/env bash
# Generates a cluster snapshot as `kubectl get ns,pods,deploy,rs,sts,ds,job,cronjob -A -o
# yaml` writes it (one `List`), for benchmarks of the adoption commands (bench/adopt.sh):
#
#   bench/snapshot.sh OUT.yaml [NAMESPACES]
#   FORMAT=stream bench/snapshot.sh OUT.yaml   # the same objects as a `---` stream
#
# Per namespace (NAMESPACES, default 50: 10,000 pods and 2,000 workloads):
#   16 Deployments, each with a ReplicaSet of 11 pods     (176 pods, 32 workloads)
#    4 StatefulSets of 3 pods                            ( 12 pods,  4 workloads)
#    2 DaemonSets of 3 pods                              (  6 pods,  2 workloads)
#    1 CronJob with its Job and 1 pod                    (  1 pod,   2 workloads)
#    5 pods of their own                                 (  5 pods)
# Every object has a uid, and pods and intermediate controllers an owner reference with
# `controller: true`, as a real cluster writes them. Namespaces are labelled in turn:
# enforce restricted, enforce baseline with warn/audit restricted, enforce privileged with
# warn baseline, and unlabelled. Pod templates are in turn restricted-compliant,
# baseline-compliant (root, no seccomp), privileged (hostNetwork, a hostPath volume, a
# privileged sidecar), and restricted only before v1.22 (no `drop: [ALL]`: what `podsec
# diff` finds); every workload runs its own image, so no two templates are alike, and pods
# carry a status with their addresses, as a live cluster's do.
set -euo pipefail
out=${1:?usage: bench/snapshot.sh OUT.yaml [NAMESPACES]}
namespaces=${2:-50}

awk -v namespaces="$namespaces" '
function uid(ns, n) { return sprintf("%08x-0000-4000-8000-%012x", ns + 1, n) }

function meta(indent, name, ns, id, owner_kind, owner_api, owner_name, owner_id) {
  print indent "metadata:"
  print indent "  name: " name
  if (ns != "") print indent "  namespace: " ns
  print indent "  uid: " id
  print indent "  resourceVersion: \"" (++rv) "\""
  print indent "  creationTimestamp: \"2026-11-01T08:00:00Z\""
  print indent "  labels:"
  print indent "    app.kubernetes.io/name: " name
  print indent "    app.kubernetes.io/part-of: bench"
  if (owner_kind != "") {
    print indent "  ownerReferences:"
    print indent "  - apiVersion: " owner_api
    print indent "    kind: " owner_kind
    print indent "    name: " owner_name
    print indent "    uid: " owner_id
    print indent "    controller: true"
    print indent "    blockOwnerDeletion: true"
  }
}

# A pod spec at `indent`, of flavour 0 (restricted), 1 (baseline), 2 (privileged) or 3
# (restricted before v1.22), running the image `image`.
function spec(indent, flavour, image) {
  if (flavour == 2) {
    print indent "hostNetwork: true"
    print indent "volumes:"
    print indent "- name: host"
    print indent "  hostPath: {path: /var/lib/bench, type: Directory}"
  }
  if (flavour == 0 || flavour == 3) {
    print indent "securityContext:"
    print indent "  runAsNonRoot: true"
    print indent "  runAsUser: 10001"
    print indent "  seccompProfile: {type: RuntimeDefault}"
  }
  print indent "serviceAccountName: bench"
  print indent "containers:"
  print indent "- name: app"
  print indent "  image: registry.example.com/bench/" image ":1.2.3"
  print indent "  ports:"
  print indent "  - {containerPort: 8080, protocol: TCP}"
  print indent "  resources:"
  print indent "    requests: {cpu: 100m, memory: 128Mi}"
  print indent "    limits: {memory: 256Mi}"
  if (flavour == 0) {
    print indent "  securityContext:"
    print indent "    allowPrivilegeEscalation: false"
    print indent "    readOnlyRootFilesystem: true"
    print indent "    capabilities: {drop: [ALL]}"
  } else if (flavour == 3) {
    print indent "  securityContext: {allowPrivilegeEscalation: false}"
  }
  print indent "- name: sidecar"
  print indent "  image: registry.example.com/bench/proxy:0.9"
  if (flavour == 0 || flavour == 3) {
    print indent "  securityContext:"
    print indent "    allowPrivilegeEscalation: false"
    print indent "    capabilities: {drop: [" (flavour == 0 ? "ALL" : "NET_RAW") "]}"
  } else if (flavour == 2) {
    print indent "  securityContext: {privileged: true}"
  }
}

function pod(name, ns, id, flavour, image, owner_kind, owner_api, owner_name, owner_id) {
  print "- apiVersion: v1"
  print "  kind: Pod"
  meta("  ", name, ns, id, owner_kind, owner_api, owner_name, owner_id)
  print "  spec:"
  spec("    ", flavour, image)
  node = id_counter++ % 7
  print "    nodeName: node-" node
  print "  status:"
  print "    phase: Running"
  print "    hostIP: 10.0.0." (node + 10)
  print "    podIP: 10.244." node "." (id_counter % 250 + 2)
  print "    startTime: \"2026-11-01T08:00:05Z\""
}

# A workload with a template; `extra` lines of its spec first.
function workload(api, kind, name, ns, id, flavour, image, replicas, owner_kind, owner_api, owner_name, owner_id) {
  print "- apiVersion: " api
  print "  kind: " kind
  meta("  ", name, ns, id, owner_kind, owner_api, owner_name, owner_id)
  print "  spec:"
  if (replicas != "") print "    replicas: " replicas
  print "    selector:"
  print "      matchLabels: {app.kubernetes.io/name: " name "}"
  print "    template:"
  print "      metadata:"
  print "        labels: {app.kubernetes.io/name: " name "}"
  print "      spec:"
  spec("        ", flavour, image)
}

BEGIN {
  print "apiVersion: v1"
  print "kind: List"
  print "metadata:"
  print "  resourceVersion: \"\""
  print "items:"
  for (n = 0; n < namespaces; n++) {
    ns = sprintf("team-%02d", n)
    print "- apiVersion: v1"
    print "  kind: Namespace"
    print "  metadata:"
    print "    name: " ns
    print "    uid: " uid(n, 0)
    print "    labels:"
    print "      kubernetes.io/metadata.name: " ns
    if (n % 4 == 0) {
      print "      pod-security.kubernetes.io/enforce: restricted"
    } else if (n % 4 == 1) {
      print "      pod-security.kubernetes.io/enforce: baseline"
      print "      pod-security.kubernetes.io/warn: restricted"
      print "      pod-security.kubernetes.io/audit: restricted"
    } else if (n % 4 == 2) {
      print "      pod-security.kubernetes.io/enforce: privileged"
      print "      pod-security.kubernetes.io/warn: baseline"
    }
    print "  spec: {finalizers: [kubernetes]}"
    print "  status: {phase: Active}"
    k = 1
    for (d = 0; d < 16; d++) {
      flavour = (n + d) % 4
      dep = "web-" d; depid = uid(n, k++)
      workload("apps/v1", "Deployment", dep, ns, depid, flavour, ns "/" dep, 11)
      rs = dep "-7b9c6d5f4" d; rsid = uid(n, k++)
      workload("apps/v1", "ReplicaSet", rs, ns, rsid, flavour, ns "/" dep, 11, "Deployment", "apps/v1", dep, depid)
      for (p = 0; p < 11; p++) pod(rs "-p" p, ns, uid(n, k++), flavour, ns "/" dep, "ReplicaSet", "apps/v1", rs, rsid)
    }
    for (s = 0; s < 4; s++) {
      flavour = (n + s + 1) % 4
      st = "db-" s; stid = uid(n, k++)
      workload("apps/v1", "StatefulSet", st, ns, stid, flavour, ns "/" st, 3)
      for (p = 0; p < 3; p++) pod(st "-" p, ns, uid(n, k++), flavour, ns "/" st, "StatefulSet", "apps/v1", st, stid)
    }
    for (s = 0; s < 2; s++) {
      flavour = (n + s + 2) % 4
      ds = "agent-" s; dsid = uid(n, k++)
      workload("apps/v1", "DaemonSet", ds, ns, dsid, flavour, ns "/" ds, "")
      for (p = 0; p < 3; p++) pod(ds "-n" p, ns, uid(n, k++), flavour, ns "/" ds, "DaemonSet", "apps/v1", ds, dsid)
    }
    flavour = n % 4
    cj = "report"; cjid = uid(n, k++)
    print "- apiVersion: batch/v1"
    print "  kind: CronJob"
    meta("  ", cj, ns, cjid)
    print "  spec:"
    print "    schedule: \"0 2 * * *\""
    print "    jobTemplate:"
    print "      spec:"
    print "        template:"
    print "          spec:"
    print "            restartPolicy: OnFailure"
    spec("            ", flavour, ns "/" cj)
    job = cj "-29001"; jobid = uid(n, k++)
    print "- apiVersion: batch/v1"
    print "  kind: Job"
    meta("  ", job, ns, jobid, "CronJob", "batch/v1", cj, cjid)
    print "  spec:"
    print "    template:"
    print "      spec:"
    print "        restartPolicy: OnFailure"
    spec("        ", flavour, ns "/" cj)
    pod(job "-x" n, ns, uid(n, k++), flavour, ns "/" cj, "Job", "batch/v1", job, jobid)
    for (p = 0; p < 5; p++) pod("debug-" p, ns, uid(n, k++), (n + p) % 4, ns "/debug-" p)
  }
}' | if [[ ${FORMAT:-list} == stream ]]; then
  # Every item its own document: `- ` opens one, the rest moves two columns left.
  sed -e '1,5d' -e 's/^- /---\n/' -e 's/^  //'
else
  cat
fi >"$out"
