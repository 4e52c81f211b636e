//! The API server's defaulting that can change a Pod Security result.
//!
//! The checks themselves never default (they must agree with upstream's library on raw
//! pods). A real cluster, however, admits *defaulted* objects, so tools that predict what a
//! cluster will say apply these rules first:
//!
//! | rule | applies to | effect on PSS |
//! |---|---|---|
//! | a volume with none of the known sources gets `emptyDir: {}` | pods and pod templates | `restrictedVolumes` would otherwise report type `unknown` |
//! | with `hostNetwork: true`, every port of `containers` and `initContainers` whose `hostPort` is 0 gets `hostPort = containerPort` | pods | `hostPorts` then reports the port |

use crate::model::{PodSpec, VolumeSource};

/// What the pod spec belongs to: the API server defaults pods and templates differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOwner {
    /// A `Pod`.
    Pod,
    /// The pod template of a workload (Deployment, Job, PodTemplate, ...).
    Template,
}

/// Applies the API server's PSS-relevant defaulting to `spec` in place.
pub fn apply_api_server_defaults(spec: &mut PodSpec, owner: SpecOwner) {
    for volume in &mut spec.volumes {
        if volume.sources.is_empty() {
            volume.sources.insert(VolumeSource::EmptyDir);
        }
    }
    if owner == SpecOwner::Pod && spec.host_network {
        let containers = spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut());
        for port in containers.flat_map(|c| c.ports.iter_mut()) {
            if port.host_port == 0 {
                port.host_port = port.container_port;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, ContainerPort, Volume};

    fn port(container_port: i32, host_port: i32) -> ContainerPort {
        ContainerPort {
            container_port,
            host_port,
        }
    }

    #[test]
    fn sourceless_volume_becomes_empty_dir() {
        let mut spec = PodSpec {
            volumes: vec![
                Volume {
                    name: "v".into(),
                    ..Volume::default()
                },
                Volume {
                    name: "h".into(),
                    sources: [VolumeSource::HostPath].into_iter().collect(),
                },
            ],
            ..PodSpec::default()
        };
        apply_api_server_defaults(&mut spec, SpecOwner::Template);
        assert!(spec.volumes[0].sources.contains(VolumeSource::EmptyDir));
        assert!(!spec.volumes[1].sources.contains(VolumeSource::EmptyDir));
    }

    #[test]
    fn host_network_pod_ports_get_host_ports() {
        let container = Container {
            ports: vec![port(80, 0), port(443, 8443)],
            ..Container::default()
        };
        let mut spec = PodSpec {
            host_network: true,
            containers: vec![container.clone()],
            init_containers: vec![container.clone()],
            ephemeral_containers: vec![container.clone()],
            ..PodSpec::default()
        };
        let mut template = spec.clone();
        apply_api_server_defaults(&mut spec, SpecOwner::Pod);
        assert_eq!(spec.containers[0].ports, [port(80, 80), port(443, 8443)]);
        assert_eq!(
            spec.init_containers[0].ports,
            [port(80, 80), port(443, 8443)]
        );
        // Ephemeral containers are not defaulted.
        assert_eq!(spec.ephemeral_containers[0].ports, container.ports);

        apply_api_server_defaults(&mut template, SpecOwner::Template);
        assert_eq!(template.containers[0].ports, container.ports);
    }
}
