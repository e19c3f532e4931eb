//! The rules of complaint handling, pure: states and transitions, routing, working days,
//! tracking codes and field parsing. Nothing here touches HTTP, SQL, clocks or randomness
//! of its own; callers pass in `now`, `today` and the random source.

pub mod access;
pub mod attachment;
pub mod calendar;
pub mod complaint;
pub mod fields;
pub mod intake;
pub mod login;
pub mod routing;
pub mod search;
pub mod tracking_code;
