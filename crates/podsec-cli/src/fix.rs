//! `podsec fix`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec fix`'s flags.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec fix`; the exit status.
pub fn run(args: &FixArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec fix is not built yet")
}
