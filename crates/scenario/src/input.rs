//! Reading the files a user names (a scenario, a request body): regular files and pipes up to a
//! size limit, read without ever holding more than the limit plus one byte; devices, sockets and
//! directories refused with a message that says what the path is (`/dev/zero` is endless).

use std::io::Read;
use std::path::Path;

/// Reads `path` whole when it is at most `limit` bytes; `what` names the file in messages
/// (`scenario`, `body file`), which name the path too.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    read(path, limit, what, true)
}

/// [`read_limited`] for text.
pub fn read_text_limited(path: &Path, limit: u64, what: &str) -> Result<String, String> {
    text(path, read(path, limit, what, true)?, what)
}

/// [`read_text_limited`] with messages that leave the path out, for errors that name the file
/// already (`file: message`).
pub fn read_text_unnamed(path: &Path, limit: u64, what: &str) -> Result<String, String> {
    text(path, read(path, limit, what, false)?, what)
}

fn read(path: &Path, limit: u64, what: &str, named: bool) -> Result<Vec<u8>, String> {
    let shown = if named {
        format!(" `{}`", path.display())
    } else {
        String::new()
    };
    let cannot = |e: std::io::Error| format!("cannot read the {what}{shown}: {e}");
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if let Some(kind) = special(&meta.file_type()) {
        return Err(format!(
            "the {what}{shown} is {kind}, not a file: give a regular file"
        ));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(&shown, what, limit, meta.len()));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut out = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(cannot)?;
    if out.len() as u64 > limit {
        return Err(too_large(&shown, what, limit, out.len() as u64));
    }
    Ok(out)
}

fn text(path: &Path, bytes: Vec<u8>, what: &str) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the {what} `{}` is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn too_large(shown: &str, what: &str, limit: u64, size: u64) -> String {
    format!(
        "the {what}{shown} is larger than the {} limit ({size} bytes or more)",
        human(limit),
    )
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes}-byte")
    }
}

/// What a path is when it is not a regular file or a pipe.
fn special(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        Some("a directory")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_is_refused_not_read_forever() {
        let e = read_limited(Path::new("/dev/zero"), 1 << 20, "scenario").unwrap_err();
        assert!(e.contains("character device"), "{e}");
        let e = read_limited(Path::new("/"), 1 << 20, "body file").unwrap_err();
        assert!(e.contains("directory"), "{e}");
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let dir = std::env::temp_dir().join(format!("perfhive-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("big");
        std::fs::write(&f, vec![b'x'; 2048]).unwrap();
        let e = read_limited(&f, 1024, "body file").unwrap_err();
        assert!(e.contains("larger than the 1024-byte limit"), "{e}");
        assert_eq!(read_limited(&f, 2048, "body file").unwrap().len(), 2048);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
