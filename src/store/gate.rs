//! The statement gate: every reading statement holds it shared for as long
//! as it runs; a write holds it exclusive while it changes the maps (its
//! phases 1–5). So a statement sees the database before a write or after
//! it, never between its phases (SPEC 10).
//!
//! Why not `std::sync::RwLock`: its priority policy is the platform's and
//! unspecified, and a waiting writer must be guaranteed to stop new readers
//! (else a stream of queries starves a write), which in turn makes a read
//! taken twice on one thread a deadlock when a write waits between the two.
//! This gate promises both: a write waits only for the statements already
//! running when it asked; a statement arriving after it waits for the
//! write; and a thread that already reads may read again without waiting
//! (a row sink that runs another query), while a thread that reads cannot
//! start a write (it would wait for itself): that is an error.
//!
//! A waiting statement checks its [`Interrupt`] every few milliseconds, so
//! Ctrl-C (or a client that goes away) stops it while it waits for a long
//! import too.

use super::{Interrupt, StoreError};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

/// How often a waiting statement looks at its interrupt.
const INTERRUPT_POLL: Duration = Duration::from_millis(20);

#[derive(Default)]
pub(crate) struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Threads holding the gate shared, each with how many times.
    readers: Vec<(ThreadId, usize)>,
    /// A write holds the gate.
    writing: bool,
    /// Writes waiting for the readers to leave.
    writers_waiting: usize,
}

/// The gate held shared by one statement.
pub(crate) struct Shared<'g> {
    gate: &'g Gate,
    thread: ThreadId,
}

/// The gate held by a write's apply phases.
pub(crate) struct Exclusive<'g> {
    gate: &'g Gate,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing but these few lines runs under the lock, and none
        // panics, so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Enters as a reader; waits while a write runs or waits, unless this
    /// thread already reads. Fails with [`StoreError::Interrupted`] if
    /// `interrupt` fires while it waits.
    pub(crate) fn shared(&self, interrupt: &Interrupt) -> Result<Shared<'_>, StoreError> {
        let thread = std::thread::current().id();
        let mut state = self.lock();
        loop {
            if let Some(entry) = state.readers.iter_mut().find(|(t, _)| *t == thread) {
                entry.1 += 1;
                break;
            }
            if !state.writing && state.writers_waiting == 0 {
                state.readers.push((thread, 1));
                break;
            }
            if interrupt.is_interrupted() {
                return Err(StoreError::Interrupted);
            }
            state = self
                .changed
                .wait_timeout(state, INTERRUPT_POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Ok(Shared { gate: self, thread })
    }

    /// Enters as the writer once the readers that came before have left.
    /// Writes are already one at a time (the writer's mutex); this only
    /// keeps readers out.
    pub(crate) fn exclusive(&self) -> Result<Exclusive<'_>, StoreError> {
        let thread = std::thread::current().id();
        let mut state = self.lock();
        if state.readers.iter().any(|(t, _)| *t == thread) {
            return Err(StoreError::WriteWhileReading);
        }
        state.writers_waiting += 1;
        while state.writing || !state.readers.is_empty() {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.writers_waiting -= 1;
        state.writing = true;
        Ok(Exclusive { gate: self })
    }
}

impl Drop for Shared<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        if let Some(at) = state.readers.iter().position(|(t, _)| *t == self.thread) {
            state.readers[at].1 -= 1;
            if state.readers[at].1 == 0 {
                state.readers.swap_remove(at);
            }
        }
        if state.readers.is_empty() {
            self.gate.changed.notify_all();
        }
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        self.gate.lock().writing = false;
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_waiting_write_holds_new_readers_back_but_not_a_thread_that_reads() {
        let gate = Arc::new(Gate::default());
        let never = Interrupt::new();
        let first = gate.shared(&never).expect("reads");
        let wrote = Arc::new(AtomicBool::new(false));
        let writer = {
            let (gate, wrote) = (Arc::clone(&gate), Arc::clone(&wrote));
            std::thread::spawn(move || {
                let _w = gate.exclusive().expect("writes");
                wrote.store(true, Ordering::SeqCst);
            })
        };
        while gate.lock().writers_waiting == 0 {
            std::thread::yield_now();
        }
        // This thread reads already: it enters again at once.
        let again = gate.shared(&never).expect("re-enters");
        // Another thread waits behind the write, until interrupted.
        let stop = Interrupt::new();
        let other = {
            let (gate, stop) = (Arc::clone(&gate), stop.clone());
            std::thread::spawn(move || gate.shared(&stop).map(drop))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !wrote.load(Ordering::SeqCst),
            "the write waits for the reader"
        );
        stop.interrupt();
        assert!(matches!(
            other.join().expect("joins"),
            Err(StoreError::Interrupted)
        ));
        assert!(matches!(
            gate.exclusive(),
            Err(StoreError::WriteWhileReading)
        ));
        drop((first, again));
        writer.join().expect("the write ran");
        assert!(wrote.load(Ordering::SeqCst));
    }
}
