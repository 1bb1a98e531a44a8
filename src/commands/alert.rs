//! `perfgate alert test`: one test alert through each configured channel.

use super::config_or_default;
use crate::cli::RunArgs;
use crate::engine::error::{Error, Result};

pub async fn run(args: &RunArgs, channel: Option<String>) -> Result<i32> {
    if let Some(c) = &channel
        && !crate::engine::alert::CHANNELS.contains(&c.as_str())
    {
        return Err(Error::Usage(format!(
            "--channel {c:?}: expected console, github, slack or email"
        )));
    }
    let cfg = config_or_default(args.config.as_deref())?;
    let results = crate::engine::alert::test(&cfg, channel.as_deref()).await;
    let mut failed = false;
    for r in &results {
        println!("{:<8} {:<8} {}", r.channel, r.outcome, r.detail);
        failed |= r.outcome == crate::engine::alert::Delivery::Failed;
    }
    Ok(if failed { 3 } else { 0 })
}
