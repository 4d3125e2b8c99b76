//! The holder's threads: each connection, and each statement's watch for
//! its client going away, runs on a thread of its own, and a thread that
//! has finished waits a while for the next such job instead of exiting.
//! Starting a thread and ending it (with its allocator heap) took a tenth
//! of a millisecond twice per query, on a one-shot query through the holder
//! of ~2.5 ms whose goal is the `sqlite3` shell's ~2.3 ms (#17).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long an idle thread waits for a job before it exits.
const IDLE_LIFE: Duration = Duration::from_secs(30);

type Job = Box<dyn FnOnce() + Send>;

/// Threads that run jobs, started as needed and kept while there is work.
pub struct Workers {
    state: Mutex<State>,
    arrived: Condvar,
}

struct State {
    /// Jobs handed over and not yet taken.
    queue: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
}

impl Workers {
    pub const fn new() -> Workers {
        Workers {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                idle: 0,
            }),
            arrived: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs run outside the lock, so a panic in one never poisons it
        // half way; the state is consistent either way.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `job` on an idle thread, or on a new one when every thread is
    /// busy. Fails only if no thread could be started.
    pub fn run(&'static self, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let mut state = self.lock();
        // Each queued job has an idle thread of its own to take it.
        if state.idle > state.queue.len() {
            state.queue.push_back(Box::new(job));
            drop(state);
            self.arrived.notify_one();
            return Ok(());
        }
        drop(state);
        std::thread::Builder::new()
            .name("evident-holder".to_owned())
            .spawn(move || {
                job();
                self.serve_jobs();
            })
            .map(drop)
    }

    /// Takes jobs as they come; exits after [`IDLE_LIFE`] without one.
    fn serve_jobs(&self) {
        let mut state = self.lock();
        state.idle += 1;
        loop {
            if let Some(job) = state.queue.pop_front() {
                state.idle -= 1;
                drop(state);
                // A job's panic ends its thread, as it did with a thread each.
                job();
                state = self.lock();
                state.idle += 1;
                continue;
            }
            let (next, waited) = self
                .arrived
                .wait_timeout(state, IDLE_LIFE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if waited.timed_out() && state.queue.is_empty() {
                state.idle -= 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn every_job_runs_and_a_waiting_thread_takes_the_next() {
        static WORKERS: Workers = Workers::new();
        // Many at once: every one runs, on however many threads.
        let (tx, rx) = mpsc::channel();
        for n in 0..200 {
            let tx = tx.clone();
            WORKERS
                .run(move || {
                    let _ = tx.send(n);
                })
                .expect("runs");
        }
        drop(tx);
        let mut done: Vec<i32> = rx.iter().collect();
        done.sort_unstable();
        assert_eq!(done, (0..200).collect::<Vec<_>>());
        // One at a time, each once a thread waits: all on one thread.
        static ONE_BY_ONE: Workers = Workers::new();
        let mut threads = std::collections::HashSet::new();
        for _ in 0..20 {
            let (tx, rx) = mpsc::channel();
            ONE_BY_ONE
                .run(move || {
                    let _ = tx.send(std::thread::current().id());
                })
                .expect("runs");
            threads.insert(rx.recv().expect("the job ran"));
            while ONE_BY_ONE.lock().idle == 0 {
                std::thread::yield_now();
            }
        }
        assert_eq!(threads.len(), 1, "a waiting thread was not reused");
    }
}
