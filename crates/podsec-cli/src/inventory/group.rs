//! Grouping pods (and ReplicaSets, Jobs) under the controller whose template they come
//! from.

use std::collections::HashMap;

use super::Item;

/// A workload and what it runs, or a pod of its own: what the commands answer for once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Index (in [`Inventory::items`](super::Inventory::items)) of the object judged: the
    /// outermost controller in the inventory, or the pod itself when it has none there.
    pub item: usize,
    /// Indices of the objects grouped under it: pods, and intermediate controllers (the
    /// ReplicaSets of a Deployment, the Jobs of a CronJob), in inventory order.
    pub members: Vec<usize>,
    /// Of `members`, how many are pods.
    pub pods: usize,
}

/// Groups `items`: each object whose controller (by uid, else by namespace, kind and name)
/// is in `items` goes under that controller's outermost ancestor there. Units are in the
/// order of their judged objects.
pub fn units(items: &[Item]) -> Vec<Unit> {
    let mut by_uid: HashMap<&str, usize> = HashMap::new();
    let mut by_name: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if let Some(uid) = item.ownership.uid.as_deref() {
            by_uid.entry(uid).or_insert(index);
        }
        by_name
            .entry((
                item.at.namespace.as_deref().unwrap_or_default(),
                item.at.kind.as_str(),
                item.at.name.as_str(),
            ))
            .or_insert(index);
    }
    let parent = |index: usize| -> Option<usize> {
        let item = &items[index];
        let owner = item.ownership.controller.as_ref()?;
        let found = if owner.uid.is_empty() {
            None
        } else {
            by_uid.get(owner.uid.as_str()).copied()
        };
        found
            .or_else(|| {
                by_name
                    .get(&(
                        item.at.namespace.as_deref().unwrap_or_default(),
                        owner.kind.as_str(),
                        owner.name.as_str(),
                    ))
                    .copied()
            })
            .filter(|&p| p != index)
    };
    // The outermost ancestor; in a cycle of owners (a broken snapshot), the cycle's first
    // object in inventory order, the same for every object of the cycle.
    let root = |index: usize| -> usize {
        let mut path = vec![index];
        let mut at = index;
        while let Some(p) = parent(at) {
            if let Some(start) = path.iter().position(|&seen| seen == p) {
                return path[start..].iter().copied().min().unwrap_or(p);
            }
            path.push(p);
            at = p;
        }
        at
    };
    let roots: Vec<usize> = (0..items.len()).map(root).collect();
    let mut unit_of: HashMap<usize, usize> = HashMap::new();
    let mut units: Vec<Unit> = Vec::new();
    for (index, &r) in roots.iter().enumerate() {
        if r == index {
            unit_of.insert(index, units.len());
            units.push(Unit {
                item: index,
                members: Vec::new(),
                pods: 0,
            });
        }
    }
    for (index, &r) in roots.iter().enumerate() {
        if r != index {
            let unit = &mut units[unit_of[&r]];
            unit.members.push(index);
            unit.pods += usize::from(items[index].is_pod());
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use crate::inventory::{Inventory, Origin, ReadOptions};
    use podsec_policy::Version;

    fn inventory(text: &str) -> Inventory {
        let mut inventory = Inventory::new(Origin::Manifests, "default");
        let options = ReadOptions {
            kube: Version::Latest,
            raw: false,
        };
        inventory.add(
            "snapshot.yaml",
            podsec_manifest::decode(text),
            options,
            Vec::new,
        );
        inventory
    }

    fn names(inventory: &Inventory) -> Vec<(String, Vec<String>, usize)> {
        inventory
            .units()
            .into_iter()
            .map(|u| {
                (
                    inventory.items[u.item].at.name.clone(),
                    u.members
                        .iter()
                        .map(|&m| inventory.items[m].at.name.clone())
                        .collect(),
                    u.pods,
                )
            })
            .collect()
    }

    const SPEC: &str = "{containers: [{name: c, image: nginx}]}";

    #[test]
    fn pods_go_under_their_outermost_controller() {
        let text = format!(
            "kind: Pod
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{{kind: ReplicaSet, name: web-7f, uid: rs1, controller: true}}]
spec: {SPEC}
---
kind: Deployment
metadata: {{name: web, namespace: shop, uid: d1}}
spec: {{replicas: 2, template: {{spec: {SPEC}}}}}
---
kind: ReplicaSet
metadata:
  name: web-7f
  namespace: shop
  uid: rs1
  ownerReferences: [{{kind: Deployment, name: web, uid: d1, controller: true}}]
spec: {{template: {{spec: {SPEC}}}}}
---
kind: Pod
metadata:
  name: web-2
  namespace: shop
  ownerReferences: [{{kind: ReplicaSet, name: web-7f, uid: rs1, controller: true}}]
spec: {SPEC}
---
kind: Pod
metadata:
  name: lone
  namespace: shop
spec: {SPEC}
---
kind: Pod
metadata:
  name: orphan
  namespace: shop
  ownerReferences: [{{kind: DaemonSet, name: gone, uid: x, controller: true}}]
spec: {SPEC}
---
kind: Pod
metadata:
  name: other-ns
  namespace: other
  ownerReferences: [{{kind: ReplicaSet, name: web-7f, controller: true}}]
spec: {SPEC}
"
        );
        let inventory = inventory(&text);
        assert_eq!(
            names(&inventory),
            [
                (
                    "web".to_owned(),
                    vec!["web-1".to_owned(), "web-7f".to_owned(), "web-2".to_owned()],
                    2
                ),
                ("lone".to_owned(), vec![], 0),
                ("orphan".to_owned(), vec![], 0),
                ("other-ns".to_owned(), vec![], 0),
            ]
        );
        assert_eq!(
            inventory.items[inventory.units()[0].item]
                .ownership
                .replicas,
            Some(2)
        );
    }

    #[test]
    fn names_match_without_uids_and_cycles_end() {
        let text = format!(
            "kind: Job
metadata:
  name: backup-1
  namespace: ops
  ownerReferences: [{{kind: CronJob, name: backup, controller: true}}]
spec: {{template: {{spec: {SPEC}}}}}
---
kind: CronJob
metadata: {{name: backup, namespace: ops}}
spec: {{jobTemplate: {{spec: {{template: {{spec: {SPEC}}}}}}}}}
---
kind: ReplicaSet
metadata:
  name: a
  namespace: ops
  ownerReferences: [{{kind: ReplicaSet, name: b, controller: true}}]
spec: {{template: {{spec: {SPEC}}}}}
---
kind: ReplicaSet
metadata:
  name: b
  namespace: ops
  ownerReferences: [{{kind: ReplicaSet, name: a, controller: true}}]
spec: {{template: {{spec: {SPEC}}}}}
"
        );
        let grouped = names(&inventory(&text));
        assert_eq!(
            grouped[0],
            ("backup".to_owned(), vec!["backup-1".to_owned()], 0)
        );
        // A cycle: every object still belongs to exactly one unit.
        let total: usize = grouped.iter().map(|(_, m, _)| m.len() + 1).sum();
        assert_eq!(total, 4);
    }
}
