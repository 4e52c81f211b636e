//! `podsec whatif`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec whatif`'s flags.
#[derive(Debug, Args)]
pub struct WhatifArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec whatif`; the exit status.
pub fn run(args: &WhatifArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec whatif is not built yet")
}
