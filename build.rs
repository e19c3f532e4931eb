//! The migrations are embedded in the binary (`db::SQLITE_MIGRATIONS`, `db::POSTGRES_MIGRATIONS`):
//! a new or changed migration must rebuild it, which cargo does not know on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
