//! Files only the service's own user may read (issue 14, item 11): the data folder `0700`,
//! the database with its WAL and shared-memory files, the secret key and the `.eml` files
//! `0600`. Set explicitly where we create them, and tightened at start-up where an older
//! version left them readable; `restrict_umask` covers what libraries create on their own.

use std::path::Path;

use anyhow::Context as _;

const PRIVATE_DIR: u32 = 0o700;
const PRIVATE_FILE: u32 = 0o600;

/// Sets the process umask to `077`, so that every file and folder created from now on —
/// by us or by a library, such as SQLite's `-wal`/`-shm` files or a new journal — is
/// private to this user, whatever umask the service was started with. Call first in
/// `main`, before any thread starts (the umask is per process).
pub fn restrict_umask() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and missing parents) `0700`, and makes `dir` itself `0700` if it was not.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR)
            .create(dir)
            .with_context(|| format!("creating the folder {}", dir.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the folder {}", dir.display()))?;
    restrict(dir, PRIVATE_DIR)
}

/// Options that create a file `0600`.
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
    options
}

/// Makes an existing file `0600` (nothing if it does not exist).
pub fn restrict_file(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        restrict(path, PRIVATE_FILE)?;
    }
    Ok(())
}

/// The SQLite database file `0600`, created empty with that mode if missing (an empty file
/// is an empty database), before SQLite opens it: SQLite gives its `-wal` and `-shm` files
/// the mode of the database file. Existing ones are tightened too.
pub fn prepare_sqlite_file(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        match private_file_options()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    restrict_file(path)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        restrict_file(Path::new(&name))?;
    }
    Ok(())
}

fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let current = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if current != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("making {} private ({mode:o})", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
