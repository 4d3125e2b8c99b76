//! Every value the store writes goes through here: bincode 2 with a decode
//! size limit (bincode's default is none, so a damaged length prefix would
//! try to allocate gigabytes), plus the varints of the block format.

use super::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The on-disk format version, written on creation and checked on open.
/// Bump it on any change to keys, blocks or encoded values.
pub const FORMAT_VERSION: u32 = 7;

/// The earlier format this build upgrades in place on open (SPEC 5):
/// version 6, before SPEC section 8. Its records read unchanged (the new
/// fields are an optional tail); only the benchmark indexes are built.
pub const UPGRADABLE_FROM: u32 = 6;

/// Largest value the decoder accepts. A record is at most a few 64 KiB
/// strings; a log part or block is bounded by the writer well below this.
pub(super) const DECODE_LIMIT: usize = 16 * 1024 * 1024;

/// The codec's bincode configuration.
pub(super) type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<DECODE_LIMIT>,
>;

pub(super) fn config() -> Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// Encodes a value.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| StoreError::Encode(Box::new(e)))
}

/// Decodes a value, failing on trailing bytes (a sign of damage).
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    whole(
        bincode::serde::decode_from_slice(bytes, config()),
        bytes.len(),
        what,
    )
}

/// Decodes a value that may borrow from `bytes` (a `&str` field), failing
/// on trailing bytes like [`decode`]: for reads of millions of index
/// entries, where allocating each string was most of the time.
pub fn decode_borrowed<'a, T: serde::Deserialize<'a>>(
    bytes: &'a [u8],
    what: &str,
) -> Result<T, StoreError> {
    whole(
        bincode::serde::borrow_decode_from_slice(bytes, config()),
        bytes.len(),
        what,
    )
}

/// Decodes the first fields of a value, which may borrow from `bytes`,
/// ignoring the bytes after them: `T` lists the leading fields of the
/// encoded type, in order.
pub fn decode_borrowed_prefix<'a, T: serde::Deserialize<'a>>(
    bytes: &'a [u8],
    what: &str,
) -> Result<T, StoreError> {
    bincode::serde::borrow_decode_from_slice(bytes, config())
        .map(|(value, _)| value)
        .map_err(|e| undecodable(what, e))
}

/// The error of bytes that do not decode as `what`.
fn undecodable(what: &str, e: bincode::error::DecodeError) -> StoreError {
    StoreError::Damaged {
        path: None,
        what: format!("{what}: {e}"),
        source: Some(Box::new(e)),
    }
}

/// A decoded value that took all `len` bytes, or the error saying why not.
fn whole<T>(
    decoded: Result<(T, usize), bincode::error::DecodeError>,
    len: usize,
    what: &str,
) -> Result<T, StoreError> {
    match decoded {
        Ok((value, used)) if used == len => Ok(value),
        Ok(_) => Err(StoreError::damaged(format!(
            "{what}: trailing bytes after the value"
        ))),
        Err(e) => Err(undecodable(what, e)),
    }
}

/// Decodes a value at the start of `bytes`, returning it and the number of
/// bytes it took: for records whose optional tail (SPEC 8 fields) follows.
pub fn decode_prefix<T: DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<(T, usize), StoreError> {
    bincode::serde::decode_from_slice(bytes, config()).map_err(|e| undecodable(what, e))
}

/// Appends an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads an unsigned LEB128 varint at `*pos`, advancing it; `None` if the
/// bytes run out or the number overflows.
pub fn get_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        n |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut v = Vec::new();
            put_varint(&mut v, n);
            let mut pos = 0;
            assert_eq!(get_varint(&v, &mut pos), Some(n));
            assert_eq!(pos, v.len());
        }
        assert_eq!(get_varint(&[0x80], &mut 0), None);
        assert_eq!(get_varint(&[0xFF; 11], &mut 0), None);
    }

    #[test]
    fn damaged_length_prefix_is_an_error_not_an_abort() {
        // A string claiming to be ~2^60 bytes long.
        let bytes = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, b'a'];
        let got: Result<String, _> = decode(&bytes, "test");
        assert!(got.is_err());
        let ok: String =
            decode(&encode(&"hello".to_string()).expect("encodes"), "test").expect("decodes");
        assert_eq!(ok, "hello");
    }
}
