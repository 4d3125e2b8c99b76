//! Ctrl-C stops the statement running now, and only it: each statement
//! (or script, or export) the command line runs gets a fresh
//! [`Interrupt`], which the one Ctrl-C handler of the process fires. A
//! Ctrl-C that stopped one statement is gone with it, so the next one
//! (`.export` after an interrupted query in the shell) runs.

use evident::Interrupt;
use std::sync::{Mutex, PoisonError};

/// The interrupt of what runs now (the last one handed out).
static RUNNING: Mutex<Option<Interrupt>> = Mutex::new(None);

/// Sends Ctrl-C to the running statement instead of ending the process.
pub fn on_ctrl_c() -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(|| {
        if let Some(running) = RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            running.interrupt();
        }
    })
}

/// A new interrupt for the statement about to run, which Ctrl-C now fires.
pub fn fresh() -> Interrupt {
    let interrupt = Interrupt::new();
    *RUNNING.lock().unwrap_or_else(PoisonError::into_inner) = Some(interrupt.clone());
    interrupt
}
