//! `podsec diff`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec diff`'s flags.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec diff`; the exit status.
pub fn run(args: &DiffArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec diff is not built yet")
}
