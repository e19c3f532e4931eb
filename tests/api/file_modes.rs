//! Files only the service's user may read (issue 14, item 11): the data folder `0700`
//! (tightened if an older version left it open), the database and its `-wal`/`-shm`, and
//! the `.eml` files `0600`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use green_channel::db::DatabaseLocation;

use crate::helpers::{spawn_app_with, valid_complaint};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_data_folder_and_its_files_are_private() {
    let app = spawn_app_with(|c| {
        let data = c.data_dir.join("data");
        // An older version's folder, open to everyone.
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        if let DatabaseLocation::SqliteFile(_) = c.database {
            c.database = DatabaseLocation::SqliteFile(data.join("green-channel.db"));
        }
        c.data_dir = data;
    })
    .await;
    app.file_valid(valid_complaint()).await;
    app.dispatch_all_pending_emails().await;
    let data = &app.data_dir;
    assert_eq!(mode(data), 0o700, "the data folder");
    let mail = data.join("mail");
    assert_eq!(mode(&mail), 0o700, "the mail folder");
    let emails: Vec<_> = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!emails.is_empty(), "emails were written");
    for email in &emails {
        assert_eq!(mode(email), 0o600, "{}", email.display());
    }
    if let DatabaseLocation::SqliteFile(db) = &app.config.database {
        // The WAL and shared-memory files exist while the database is open.
        for suffix in ["", "-wal", "-shm"] {
            let path = format!("{}{suffix}", db.display());
            assert_eq!(mode(Path::new(&path)), 0o600, "{path}");
        }
    }
}

#[test]
fn a_generated_secret_key_and_its_folder_are_private() {
    use clap::Parser as _;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: green_channel::config::Settings,
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    Cli::parse_from(["gc", "--data-dir", data.to_str().unwrap()])
        .settings
        .into_config()
        .unwrap();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("secret_key")), 0o600);
    // A key an older version left readable is made private at the next start.
    std::fs::set_permissions(
        data.join("secret_key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    Cli::parse_from(["gc", "--data-dir", data.to_str().unwrap()])
        .settings
        .into_config()
        .unwrap();
    assert_eq!(mode(&data.join("secret_key")), 0o600);
}
