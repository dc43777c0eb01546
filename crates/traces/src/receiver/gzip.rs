//! Bounded gzip decompression for request bodies (HTTP `Content-Encoding: gzip`, gRPC
//! `grpc-encoding: gzip`).
//!
//! The output is capped at the size limit while it is produced: a few kilobytes that would
//! expand to gigabytes (a zip bomb) cost at most `limit + 1` bytes of memory before they are
//! refused.

use std::io::Read;

use flate2::read::MultiGzDecoder;

/// Why a gzip body could not be decompressed.
#[derive(Debug)]
pub(crate) enum GunzipError {
    /// The decompressed data exceeds the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The data is not valid gzip (bad header, corrupt stream, wrong checksum, truncated).
    Corrupt(std::io::Error),
}

impl std::fmt::Display for GunzipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => {
                write!(f, "decompressed body exceeds the {limit}-byte limit")
            }
            Self::Corrupt(e) => write!(f, "invalid gzip data: {e}"),
        }
    }
}

/// Decompresses `data` (one or more concatenated gzip members, RFC 1952), refusing output
/// larger than `limit` bytes without producing more than `limit + 1` of them.
pub(crate) fn gunzip_bounded(data: &[u8], limit: usize) -> Result<Vec<u8>, GunzipError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit));
    MultiGzDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(GunzipError::Corrupt)?;
    if out.len() > limit {
        return Err(GunzipError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_concatenated_members() {
        let data = b"hello, spans".repeat(100);
        assert_eq!(gunzip_bounded(&gzip(&data), data.len()).unwrap(), data);
        let mut two = gzip(b"ab");
        two.extend(gzip(b"cd"));
        assert_eq!(gunzip_bounded(&two, 4).unwrap(), b"abcd");
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        // 16 MiB of zeros compress to about 16 KiB; the limit is 64 KiB.
        let bomb = gzip(&vec![0u8; 16 << 20]);
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        assert!(matches!(
            gunzip_bounded(&bomb, 64 << 10),
            Err(GunzipError::TooLarge { limit: 65536 })
        ));
        // exactly at the limit is fine
        assert_eq!(gunzip_bounded(&gzip(&[7; 100]), 100).unwrap().len(), 100);
    }

    #[test]
    fn corrupt_and_truncated_data_are_errors() {
        assert!(matches!(
            gunzip_bounded(b"not gzip at all", 1024),
            Err(GunzipError::Corrupt(_))
        ));
        let z = gzip(&b"x".repeat(1000));
        assert!(matches!(
            gunzip_bounded(&z[..z.len() - 6], 4096),
            Err(GunzipError::Corrupt(_))
        ));
    }
}
