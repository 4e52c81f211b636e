//! Reading an inventory from a live cluster: every namespace, pod and workload, listed
//! cluster-wide and paginated, each page converted into the inventory as it arrives.

use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::Context as _;
use podsec_kube::Connection;
use podsec_kube::listing::{ListError, ListEvent, PSP_RESOURCE, Resource, list_resource};

use super::{Inventory, Origin, Problem, ReadOptions, SourceArgs};

/// The `file` of every live object.
pub const CLUSTER_FILE: &str = "cluster";

/// Client-side rate limit of the listing (kubectl's order of magnitude, well above
/// client-go's 5/10 defaults: a listing is a short burst of requests).
const QPS: f32 = 50.0;
const BURST: u32 = 100;

/// Reads `resources` (in order) from the cluster `args` names: [`podsec_kube::listing::INVENTORY_RESOURCES`]
/// for the namespaces, pods and workloads.
pub fn load(
    args: &SourceArgs,
    resources: &[Resource],
    default_namespace: &str,
) -> anyhow::Result<Inventory> {
    let runtime = runtime()?;
    runtime.block_on(async {
        let connection = connect(args).await?;
        read(
            &connection,
            resources,
            args.page_size,
            args.read_options(),
            default_namespace,
            &Progress::new(),
        )
        .await
    })
}

/// A runtime for the API calls of one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime for the Kubernetes API client")
}

/// A client for the kubeconfig and context `args` name.
pub async fn connect(args: &SourceArgs) -> anyhow::Result<Connection> {
    podsec_kube::connect(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        QPS,
        BURST,
    )
    .await
    .map_err(anyhow::Error::from)
}

/// Lists every resource of `resources` through `connection`, `page_size` objects per
/// request. A resource the user may not list, or the server does not serve,
/// is a warning on standard error and a [`Problem`]; anything else that fails the listing
/// (the server unreachable, another API error) is an error naming the server.
pub async fn read(
    connection: &Connection,
    resources: &[Resource],
    page_size: u32,
    options: ReadOptions,
    default_namespace: &str,
    progress: &Progress,
) -> anyhow::Result<Inventory> {
    let origin = Origin::Cluster {
        context: connection.context.clone(),
    };
    let mut inventory = Inventory::new(origin, default_namespace);
    let mut next_doc = 0;
    for resource in resources {
        let start = (inventory.marks(), next_doc);
        let mut listed = 0usize;
        let result = list_resource(
            &connection.client,
            resource,
            page_size,
            |event| match event {
                ListEvent::Page(items) => {
                    for value in items {
                        let marks = inventory.marks();
                        // A policy is read whole (and policies are few).
                        let whole = (*resource == PSP_RESOURCE).then(|| value.clone());
                        let results = podsec_manifest::decode_value(value, 0);
                        let count = results.len();
                        inventory.add(CLUSTER_FILE, results, options, || {
                            whole.into_iter().collect()
                        });
                        inventory.shift_docs(marks, next_doc);
                        next_doc += count;
                    }
                    listed = next_doc - start.1;
                    progress.show(resource, listed);
                }
                ListEvent::Restart => {
                    inventory.truncate(start.0);
                    next_doc = start.1;
                    listed = 0;
                    progress.show(resource, listed);
                }
            },
        )
        .await;
        match result {
            Ok(_) => {}
            Err(err) if err.is_partial() => {
                let message = match err {
                    ListError::NotServed { .. } if *resource == PSP_RESOURCE => format!(
                        "the API server does not serve {} ({}; Kubernetes removed PodSecurityPolicy in v1.25): give the policies' manifests with --psp-file",
                        what(resource),
                        resource.api_version()
                    ),
                    _ => format!("cannot list {}: {err}", what(resource)),
                };
                progress.warn(&message);
                inventory.problems.push(Problem {
                    file: CLUSTER_FILE.to_owned(),
                    doc: None,
                    line: None,
                    message,
                });
            }
            Err(err) => {
                progress.clear();
                return Err(unreachable_or_failed(connection, resource, &err));
            }
        }
    }
    progress.clear();
    Ok(inventory)
}

/// `pods`, `deployments.apps`: how errors name a resource.
fn what(resource: &Resource) -> String {
    if resource.group.is_empty() {
        resource.plural.to_owned()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

fn unreachable_or_failed(
    connection: &Connection,
    resource: &Resource,
    err: &ListError,
) -> anyhow::Error {
    let context = if connection.context.is_empty() {
        String::new()
    } else {
        format!(" (context {})", connection.context)
    };
    match err {
        ListError::Transport(cause) => anyhow::anyhow!(
            "cannot reach the API server {}{context}: listing {}: {cause}",
            connection.server,
            what(resource)
        ),
        other => anyhow::anyhow!(
            "listing {} from the API server {}{context}: {other}",
            what(resource),
            connection.server
        ),
    }
}

impl Inventory {
    /// Drops everything added since `marks` (a listing that starts again).
    fn truncate(&mut self, marks: super::Marks) {
        self.items.truncate(marks.items);
        self.policies.truncate(marks.policies);
        self.namespaces.truncate(marks.namespaces);
        self.problems.truncate(marks.problems);
    }
}

/// The progress line on standard error (`listing pods: 12,500`), drawn only when standard
/// error is a terminal, cleared at the end.
#[derive(Debug)]
pub struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// A progress line on standard error when it is a terminal, else nothing.
    pub fn new() -> Self {
        let bar = if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr_with_hz(10),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Progress { bar }
    }

    fn show(&self, resource: &Resource, count: usize) {
        if !self.bar.is_hidden() {
            self.bar
                .set_message(format!("listing {}: {}", resource.plural, thousands(count)));
        }
    }

    /// Prints `warning: <message>` on standard error, above the progress line.
    fn warn(&self, message: &str) {
        self.bar.suspend(|| eprintln!("warning: {message}"));
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

/// `12500` as `12,500`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12500), "12,500");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
