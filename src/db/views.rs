//! A member's saved queue views (issue 16): a name for a filter URL, per user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::saved_views;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = saved_views)]
pub struct SavedViewRow {
    pub id: i64,
    pub user_id: String,
    pub name: String,
    pub query: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = saved_views)]
pub struct NewSavedViewRow {
    pub user_id: String,
    pub name: String,
    pub query: String,
    pub created_at: NaiveDateTime,
}

pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<SavedViewRow>, DbError> {
    Ok(saved_views::table
        .filter(saved_views::user_id.eq(user_id))
        .order(saved_views::name)
        .select(SavedViewRow::as_select())
        .load(conn)?)
}

/// Saves a view, or renames the query of the member's view of that name.
pub fn save(conn: &mut AnyConnection, row: &NewSavedViewRow) -> Result<(), DbError> {
    let updated = diesel::update(
        saved_views::table
            .filter(saved_views::user_id.eq(&row.user_id))
            .filter(saved_views::name.eq(&row.name)),
    )
    .set(saved_views::query.eq(&row.query))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(saved_views::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes the member's view `id`; `false` when they have none of that id.
pub fn delete(conn: &mut AnyConnection, user_id: &str, id: i64) -> Result<bool, DbError> {
    let deleted = diesel::delete(
        saved_views::table
            .filter(saved_views::id.eq(id))
            .filter(saved_views::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

pub fn count_of_user(conn: &mut AnyConnection, user_id: &str) -> Result<i64, DbError> {
    Ok(saved_views::table
        .filter(saved_views::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}
