//! The interactive shell (placeholder until the REPL lands).

use evident::Database;
use evident::render::Format;
use std::process::ExitCode;

/// Runs the shell on `db`.
pub fn run(db: &Database, format: Option<Format>, banner: Option<&str>) -> ExitCode {
    let _ = (db, format, banner);
    ExitCode::SUCCESS
}
