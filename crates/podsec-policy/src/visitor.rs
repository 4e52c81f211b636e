//! The one container visitor: init containers, then containers, then ephemeral containers.

use crate::model::{Container, PodSpec, SecurityContext};

/// Which list a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// `spec.initContainers`.
    Init,
    /// `spec.containers`.
    Regular,
    /// `spec.ephemeralContainers`.
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field holding this kind of container.
    pub const fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// A container seen by the visitor, with where it lives in the pod.
#[derive(Debug, Clone, Copy)]
pub struct Visited<'a> {
    /// The list it comes from.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// The container.
    pub container: &'a Container,
}

impl<'a> Visited<'a> {
    /// The container's name.
    pub fn name(&self) -> &'a str {
        &self.container.name
    }

    /// The container's security context, if set.
    pub fn security_context(&self) -> Option<&'a SecurityContext> {
        self.container.security_context.as_ref()
    }

    /// Path of a field of this container, e.g. `spec.containers[1].securityContext.privileged`.
    pub fn path(&self, field: &str) -> String {
        format!("spec.{}[{}].{}", self.kind.field(), self.index, field)
    }
}

/// Every container of the pod, in upstream's order: init, regular, ephemeral; each in spec
/// order. Checks that look at containers use this and nothing else.
pub fn containers(spec: &PodSpec) -> impl Iterator<Item = Visited<'_>> {
    fn list(kind: ContainerKind, items: &[Container]) -> impl Iterator<Item = Visited<'_>> {
        items
            .iter()
            .enumerate()
            .map(move |(index, container)| Visited {
                kind,
                index,
                container,
            })
    }
    list(ContainerKind::Init, &spec.init_containers)
        .chain(list(ContainerKind::Regular, &spec.containers))
        .chain(list(ContainerKind::Ephemeral, &spec.ephemeral_containers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_init_then_regular_then_ephemeral() {
        let named = |n: &str| Container {
            name: n.into(),
            ..Container::default()
        };
        let spec = PodSpec {
            containers: vec![named("c1"), named("c2")],
            init_containers: vec![named("i1")],
            ephemeral_containers: vec![named("e1")],
            ..PodSpec::default()
        };
        let seen: Vec<_> = containers(&spec)
            .map(|v| (v.name().to_owned(), v.path("name")))
            .collect();
        assert_eq!(
            seen,
            [
                ("i1".to_owned(), "spec.initContainers[0].name".to_owned()),
                ("c1".to_owned(), "spec.containers[0].name".to_owned()),
                ("c2".to_owned(), "spec.containers[1].name".to_owned()),
                (
                    "e1".to_owned(),
                    "spec.ephemeralContainers[0].name".to_owned()
                ),
            ]
        );
    }
}
