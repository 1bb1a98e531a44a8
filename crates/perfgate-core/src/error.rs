//! Typed errors of the engine; the binary maps them to exit codes in one place.

use std::fmt;

/// Invalid configuration: one sentence naming file, field, position and expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The config file.
    pub file: String,
    /// The field at fault, when known.
    pub field: Option<String>,
    /// Line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What was expected.
    pub message: String,
}

/// Control characters from user input are shown escaped: the error stays one line
/// and cannot drive the terminal.
pub fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", printable(&self.file))?;
        if let Some(field) = &self.field {
            write!(f, "field `{}` ", printable(field))?;
        }
        if let Some((l, c)) = self.position {
            write!(f, "(line {l}, column {c}) ")?;
        }
        write!(f, "{}", printable(&self.message))
    }
}

impl std::error::Error for ConfigError {}

/// Every error perfgate reports, by exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Exit 2: the user asked for something malformed.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// Bad usage or invalid config (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Exit 3: the store cannot be used; nothing was changed.
    #[error("{0}")]
    Store(String),
    /// Exit 3: the run could not be carried out.
    #[error("{0}")]
    Run(String),
}

impl Error {
    /// The exit code of this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Store(_) | Error::Run(_) => 3,
        }
    }
}

/// perfgate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
