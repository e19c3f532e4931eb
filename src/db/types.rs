//! How the domain's typed values are stored: enums and id newtypes as TEXT codes on both
//! backends. A code the program does not know is an error where it is read (a
//! deserialisation error), never a quiet default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

use crate::domain::access::Role;
use crate::domain::bulletin::Measure;
use crate::domain::complaint::{
    ActorKind, Channel, ComplaintKind, ComplaintState, EventKind, Outcome,
};
use crate::domain::deadlines::DeadlineKind;
use crate::domain::ids::{ComplaintId, DepartmentCode, UserId};
use crate::domain::joint_action::{JointEventKind, JointOutcome, JointState};

/// Gives a type with `as_str(&self) -> &str` and `parse(&str) -> Option<Self>` the diesel
/// impls a `#[derive(AsExpression, FromSqlRow)]` would, for `Text` and `Nullable<Text>`
/// (the derives cannot be used: `domain` knows nothing of SQL).
macro_rules! text_column {
    ($($ty:ty),+ $(,)?) => {$(
        impl AsExpression<Text> for $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> AsExpression<Text> for &'a $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
        impl<DB> ToSql<Nullable<Text>, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                <$ty>::parse(&text).ok_or_else(|| {
                    format!("unknown {} code {text:?}", stringify!($ty)).into()
                })
            }
        }
        impl<DB, ST> Queryable<ST, DB> for $ty
        where
            DB: Backend,
            ST: diesel::sql_types::SingleValue,
            $ty: FromSql<ST, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

text_column!(
    DeadlineKind,
    Measure,
    ComplaintKind,
    ComplaintState,
    Channel,
    EventKind,
    ActorKind,
    Outcome,
    Role,
    ComplaintId,
    UserId,
    DepartmentCode,
    JointState,
    JointOutcome,
    JointEventKind,
);
