#!/usr/bin/env python3
"""Writes a cluster snapshot for benchmarking `podsec recommend` and `podsec plan`: a `List`
as `kubectl get ns,pods,deploy,rs,sts,ds,job,cronjob -A -o yaml` prints it, with 50
namespaces, 2,000 workloads and 10,000 pods.

Per namespace: 16 Deployments (each with its ReplicaSet and 10 pods), 4 StatefulSets (5 pods
each), 2 DaemonSets (9 pods each), a CronJob with its Job (2 pods): 40 workloads, 200 pods.
Templates cycle through restricted, baseline and privileged (host access) profiles, and every
workload has its own image, so no two workloads share a template.

Usage: bench/gen-snapshot-recommend.py [OUT]   (default: /tmp/podsec-bench-recommend.yaml)
"""

import sys

NAMESPACES = 50

RESTRICTED = """      securityContext:
        runAsNonRoot: true
        seccompProfile: {{type: RuntimeDefault}}
      containers:
      - name: app
        image: registry.example/{image}:1.0
        ports: [{{containerPort: 8080}}]
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {{drop: [ALL]}}
"""

BASELINE = """      containers:
      - name: app
        image: registry.example/{image}:1.0
        ports: [{{containerPort: 8080}}]
"""

HOST = """      hostNetwork: true
      hostPID: true
      volumes:
      - name: root
        hostPath: {{path: /}}
      containers:
      - name: agent
        image: registry.example/{image}:1.0
        securityContext: {{privileged: true}}
        volumeMounts: [{{name: root, mountPath: /host}}]
"""


def spec(profile, image, indent):
    text = {"restricted": RESTRICTED, "baseline": BASELINE, "host": HOST}[profile].format(image=image)
    pad = " " * indent
    return "".join(pad + line[6:] + "\n" for line in text.splitlines())


def meta(kind, api, name, ns, uid, owner=None, extra=""):
    out = f"- apiVersion: {api}\n  kind: {kind}\n  metadata:\n    name: {name}\n    namespace: {ns}\n    uid: {uid}\n"
    if owner:
        okind, oname, ouid = owner
        out += f"    ownerReferences:\n    - {{apiVersion: apps/v1, kind: {okind}, name: {oname}, uid: {ouid}, controller: true}}\n"
    return out + extra


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/podsec-bench-recommend.yaml"
    out = ["apiVersion: v1\nkind: List\nitems:\n"]
    pods = workloads = 0
    for n in range(NAMESPACES):
        ns = f"team-{n:02d}"
        labels = ""
        if n % 5 == 1:
            labels = "    labels: {pod-security.kubernetes.io/enforce: baseline}\n"
        elif n % 5 == 2:
            labels = "    labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.30}\n"
        out.append(f"- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: {ns}\n{labels}")

        def profile(i):
            # Namespaces ending in 0 run host agents; others are mostly restricted.
            if n % 10 == 0 and i % 8 == 0:
                return "host"
            return "baseline" if (i + n) % 3 == 0 else "restricted"

        def pod(name, owner, prof, image):
            nonlocal pods
            pods += 1
            out.append(meta("Pod", "v1", name, ns, f"{ns}-{name}", owner, "  spec:\n" + spec(prof, image, 4)))

        for d in range(16):
            prof, image = profile(d), f"{ns}-web-{d}"
            dname, rsname = f"web-{d}", f"web-{d}-7f9c"
            duid, rsuid = f"{ns}-d{d}", f"{ns}-rs{d}"
            out.append(meta("Deployment", "apps/v1", dname, ns, duid,
                            extra="  spec:\n    replicas: 10\n    template:\n      metadata: {labels: {app: web}}\n      spec:\n" + spec(prof, image, 8)))
            out.append(meta("ReplicaSet", "apps/v1", rsname, ns, rsuid, ("Deployment", dname, duid),
                            "  spec:\n    replicas: 10\n    template:\n      spec:\n" + spec(prof, image, 8)))
            workloads += 2
            for p in range(10):
                pod(f"{rsname}-{p:02d}x", ("ReplicaSet", rsname, rsuid), prof, image)
        for s in range(4):
            prof, image = profile(s + 1), f"{ns}-db-{s}"
            sname, suid = f"db-{s}", f"{ns}-s{s}"
            out.append(meta("StatefulSet", "apps/v1", sname, ns, suid,
                            extra="  spec:\n    replicas: 5\n    template:\n      spec:\n" + spec(prof, image, 8)))
            workloads += 1
            for p in range(5):
                pod(f"{sname}-{p}", ("StatefulSet", sname, suid), prof, image)
        for a in range(2):
            prof = "host" if n % 10 == 0 else profile(a + 2)
            image = f"{ns}-agent-{a}"
            aname, auid = f"agent-{a}", f"{ns}-a{a}"
            out.append(meta("DaemonSet", "apps/v1", aname, ns, auid,
                            extra="  spec:\n    template:\n      spec:\n" + spec(prof, image, 8)))
            workloads += 1
            for p in range(9):
                pod(f"{aname}-{p:02d}z", ("DaemonSet", aname, auid), prof, image)
        prof, image = profile(5), f"{ns}-report"
        cuid, juid = f"{ns}-cj", f"{ns}-j"
        out.append(meta("CronJob", "batch/v1", "report", ns, cuid,
                        extra="  spec:\n    schedule: '0 3 * * *'\n    jobTemplate:\n      spec:\n        template:\n          spec:\n            restartPolicy: OnFailure\n" + spec(prof, image, 12)))
        out.append(meta("Job", "batch/v1", "report-2941", ns, juid, ("CronJob", "report", cuid),
                        "  spec:\n    template:\n      spec:\n        restartPolicy: OnFailure\n" + spec(prof, image, 8)))
        workloads += 2
        for p in range(2):
            pod(f"report-2941-{p}q", ("Job", "report-2941", juid), prof, image)
    with open(path, "w") as f:
        f.write("".join(out))
    print(f"{path}: {NAMESPACES} namespaces, {workloads} workloads, {pods} pods", file=sys.stderr)


if __name__ == "__main__":
    main()
