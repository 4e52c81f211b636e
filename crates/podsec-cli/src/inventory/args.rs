//! The flags every adoption command shares: where the objects come from.

use std::path::PathBuf;

use clap::Args;
use podsec_kube::listing::{INVENTORY_RESOURCES, Resource};
use podsec_policy::Version;

use super::{Inventory, ReadOptions};
use crate::cli::StrictParser;

/// Where the objects come from: manifests (or a snapshot), or a live cluster.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Read the live cluster through this kubeconfig file (its current context unless
    /// `--context`): namespaces, pods and every workload kind, paginated.
    #[arg(
        long,
        env = "PODSEC_KUBECONFIG",
        value_name = "FILE",
        conflicts_with = "paths"
    )]
    pub kubeconfig: Option<PathBuf>,

    /// Read the live cluster through this context of the kubeconfig (`$KUBECONFIG`, else
    /// `~/.kube/config`, unless `--kubeconfig`).
    #[arg(
        long,
        env = "PODSEC_CONTEXT",
        value_name = "NAME",
        conflicts_with = "paths"
    )]
    pub context: Option<String>,

    /// Read the live cluster through the current context of the default kubeconfig
    /// (`$KUBECONFIG`, else `~/.kube/config`).
    #[arg(long, conflicts_with = "paths")]
    pub cluster: bool,

    /// Objects per page when listing a live cluster.
    #[arg(long, value_name = "N", default_value_t = 500, hide = true)]
    pub page_size: u32,

    /// The namespace of objects without `metadata.namespace` (manifests).
    #[arg(long, short = 'n', env = "PODSEC_NAMESPACE", value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// The Kubernetes version of the cluster, `v1.N` or `latest`: which defaulting the API
    /// server applies, and what `latest` means.
    #[arg(
        long,
        env = "PODSEC_KUBE_VERSION",
        value_name = "VERSION",
        default_value = "latest",
        value_parser = StrictParser::<Version>::new("--kube-version", &[]),
    )]
    pub kube_version: Version,

    /// Evaluate objects exactly as written, without the API server's defaulting.
    #[arg(long, env = "PODSEC_RAW", value_parser = clap::builder::BoolishValueParser::new())]
    pub raw: bool,

    /// Manifest files, directories, `-` for standard input, or a snapshot written by
    /// `kubectl get ns,pods,deploy,rs,sts,ds,job,cronjob,rc,podtemplates -A -o yaml`.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

impl SourceArgs {
    /// Whether the objects come from a live cluster.
    pub fn is_live(&self) -> bool {
        self.cluster || self.kubeconfig.is_some() || self.context.is_some()
    }

    /// How objects are read.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            kube: self.kube_version,
            raw: self.raw,
        }
    }

    /// Reads the inventory: from the cluster (its namespaces, pods and workloads), or from
    /// the paths.
    pub fn load(&self) -> anyhow::Result<Inventory> {
        self.load_resources(INVENTORY_RESOURCES)
    }

    /// As [`SourceArgs::load`], reading `resources` from a live cluster.
    pub fn load_resources(&self, resources: &[Resource]) -> anyhow::Result<Inventory> {
        let default_namespace = self.namespace.as_deref().unwrap_or("default");
        if self.is_live() {
            return super::cluster::load(self, resources, default_namespace);
        }
        if self.paths.is_empty() {
            anyhow::bail!(
                "no input: give manifest paths (or `-` for standard input), a snapshot file, or --cluster / --context / --kubeconfig to read a live cluster"
            );
        }
        Ok(super::manifests::load(
            &self.paths,
            self.read_options(),
            default_namespace,
        ))
    }
}
