//! `podsec psp`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec psp`'s flags.
#[derive(Debug, Args)]
pub struct PspArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec psp`; the exit status.
pub fn run(args: &PspArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec psp is not built yet")
}
