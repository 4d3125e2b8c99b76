//! sled behind a guard: the one place that calls into sled's tree.
//!
//! sled 0.34 panics on some damaged files instead of returning an error (a
//! truncated log: `segment.rs` indexes out of bounds, sled #1155). SPEC 5
//! wants a "damaged" error instead, so every call into the tree runs under
//! `catch_unwind`, and a panic becomes [`StoreError::Damaged`] naming the
//! database's path; sled's errors become messages that name it too, with no
//! debug text.
//!
//! **Unwind safety, honestly.** sled's internals are not known to be
//! consistent after one of its panics (locks, epochs, half-updated page
//! tables), so the call is wrapped in `AssertUnwindSafe` only because the
//! tree is never used again: the first panic marks it broken, every later
//! call fails at once with the same "damaged" error, and a broken tree is
//! leaked rather than dropped (dropping flushes, which would walk the same
//! damaged state).

use super::StoreError;
use sled::IVec;
use std::cell::Cell;
use std::ops::RangeBounds;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once, OnceLock};

/// A guarded handle on the store's sled tree; cheap to clone.
#[derive(Clone)]
pub struct Tree(Arc<Shared>);

struct Shared {
    /// `None` only while being dropped.
    db: Option<sled::Db>,
    path: PathBuf,
    /// Why the tree is broken: set by the first panic caught in sled.
    broken: OnceLock<String>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let Some(db) = self.db.take() else {
            return;
        };
        if self.broken.get().is_some() {
            // Dropping flushes through the state sled panicked in.
            std::mem::forget(db);
            return;
        }
        drop(db);
        wait_for_the_lock(&self.path);
    }
}

/// Waits (at most a second) until sled's lock on the database's files is
/// released. sled's background threads can keep its files open a moment
/// after the last handle is dropped, and the lock with them; a database
/// closed here must be free to open at once — by this process again (a
/// test, Python's `close()` then the command line) or by the next command.
fn wait_for_the_lock(path: &Path) {
    let Ok(file) = std::fs::File::open(path.join("db")) else {
        return;
    };
    for _ in 0..200 {
        match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                return;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::Error(_)) => return,
        }
    }
}

thread_local! {
    /// Set while this thread runs a guarded call, so the panic hook stays
    /// quiet about a panic that becomes an error.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once per process, a panic hook that says nothing about panics
/// inside guarded sled calls (they become "damaged" errors) and hands every
/// other panic to the hook that was there before.
fn quiet_guarded_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with panics caught: `Err(message)` if it panicked.
pub fn catching<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    quiet_guarded_panics();
    let was = GUARDED.with(|g| g.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an unexplained failure".into())
    })
}

/// The "damaged" error for a panic inside sled.
pub fn panicked(path: &Path, message: &str) -> StoreError {
    StoreError::Damaged {
        path: Some(path.display().to_string()),
        what: format!("its storage engine (sled) stopped on damaged data ({message})"),
        source: None,
    }
}

impl Tree {
    /// Guards an open sled database.
    pub fn new(db: sled::Db, path: &Path) -> Tree {
        Tree(Arc::new(Shared {
            db: Some(db),
            path: path.to_path_buf(),
            broken: OnceLock::new(),
        }))
    }

    /// The database's directory.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Runs one call into sled, with its panics and errors turned into
    /// [`StoreError`]s naming the path.
    fn call<T>(&self, f: impl FnOnce(&sled::Db) -> sled::Result<T>) -> Result<T, StoreError> {
        let shared = &*self.0;
        if let Some(why) = shared.broken.get() {
            return Err(panicked(&shared.path, why));
        }
        let Some(db) = shared.db.as_ref() else {
            return Err(StoreError::damaged("the store was closed".into()));
        };
        match catching(|| f(db)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StoreError::from_sled(e, &shared.path)),
            Err(message) => {
                let why = shared.broken.get_or_init(|| message);
                Err(panicked(&shared.path, why))
            }
        }
    }

    /// Adds the path to a "damaged" error that was found without it (in
    /// stored bytes that do not decode).
    pub fn locate(&self, e: StoreError) -> StoreError {
        e.located(&self.0.path)
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, StoreError> {
        self.call(|db| db.get(key))
    }

    pub fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.call(|db| db.insert(key, value)).map(drop)
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        self.call(|db| Ok(db.is_empty()))
    }

    pub fn apply_batch(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.call(|db| db.apply_batch(batch))
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.call(|db| db.flush()).map(drop)
    }

    /// The entries with keys in `range`, in either direction.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter {
        let inner = self.call(|db| Ok(db.range(range)));
        Iter {
            tree: self.clone(),
            inner: inner.map_err(Some),
        }
    }

    /// The entries whose keys start with `prefix`.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter {
        let inner = self.call(|db| Ok(db.scan_prefix(prefix)));
        Iter {
            tree: self.clone(),
            inner: inner.map_err(Some),
        }
    }
}

/// A guarded walk over a range of the tree.
pub struct Iter {
    tree: Tree,
    /// The walk, or the error that stopped it from starting (given once).
    inner: Result<sled::Iter, Option<StoreError>>,
}

impl Iter {
    fn step(
        &mut self,
        step: impl FnOnce(&mut sled::Iter) -> Option<sled::Result<(IVec, IVec)>>,
    ) -> Option<Result<(IVec, IVec), StoreError>> {
        let inner = match &mut self.inner {
            Ok(inner) => inner,
            Err(e) => return e.take().map(Err),
        };
        match self.tree.call(|_| Ok(step(inner))) {
            Err(e) => Some(Err(e)),
            Ok(None) => None,
            Ok(Some(Ok(entry))) => Some(Ok(entry)),
            Ok(Some(Err(e))) => Some(Err(StoreError::from_sled(e, self.tree.path()))),
        }
    }
}

impl Iterator for Iter {
    type Item = Result<(IVec, IVec), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step(Iterator::next)
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.step(DoubleEndedIterator::next_back)
    }
}
