//! The rules of complaint handling, pure: states and transitions, routing, working days,
//! tracking codes and field parsing. Nothing here touches HTTP, SQL, clocks or randomness
//! of its own; callers pass in `now`, `today` and the random source.

/// An enum with a stable text code per variant: the codes stored in the database, used
/// in forms and URLs, and parsed back (`None` for a code the program does not know).
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        /// Compares with a stored or typed code, as tests and templates read them.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod attachment;
pub mod bulletin;
pub mod business;
pub mod calendar;
pub mod complaint;
pub mod deadlines;
pub mod fields;
pub mod ids;
pub mod intake;
pub mod joint_action;
pub mod login;
pub mod public_id;
pub mod rejection;
pub mod routing;
pub mod search;
pub mod tracking_code;
