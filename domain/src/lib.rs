//! The business of NEXOS purchasing: typed models and rules shared with the
//! browser, and (behind the `server` feature) the store and services.

pub mod catalog;
pub mod error;
pub mod money;
pub mod notifications;
pub mod procurement;
pub mod purchase_orders;
pub mod quickbooks;
pub mod reports;
pub mod settings;
pub mod subscriptions;
pub mod users;
pub mod validate;

pub use error::{Error, ErrorCode, Result};

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod demo;
#[cfg(all(test, feature = "server"))]
pub(crate) mod fixtures;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod testing;
#[cfg(feature = "server")]
pub mod wiring;

#[cfg(feature = "server")]
pub use store::Store;

/// Writes an enum's table once: `ALL`, `as_str` (its stored and wire name)
/// and `parse`, and with labels `label` (for people). The enum itself, its
/// derives and serde names stay where it is defined.
#[macro_export]
macro_rules! named_enum {
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + $crate::named_enum!(@count $($tail)*) };
    ($name:ident { $($variant:ident = $text:literal, $label:literal);+ $(;)? }) => {
        $crate::named_enum!($name { $($variant = $text);+ });
        impl $name {
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }
    };
    ($name:ident { $($variant:ident = $text:literal);+ $(;)? }) => {
        impl $name {
            pub const ALL: [$name; $crate::named_enum!(@count $($variant)+)] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|x| x.as_str() == s)
            }

            /// `'a', 'b'`: the stored names of the values `which` picks,
            /// for an SQL `IN (…)` (a status list made from the enum, never
            /// written out by hand).
            #[cfg(feature = "server")]
            pub fn sql_list(which: fn(Self) -> bool) -> String {
                Self::ALL
                    .into_iter()
                    .filter(|x| which(*x))
                    .map(|x| format!("'{}'", x.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            /// A stored value read back; one this version does not know is
            /// logged and an error, never a default.
            #[cfg(feature = "server")]
            #[track_caller]
            pub fn from_stored(s: &str) -> $crate::Result<Self> {
                Self::parse(s).ok_or_else(|| {
                    $crate::Error::internal_from(
                        concat!("reading a stored ", stringify!($name)),
                        format_args!("{s:?} is not one this version knows"),
                    )
                })
            }
        }
    };
}
