//! `perfgate completions SHELL` and `perfgate manpage`, generated from the command line.

use clap::CommandFactory;
use std::io::Write;

use crate::cli::Cli;
use crate::engine::error::{Error, Result};

pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "perfgate",
        &mut std::io::stdout(),
    );
    Ok(0)
}

pub fn manpage() -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Run(format!("cannot render the man page: {e}")))?;
    let _ = std::io::stdout().write_all(&out);
    Ok(0)
}
