//! The reference data (districts, departments, categories, routing rules, the holiday
//! calendar) and the staff accounts, as the management pages and `load-jurisdiction` change
//! them: typed forms in, a saved record or typed problems out, every invariant checked here
//! and every change audited here, in the change's transaction. No HTTP here.
//!
//! A record kind is a `Record` (parse a form, find, insert, update, what the stored data
//! refuses); `save` is the one write path of all of them. Accounts (`accounts`) and the
//! calendar (`calendar`) have actions of their own but audit through the same `audit`.

pub mod accounts;
pub mod calendar;
pub mod form;
mod records;

use std::fmt::Debug;
use std::sync::Arc;

pub use records::{
    move_office, CategoryForm, DepartmentForm, Dependents, DistrictForm, OfficeMove, RuleForm,
    DAY_FIELDS,
};

use self::form::{FieldErrors, RawForm, Refusal};
use crate::db::manage::{self as queries, AuditEventRow};
use crate::db::reference::{ReferenceData, RoutingRuleRow};
use crate::db::users::UserRow;
use crate::db::{AnyConnection, Database, DbError};
use crate::domain::access::{self, Role};
use crate::passwords::HashingGate;
use crate::services::now_utc;

/// Who makes a change: a signed-in staff member, or an operator loading a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        user_id: String,
        role: Role,
    },
    /// `load-jurisdiction FILE`: audited without a user, naming the file.
    Loader {
        source: String,
    },
}

impl Actor {
    fn user_id(&self) -> Option<&str> {
        match self {
            Actor::Staff { user_id, .. } => Some(user_id),
            Actor::Loader { .. } => None,
        }
    }

    fn may_manage(&self) -> bool {
        match self {
            Actor::Staff { role, .. } => access::may_manage(*role),
            Actor::Loader { .. } => true,
        }
    }
}

/// Why a management change or read did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("only administrators manage the reference data and the accounts")]
    Forbidden,
    #[error("no such record")]
    NotFound,
    /// Values that do not parse, or that the stored data refuses: a page, not a failure.
    #[error("refused: {0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Every password hashing slot stayed busy: `503` with `Retry-After`.
    #[error("every password hashing slot is busy")]
    Busy,
    #[error("unexpected: {0:#}")]
    Unexpected(#[from] anyhow::Error),
}

impl From<FieldErrors> for ManageError {
    fn from(errors: FieldErrors) -> Self {
        ManageError::Invalid(errors)
    }
}

impl ManageError {
    fn refused(field: &'static str, refusal: Refusal) -> ManageError {
        ManageError::Invalid(FieldErrors::one(field, refusal))
    }
}

// The audit trail.

/// Writes one audit event, in the transaction of the change it records: the only place
/// that does. The loader's events name the file.
pub fn audit(
    conn: &mut AnyConnection,
    actor: &Actor,
    entity: &str,
    key: &str,
    action: &str,
    detail: &str,
) -> Result<(), DbError> {
    let detail = match actor {
        Actor::Staff { .. } => detail.to_owned(),
        Actor::Loader { source } => format!("load-jurisdiction {source}: {detail}"),
    };
    queries::audit(
        conn,
        &queries::Audit {
            at: now_utc(),
            user_id: actor.user_id(),
            entity,
            entity_key: key,
            action,
            detail,
        },
    )
}

/// A record as the audit trail names and describes it.
pub trait Audited {
    /// The `entity` of its audit events.
    const ENTITY: &'static str;
    fn key(&self) -> String;
    fn active(&self) -> bool;
    /// Every field the trail shows, by the name the forms give it, as `{:?}` prints it
    /// (`shown`).
    fn audit_fields(&self) -> Vec<(&'static str, String)>;
}

/// Fields as the audit trail shows them.
pub fn shown(fields: &[(&'static str, &dyn Debug)]) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .map(|(name, value)| (*name, format!("{value:?}")))
        .collect()
}

/// "field: value; …" of a new record.
fn created_detail(record: &impl Audited) -> String {
    record
        .audit_fields()
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "field: old → new; …" of each field that differs.
fn changes_detail<A: Audited>(old: &A, new: &A) -> String {
    old.audit_fields()
        .iter()
        .zip(new.audit_fields())
        .filter(|((_, old), (_, new))| old != new)
        .map(|((name, old), (_, new))| format!("{name}: {old} → {new}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Audits `new` beside what it was (`None`: just created) and says whether anything
/// changed; `also` is added to the detail (what else the change did).
pub fn audit_change<A: Audited>(
    conn: &mut AnyConnection,
    actor: &Actor,
    old: Option<&A>,
    new: &A,
    also: Option<&str>,
) -> Result<bool, DbError> {
    let (action, mut detail) = match old {
        None => ("create", created_detail(new)),
        Some(old) => {
            let detail = changes_detail(old, new);
            if detail.is_empty() {
                return Ok(false);
            }
            let action = match (old.active(), new.active()) {
                (true, false) => "deactivate",
                (false, true) => "activate",
                _ => "update",
            };
            (action, detail)
        }
    };
    if let Some(also) = also {
        detail = format!("{detail}; {also}");
    }
    audit(conn, actor, A::ENTITY, &new.key(), action, &detail)?;
    Ok(true)
}

// Reference records.

/// How a record stands, as forms referring to it are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub active: bool,
    pub is_office: bool,
}

/// What codes in a form are checked against: the stored reference data, or, loading a
/// file, that and the file's own records.
pub trait Catalog {
    fn district(&self, code: &str) -> Option<Standing>;
    fn department(&self, code: &str) -> Option<Standing>;
    fn category(&self, code: &str) -> Option<Standing>;
}

impl Catalog for ReferenceData {
    fn district(&self, code: &str) -> Option<Standing> {
        ReferenceData::district(self, code).map(|d| Standing {
            active: d.active,
            is_office: false,
        })
    }

    fn department(&self, code: &str) -> Option<Standing> {
        ReferenceData::department(self, code).map(|d| Standing {
            active: d.active,
            is_office: d.is_office,
        })
    }

    fn category(&self, code: &str) -> Option<Standing> {
        ReferenceData::category(self, code).map(|c| Standing {
            active: c.active,
            is_office: false,
        })
    }
}

/// A kind of reference record: the one shape the pages' list / create / show / update and
/// the loader's upsert share.
pub trait Record: Audited + Clone + Send + 'static {
    type Form: RawForm + Send + 'static;
    /// Where a second record of the same key is refused, and why.
    const DUPLICATE: (&'static str, Refusal) = ("code", Refusal::DuplicateCode);

    /// The form's values as a record: a new one (`stored: None`, active) or `stored` edited
    /// (its key, and what the form does not show, kept).
    fn parse(
        form: &Self::Form,
        catalog: &dyn Catalog,
        stored: Option<&Self>,
    ) -> Result<Self, FieldErrors>;
    /// By the key of its page.
    fn find(conn: &mut AnyConnection, key: &str) -> Result<Option<Self>, DbError>;
    /// Whether `self` and `other` are the same record (one key, or one scope).
    fn same_as(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
    /// The stored record `self` would duplicate.
    fn existing(&self, conn: &mut AnyConnection) -> Result<Option<Self>, DbError> {
        Self::find(conn, &self.key())
    }
    /// Inserts it, completing what the database assigns (order, id).
    fn insert(&mut self, conn: &mut AnyConnection) -> Result<(), DbError>;
    fn update(&self, conn: &mut AnyConnection) -> Result<(), DbError>;
    /// What the stored data refuses about the change from `stored` to `self`.
    fn refusal(
        &self,
        _conn: &mut AnyConnection,
        _stored: Option<&Self>,
    ) -> Result<Option<(&'static str, Refusal)>, DbError> {
        Ok(None)
    }
    /// `self` as loading a file writes it over `stored`: what administrators set (whether it
    /// is active, its order, …) stays.
    fn loaded_over(self, stored: &Self) -> Self;
}

/// What `save` did, with the record's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Inserted(String),
    Updated(String),
    Unchanged(String),
}

impl Written {
    pub fn key(&self) -> &str {
        match self {
            Written::Inserted(key) | Written::Updated(key) | Written::Unchanged(key) => key,
        }
    }
}

/// The write path of every reference record, in the caller's transaction: the stored
/// data's refusals, then the insert (a second record of its key refused) or the update, and
/// its audit event. Nothing is written when nothing changed.
pub fn save<R: Record>(
    conn: &mut AnyConnection,
    actor: &Actor,
    stored: Option<&R>,
    mut new: R,
) -> Result<Written, ManageError> {
    if let Some((field, refusal)) = new.refusal(conn, stored)? {
        return Err(ManageError::refused(field, refusal));
    }
    let duplicate = || ManageError::refused(R::DUPLICATE.0, R::DUPLICATE.1);
    match stored {
        None => {
            if new.existing(conn)?.is_some() {
                return Err(duplicate());
            }
            match new.insert(conn) {
                // Another administrator created the same key a moment ago.
                Err(error) if error.is_unique_violation() => return Err(duplicate()),
                other => other?,
            }
            audit_change(conn, actor, None, &new, None)?;
            Ok(Written::Inserted(new.key()))
        }
        Some(old) => {
            let changed = audit_change(conn, actor, Some(old), &new, None)?;
            if !changed {
                return Ok(Written::Unchanged(new.key()));
            }
            new.update(conn)?;
            Ok(Written::Updated(new.key()))
        }
    }
}

/// The reference-data service of one actor: reads for the management pages, and every
/// change, each in one transaction.
pub struct Manager {
    db: Database,
    reference: Arc<ReferenceData>,
    actor: Actor,
    /// The instance's bound on Argon2 work: new and reset passwords are hashed under it.
    hashing: Arc<HashingGate>,
}

impl Manager {
    /// Only administrators (and the loader) manage: anyone else is refused here.
    pub fn new(
        db: Database,
        reference: Arc<ReferenceData>,
        actor: Actor,
        hashing: Arc<HashingGate>,
    ) -> Result<Manager, ManageError> {
        if !actor.may_manage() {
            return Err(ManageError::Forbidden);
        }
        Ok(Manager {
            db,
            reference,
            actor,
            hashing,
        })
    }

    pub fn reference(&self) -> &ReferenceData {
        &self.reference
    }

    /// Runs `change` in one write transaction with the actor and the reference data.
    async fn write<T, F>(&self, change: F) -> Result<T, ManageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection, &Actor, &ReferenceData) -> Result<T, ManageError>
            + Send
            + 'static,
    {
        let (actor, reference) = (self.actor.clone(), self.reference.clone());
        self.db
            .write(move |conn| change(conn, &actor, &reference))
            .await
    }

    async fn read<T, F>(&self, query: F) -> Result<T, ManageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
    {
        Ok(self.db.read(query).await?)
    }

    /// Creates a record from its form; its key.
    pub async fn create<R: Record>(&self, form: R::Form) -> Result<String, ManageError> {
        let new = R::parse(&form, self.reference(), None)?;
        let written = self
            .write(move |conn, actor, _| save(conn, actor, None, new))
            .await?;
        Ok(written.key().to_owned())
    }

    /// Changes the record of page key `key` to its form; its key.
    pub async fn update<R: Record>(&self, key: &str, form: R::Form) -> Result<String, ManageError> {
        let key = key.to_owned();
        let written = self
            .write(move |conn, actor, reference| {
                let stored = R::find(conn, &key)?.ok_or(ManageError::NotFound)?;
                let new = R::parse(&form, reference, Some(&stored))?;
                save(conn, actor, Some(&stored), new)
            })
            .await?;
        Ok(written.key().to_owned())
    }

    pub async fn find<R: Record>(&self, key: &str) -> Result<R, ManageError> {
        let key = key.to_owned();
        self.read(move |conn| R::find(conn, &key))
            .await?
            .ok_or(ManageError::NotFound)
    }

    /// Every routing rule, inactive ones included.
    pub async fn rules(&self) -> Result<Vec<RoutingRuleRow>, ManageError> {
        self.read(queries::all_rules).await
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, ManageError> {
        self.read(queries::all_users).await
    }

    /// The latest audited changes with who made them (a username, or `None`).
    pub async fn recent_changes(
        &self,
        limit: i64,
    ) -> Result<Vec<(AuditEventRow, Option<String>)>, ManageError> {
        self.read(move |conn| queries::recent_audit_events(conn, limit))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Sample {
        name: &'static str,
        active: bool,
    }

    impl Audited for Sample {
        const ENTITY: &'static str = "sample";

        fn key(&self) -> String {
            "s".into()
        }

        fn active(&self) -> bool {
            self.active
        }

        fn audit_fields(&self) -> Vec<(&'static str, String)> {
            shown(&[("name", &self.name), ("active", &self.active)])
        }
    }

    #[test]
    fn the_audit_detail_names_each_field_once_and_each_change() {
        let old = Sample {
            name: "a",
            active: true,
        };
        let new = Sample {
            name: "b",
            active: false,
        };
        assert_eq!(created_detail(&old), "name: \"a\"; active: true");
        assert_eq!(
            changes_detail(&old, &new),
            "name: \"a\" → \"b\"; active: true → false"
        );
        assert_eq!(changes_detail(&old, &old.clone()), "");
    }

    #[test]
    fn only_administrators_and_the_loader_manage() {
        let actor = |role| Actor::Staff {
            user_id: "u".into(),
            role,
        };
        assert!(actor(Role::Admin).may_manage());
        for role in [Role::Clerk, Role::Supervisor, Role::Coordinator] {
            assert!(!actor(role).may_manage(), "{role:?}");
        }
        assert!(Actor::Loader {
            source: "f.toml".into()
        }
        .may_manage());
    }
}
