//! `podsec plan`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec plan`'s flags.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec plan`; the exit status.
pub fn run(args: &PlanArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec plan is not built yet")
}
