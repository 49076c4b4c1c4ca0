//! Writing files that hold a secret (API keys, webhook signing secrets, answers that carry
//! one): readable and writable by their owner only, whether or not the file existed before.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Opens `path` for writing (created or truncated) with mode 0600 on Unix.
///
/// The mode given to `open` applies only when the file is created, so an existing file's
/// permissions are narrowed as well before anything is written to it.
pub fn create_owner_only(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Replaces `path` with `bytes` atomically: written to an owner-only temporary file in the
/// same folder, flushed to disk, then renamed over `path` (which ends up owner-only even if it
/// existed with wider permissions).
pub fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = temporary_beside(path);
    let write = || -> std::io::Result<()> {
        let mut file = create_owner_only(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}

/// `.<name>.tmp` in the folder of `path`.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secret".to_string());
    path.with_file_name(format!(".{name}.tmp"))
}
