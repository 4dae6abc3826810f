//! Enums that a scenario spells as fixed strings (`"GT"`, `"info"`, ...).
//!
//! [`string_enum!`] gives each one `ALL`, `as_str`, `from_name`, `Display`,
//! and serde impls whose error names the kind of value and lists every
//! accepted spelling: `unknown operator 'GTX', expected one of AND, OR, ...`.

use crate::prelude::*;
/// Joins the spellings of a string enum for an error message.
pub(crate) fn list(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order the documentation lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in scenario JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value with this exact spelling, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The error message for a spelling that is not one of ours.
            pub(crate) fn unknown_message(name: &str) -> String {
                format!(
                    "unknown {} '{}', expected one of {}",
                    $what,
                    name,
                    $crate::names::list(Self::ALL.iter().map(|v| v.as_str()))
                )
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = String;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                Self::from_name(name).ok_or_else(|| Self::unknown_message(name))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <::alloc::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::from_name(&name)
                    .ok_or_else(|| <D::Error as ::serde::de::Error>::custom(Self::unknown_message(&name)))
            }
        }
    };
}

pub(crate) use string_enum;
