//! `cargo bench --bench compare -- [--scale small|full] [--runs N] [--only NAME] [--reuse]`
//!
//! Compares the `evident` command line with SQLite (through rusqlite) on the
//! same JSON Lines files: bulk import, one-shot point and count queries,
//! indexed filters, scans, groupings and an `as of` view. Every workload runs
//! as a fresh child process on both sides — `evident --db X …` against this
//! very binary in a hidden SQLite sub-mode — so wall time, peak memory (RSS)
//! and disk size are measured the same way. See `benches/README.md`.
//!
//! Speed is reported, never asserted: a failing or missing `evident` command
//! marks its row as failed and the run goes on.

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: cargo bench --bench compare -- [--scale small|full] [--runs N] [--only NAME[,NAME…]] [--reuse]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        // Hidden sub-modes: the SQLite side, run as a child process of the harness.
        Some("--sqlite-import") => sqlite::import_main(&args[1..]),
        Some("--sqlite-query") => sqlite::query_main(&args[1..]),
        _ => harness::main(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A message error for the few places that have no underlying error value.
fn fail<T>(msg: impl Into<String>) -> Res<T> {
    Err(msg.into().into())
}

mod harness;
mod sqlite;
mod synth;
