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
//! Where `read` returns an error, touching a mapped page kills the process
//! (SIGBUS), so only bytes that cannot fail that way are mapped:
//!
//! - a file cut shorter under a mapping faults. Only recovery holds one,
//!   while the process holds the database's lock and before sled's own
//!   segment accounting, the one place that shortens the file, has started;
//!   the length mapped is the file's at that moment.
//! - a hole (a range never written, as a write that met a full disk can
//!   leave behind a later one) reads as zeros through `read`, but a mapped
//!   page of it must be allocated first, and on a full tmpfs it cannot be:
//!   a one-shot query on a full disk died of SIGBUS. A range with a hole is
//!   read instead (`has_hole`).
//! - on tmpfs, finding a hole (`SEEK_HOLE`) walks the file's pages from the
//!   offset to the first hole, usually the file's end: checking every
//!   segment of the log walked the rest of the file once per segment, and
//!   the open that replays a large import's log (200-600 segments) spent
//!   0.1-0.5 s in those walks (growing with the square of the log's length;
//!   elsewhere the call reads an extent tree, about a microsecond). There
//!   only bytes near the file's end are mapped (`TMPFS_MAPPED_TAIL`): what a
//!   one-shot query's recovery reads, the log's last segment and the small
//!   snapshot file; the rest is read.
//!
//! A disk that fails to read (EIO) faults a mapping too; that risk is the
//! same one every database that maps its files takes, and a disk that fails
//! to read fails the database either way.

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
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    Mapped(mapped::Mapping),
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
            #[cfg(all(
                any(target_os = "linux", target_os = "android"),
                not(miri)
            ))]
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
        #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
        {
            if let Some(mapping) =
                mapped::Mapping::of(file, offset, available, file_len)
            {
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

/// Mapping where it is known to be safe: Linux, whose `MAP_POPULATE` maps
/// every page at once and whose `SEEK_HOLE` finds holes; elsewhere bytes are
/// read.
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
mod mapped {
    use std::convert::TryFrom;
    use std::fs::File;
    use std::ops::Deref;

    use super::LogOffset;

    /// A private, read-only mapping of part of a file, unmapped when
    /// dropped.
    pub struct Mapping {
        start: std::ptr::NonNull<u8>,
        len: usize,
    }

    // The mapping is read-only and owned by this value alone.
    unsafe impl Send for Mapping {}
    unsafe impl Sync for Mapping {}

    impl Mapping {
        /// `len` bytes of `file` from `offset`, which the caller has checked
        /// the file holds; `None` where they cannot be mapped (an empty range,
        /// an offset off a page boundary, a hole, a file system that refuses),
        /// for the caller to read them instead.
        pub(super) fn of(
            file: &File,
            offset: LogOffset,
            len: usize,
            file_len: u64,
        ) -> Option<Self> {
            use std::os::unix::io::AsRawFd;

            // SAFETY: sysconf has no preconditions.
            let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            let page_size = u64::try_from(page_size).ok().filter(|&p| p > 0)?;
            if len == 0 || offset % page_size != 0 {
                return None;
            }
            if file_len.saturating_sub(offset) > TMPFS_MAPPED_TAIL
                && on_tmpfs(file)
            {
                return None;
            }
            let file_offset = libc::off_t::try_from(offset).ok()?;
            let end =
                libc::off_t::try_from(len).ok()?.checked_add(file_offset)?;
            if has_hole(file, file_offset, end) {
                return None;
            }
            // Recovery reads every byte it maps, so the pages are mapped at
            // once (MAP_POPULATE) rather than one fault at a time.
            // SAFETY: a new mapping at an address of the kernel's choosing,
            // of bytes the file holds (checked by the caller against its
            // length, and for holes); nothing else refers to it.
            let start = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_POPULATE,
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

    /// On tmpfs, how far from the file's end bytes may start and still be
    /// mapped: `SEEK_HOLE` then walks at most this much (a segment is
    /// 512 KiB).
    const TMPFS_MAPPED_TAIL: u64 = 4 << 20;

    /// Whether `file` is on tmpfs, or cannot say (then it is read, as sled
    /// always did).
    fn on_tmpfs(file: &File) -> bool {
        use std::os::unix::io::AsRawFd;

        let mut stats = std::mem::MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: fstatfs fills the buffer it is given for a descriptor this
        // `File` owns; it is read only when the call succeeded.
        unsafe {
            if libc::fstatfs(file.as_raw_fd(), stats.as_mut_ptr()) != 0 {
                return true;
            }
            // The field's and the constant's types differ between targets.
            #[allow(clippy::unnecessary_cast)]
            let tmpfs = stats.assume_init().f_type as i64
                == libc::TMPFS_MAGIC as i64;
            tmpfs
        }
    }

    /// Whether `file` has a hole between `start` and `end`, or cannot say.
    /// `SEEK_HOLE` moves the file's cursor, which is put back (sled reads and
    /// writes its files at positions, but nothing here should rely on that).
    fn has_hole(file: &File, start: libc::off_t, end: libc::off_t) -> bool {
        use std::os::unix::io::AsRawFd;

        let fd = file.as_raw_fd();
        // SAFETY: lseek on a descriptor this `File` owns; no memory involved.
        unsafe {
            let cursor = libc::lseek(fd, 0, libc::SEEK_CUR);
            // The first hole at or after `start`; a file without one has its
            // end there. A file system without the call answers for the whole
            // file as data, and an error counts as a hole.
            let hole = libc::lseek(fd, start, libc::SEEK_HOLE);
            if cursor >= 0 {
                libc::lseek(fd, cursor, libc::SEEK_SET);
            }
            hole < 0 || hole < end
        }
    }

    impl Deref for Mapping {
        type Target = [u8];

        fn deref(&self) -> &[u8] {
            // SAFETY: `len` readable bytes from `start` stay mapped until drop.
            unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: the mapping made in `Mapping::of`, unmapped once.
            let _ = unsafe {
                libc::munmap(
                    self.start.as_ptr().cast::<libc::c_void>(),
                    self.len,
                )
            };
        }
    }
}
