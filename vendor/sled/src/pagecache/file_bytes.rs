//! evident's patch: bytes of the file that recovery reads whole (the log's
//! segments from the snapshot's tip on, the snapshot file), mapped from the
//! page cache rather than copied into fresh memory where the platform
//! allows it.
//!
//! Every open of a database reads the log's last segment (512 KiB) and the
//! snapshot (~190 KB on the 1.29M MTEB results). Read into a new buffer,
//! each 4 KiB of it costs a page fault of fresh, zeroed memory and a copy:
//! ~170 faults of a one-shot query's ~930, the largest single share. A
//! private read-only mapping of the same bytes shares the pages the file
//! already has in the page cache.
//!
//! A mapping reads the file as it is while it is held, so a file cut
//! shorter under it would fault (SIGBUS) rather than return an error. Only
//! recovery holds one, while the process holds the database's lock and
//! before sled's own segment accounting, the one place that shortens the
//! file, has started; the length mapped is the file's at that moment.

use std::convert::TryFrom;
use std::fs::File;
use std::io;
use std::ops::Deref;

use super::LogOffset;

/// Up to `len` bytes of a file from an offset: fewer where the file ends.
pub enum FileBytes {
    /// Read into memory of the process.
    Read(Vec<u8>),
    /// Mapped from the file.
    #[cfg(all(unix, not(miri)))]
    Mapped(Mapping),
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.len())
    }
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Read(bytes) => bytes,
            #[cfg(all(unix, not(miri)))]
            FileBytes::Mapped(mapping) => mapping,
        }
    }
}

impl FileBytes {
    /// The bytes of `file` from `offset`, at most `len` of them, mapped
    /// where they can be.
    pub fn of(file: &File, offset: LogOffset, len: usize) -> io::Result<Self> {
        let file_len = file.metadata()?.len();
        let available = usize::try_from(file_len.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(len);
        #[cfg(all(unix, not(miri)))]
        {
            if let Some(mapping) = Mapping::of(file, offset, available) {
                return Ok(FileBytes::Mapped(mapping));
            }
        }
        Self::read(file, offset, available)
    }

    /// The bytes of `file` from `offset`, at most `len` of them, read into
    /// memory (as sled always did).
    pub fn read(
        file: &File,
        offset: LogOffset,
        len: usize,
    ) -> io::Result<Self> {
        let mut bytes = vec![0; len];
        let read = super::pread_exact_or_eof(file, &mut bytes, offset)?;
        bytes.truncate(read);
        Ok(FileBytes::Read(bytes))
    }
}

/// A private, read-only mapping of part of a file, unmapped when dropped.
#[cfg(all(unix, not(miri)))]
pub struct Mapping {
    start: std::ptr::NonNull<u8>,
    len: usize,
}

// The mapping is read-only and owned by this value alone.
#[cfg(all(unix, not(miri)))]
unsafe impl Send for Mapping {}
#[cfg(all(unix, not(miri)))]
unsafe impl Sync for Mapping {}

#[cfg(all(unix, not(miri)))]
impl Mapping {
    /// `len` bytes of `file` from `offset`, which the caller has checked
    /// the file holds; `None` where they cannot be mapped (an empty range,
    /// an offset off a page boundary, a file system that refuses), for the
    /// caller to read them instead.
    fn of(file: &File, offset: LogOffset, len: usize) -> Option<Self> {
        use std::os::unix::io::AsRawFd;

        // SAFETY: sysconf has no preconditions.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page_size = u64::try_from(page_size).ok().filter(|&p| p > 0)?;
        if len == 0 || offset % page_size != 0 {
            return None;
        }
        let file_offset = libc::off_t::try_from(offset).ok()?;
        // SAFETY: a new mapping at an address of the kernel's choosing,
        // of bytes the file holds (checked by the caller against its
        // length); nothing else refers to it.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | populate(),
                file.as_raw_fd(),
                file_offset,
            )
        };
        if start == libc::MAP_FAILED {
            return None;
        }
        let start = std::ptr::NonNull::new(start.cast::<u8>())?;
        Some(Mapping { start, len })
    }
}

/// Recovery reads every byte it maps, so the pages are mapped at once
/// rather than one fault at a time.
#[cfg(all(unix, not(miri)))]
fn populate() -> libc::c_int {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        libc::MAP_POPULATE
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        0
    }
}

#[cfg(all(unix, not(miri)))]
impl Deref for Mapping {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `len` readable bytes from `start` stay mapped until drop.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }
}

#[cfg(all(unix, not(miri)))]
impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `Mapping::of`, unmapped once.
        let _ = unsafe {
            libc::munmap(self.start.as_ptr().cast::<libc::c_void>(), self.len)
        };
    }
}
