//! `podsec recommend`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec recommend`'s flags.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec recommend`; the exit status.
pub fn run(args: &RecommendArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec recommend is not built yet")
}
