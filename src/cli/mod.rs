//! Command-line parsing and the commands of SPEC section 6. Everything here
//! is presentation: the work is done by the library.

mod commands;
mod files;
pub mod repl;
mod run;
mod stop;

use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit status for an error in a statement, in data or in the database.
pub const EXIT_ERROR: u8 = 1;
/// Exit status for a bad command line.
pub const EXIT_USAGE: u8 = 2;

/// evident — a database of claims and the evidence for and against them.
#[derive(Parser, Debug)]
#[command(name = "evident", version, about, long_about = None)]
pub struct Cli {
    /// The database directory [default: $EVIDENT_DB, then ./evident.db]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script of statements and print the results
    Query {
        /// The script; `-` (or nothing, with --file absent) reads standard input
        script: Option<String>,
        /// Output format [default: table on a terminal, jsonl when piped]
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(evident::render::Format::NAMES))]
        format: Option<String>,
        /// Read the script from a file
        #[arg(long, value_name = "FILE", conflicts_with = "script")]
        file: Option<PathBuf>,
        /// Print on standard error how long the script took, and opening the database
        #[arg(long)]
        timer: bool,
        /// Bind $NAME in the script to VALUE (repeatable; split at the first `=`)
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = evident::Params::parse_text_binding)]
        params: Vec<(String, String)>,
    },
    /// Open the interactive shell
    Repl {
        /// Output format [default: table on a terminal, jsonl when piped]
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(evident::render::Format::NAMES))]
        format: Option<String>,
    },
    /// Import JSON Lines files (.gz too), or other formats with --from, atomically
    Import {
        /// Files to import (a directory too with --from epoch or eee)
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Import the valid lines and report the others instead of importing nothing
        #[arg(long)]
        skip_invalid: bool,
        /// The files' format: jsonl, epoch (Epoch AI's benchmark CSVs), eee (Every Eval Ever), csv
        #[arg(long, value_name = "FORMAT", default_value = "jsonl",
              value_parser = clap::builder::PossibleValuesParser::new(evident::ImportFormat::NAMES))]
        from: String,
        /// With --from csv: the kind of record each row is (source, claim, evidence, result)
        #[arg(long = "type", value_name = "KIND",
              value_parser = clap::builder::PossibleValuesParser::new(["source", "claim", "evidence", "result"]))]
        kind: Option<String>,
        /// With --from epoch: a maker table to use instead of the shipped data/epoch-makers.csv
        #[arg(long, value_name = "FILE")]
        makers: Option<PathBuf>,
    },
    /// Write every record as JSON Lines
    Export {
        /// Write to this file instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Verify the database; exits non-zero on any inconsistency
    Check,
    /// Build a database of the seed article's claims and open the shell on it
    Demo,
    /// Print shell completions
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let db_path = cli
        .db
        .clone()
        .or_else(|| {
            std::env::var_os("EVIDENT_DB")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("evident.db"));
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "evident",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Query {
            script,
            format,
            file,
            timer,
            params,
        } => match text_params(params) {
            Ok(params) => {
                commands::query(&db_path, script, file, format.as_deref(), timer, &params)
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
        Command::Repl { format } => commands::repl(&db_path, format.as_deref()),
        Command::Import {
            files,
            skip_invalid,
            from,
            kind,
            makers,
        } => match commands::import_format(&from, kind.as_deref(), makers) {
            Ok(format) => commands::import(&db_path, &files, skip_invalid, format.as_ref()),
            Err(message) => {
                eprintln!("{message}");
                ExitCode::from(EXIT_USAGE)
            }
        },
        Command::Export { output } => commands::export(&db_path, output.as_deref()),
        Command::Check => commands::check(&db_path),
        Command::Demo => commands::demo(),
    }
}

/// The `--param`s of `query`; a name given twice is a mistake.
fn text_params(bindings: Vec<(String, String)>) -> Result<evident::Params, String> {
    let mut params = evident::Params::new();
    for (name, value) in bindings {
        if params.set_text(name.clone(), value).is_some() {
            return Err(format!("--param {name} is given twice"));
        }
    }
    Ok(params)
}

/// `0.082 ms`, `0.42 ms`, `12.3 ms`, `1.52 s`: three significant figures
/// (the shell's `.timer` and `query --timer`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_micros(82)), "0.082 ms");
        assert_eq!(format_duration(Duration::from_micros(4_200)), "4.20 ms");
        assert_eq!(format_duration(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(format_duration(Duration::from_millis(1520)), "1.52 s");
    }
}
