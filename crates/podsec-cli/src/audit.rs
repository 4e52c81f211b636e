//! `podsec audit`.

use clap::Args;

use crate::inventory::SourceArgs;

/// `podsec audit`'s flags.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Where the objects come from.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `podsec audit`; the exit status.
pub fn run(args: &AuditArgs) -> anyhow::Result<u8> {
    let _ = args.source.load()?;
    anyhow::bail!("podsec audit is not built yet")
}
