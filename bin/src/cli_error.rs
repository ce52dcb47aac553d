//! The CLI's error type and its exit codes.

/// An error that ends a command, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Invalid input: a config file, a prop or a path the user gave. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// A check the user asked for did not hold, such as a violated access
    /// expectation. Exit code 1.
    #[error("{0}")]
    Failed(String),
    /// The synthesized template failed validation. Exit code 2.
    #[error(transparent)]
    Core(#[from] vaultgate_core::Error),
    /// A construct rejected its props. Exit code 2.
    #[error(transparent)]
    Construct(#[from] vaultgate_constructs::ConstructError),
    /// Standard output could not be written. Exit code 1.
    #[error("{0}")]
    Output(String),
}

impl CliError {
    /// Returns the process exit code: 2 for bad input of any kind, paths
    /// given on the command line included, and 1 when a requested check
    /// fails or standard output fails.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Failed(_) | CliError::Output(_) => 1,
            _ => 2,
        }
    }
}
