#!/usr/bin/env python3
"""Writes a cluster snapshot as `kubectl get ns,pods,deploy,rs,sts,cronjob -A -o yaml` would:
50 namespaces, 2,000 workloads (25 Deployments, 10 StatefulSets and 5 CronJobs each), their
ReplicaSets, and 10,000 pods (150 Deployment and 50 StatefulSet pods per namespace), with pod
specs from compliant with restricted to privileged. Usage: gen-snapshot-diff.py > snap.yaml
"""

import sys

SPECS = [
    # restricted
    """      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: registry.example/app:1.0
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}""",
    # baseline, not restricted
    """      containers:
      - name: app
        image: registry.example/app:1.0
        ports: [{containerPort: 8080}]""",
    # restricted before v1.22 only (no drop ALL)
    """      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: registry.example/app:1.0
        securityContext: {allowPrivilegeEscalation: false}""",
    # privileged
    """      hostNetwork: true
      containers:
      - name: agent
        image: registry.example/agent:1.0
        securityContext: {privileged: true}
      volumes:
      - name: root
        hostPath: {path: /}""",
]
LEVELS = [
    "enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.21",
    "enforce: baseline\n    pod-security.kubernetes.io/warn: restricted",
    "enforce: baseline\n    pod-security.kubernetes.io/enforce-version: v1.30",
    "audit: restricted",
]


def indent(text, by):
    return "\n".join((" " * by + line) if line else line for line in text.split("\n"))


def main():
    out = sys.stdout
    out.write("apiVersion: v1\nkind: List\nitems:\n")
    uid = 0
    for n in range(50):
        ns = f"team-{n:02d}"
        out.write(f"""- apiVersion: v1
  kind: Namespace
  metadata:
    name: {ns}
    labels:
      kubernetes.io/metadata.name: {ns}
      pod-security.kubernetes.io/{indent(LEVELS[n % 4], 2).strip()}
""")
        for w in range(40):
            spec = SPECS[(n + w) % 4]
            uid += 1
            if w < 25:
                kind, api, replicas, pods = "Deployment", "apps/v1", 6, 6
            elif w < 35:
                kind, api, replicas, pods = "StatefulSet", "apps/v1", 5, 5
            else:
                kind, api, replicas, pods = "CronJob", "batch/v1", None, 0
            name = f"{kind.lower()}-{w:02d}"
            wuid = f"w-{uid}"
            template = f"""    template:
      metadata:
        labels: {{app: {name}}}
      spec:
{indent(spec, 2)}"""
            if kind == "CronJob":
                body = f"""  spec:
    schedule: "0 * * * *"
    jobTemplate:
      spec:
        template:
          spec:
            restartPolicy: Never
{indent(spec, 6)}
"""
            else:
                body = f"""  spec:
    replicas: {replicas}
    selector: {{matchLabels: {{app: {name}}}}}
{template}
"""
            out.write(f"""- apiVersion: {api}
  kind: {kind}
  metadata:
    name: {name}
    namespace: {ns}
    uid: {wuid}
{body}""")
            owner_kind, owner_name, owner_uid = kind, name, wuid
            if kind == "Deployment":
                rs = f"{name}-7f9c"
                rsuid = f"rs-{uid}"
                out.write(f"""- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: {rs}
    namespace: {ns}
    uid: {rsuid}
    ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: {wuid}, controller: true}}]
  spec:
    replicas: {replicas}
    selector: {{matchLabels: {{app: {name}}}}}
{template}
""")
                owner_kind, owner_name, owner_uid = "ReplicaSet", rs, rsuid
            for p in range(pods):
                out.write(f"""- apiVersion: v1
  kind: Pod
  metadata:
    name: {owner_name}-{p:02d}x
    namespace: {ns}
    ownerReferences: [{{apiVersion: apps/v1, kind: {owner_kind}, name: {owner_name}, uid: {owner_uid}, controller: true}}]
  spec:
{indent(spec, -2) if False else chr(10).join(l[2:] for l in spec.split(chr(10)))}
""")


main()
