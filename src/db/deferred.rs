//! Writes a transaction leaves to the end of its SQLite group commit (`writer`), made once
//! for the whole group, after every transaction's savepoint:
//!
//! - the bulletin's tallies, added up: the filings of one group share their days' rows;
//! - the full-text rows: FTS5 writes its pending terms out as a new segment at the end of
//!   every savepoint, so rows written inside each filing's savepoint made a segment (and
//!   merge work) per filing instead of one per group.
//!
//! On PostgreSQL, where each transaction commits alone, they are written at its end.

use diesel::prelude::*;

use super::bulletin::DayTallies;
use super::schema::complaint_search;
use super::{AnyConnection, DbError};
use crate::domain::ids::ComplaintId;

#[derive(Debug, Default)]
pub struct DeferredWrites {
    tallies: DayTallies,
    /// A new complaint's search terms (`complaint_search`).
    search_rows: Vec<(ComplaintId, String)>,
}

impl DeferredWrites {
    pub fn new(tallies: DayTallies, search_rows: Vec<(ComplaintId, String)>) -> DeferredWrites {
        DeferredWrites {
            tallies,
            search_rows,
        }
    }

    pub fn merge(&mut self, other: DeferredWrites) {
        self.tallies.merge(other.tallies);
        self.search_rows.extend(other.search_rows);
    }

    pub fn write(self, conn: &mut AnyConnection) -> Result<(), DbError> {
        for (id, terms) in &self.search_rows {
            diesel::insert_into(complaint_search::table)
                .values((
                    complaint_search::complaint_id.eq(id),
                    complaint_search::terms.eq(terms),
                ))
                .execute(conn)?;
        }
        self.tallies.write(conn)
    }
}
