//! `Tagged<T>`: an element of an internally tagged list (`{"type": …}`) kept together with its
//! `type`. Wire enums read block and tool types they do not model into a unit `Unknown`/`Other`
//! variant, so that a relayed body keeps them; the tag is what lets a decoder name such an
//! element when it records it as untranslatable (`part type 'document'`). `lenient` reads the
//! request parameters that are only inspected to be refused.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Tagged<T> {
    /// The element's `type` as sent (empty when absent or not a string; empty for elements
    /// the gateway writes itself, whose type comes from `value`).
    pub kind: String,
    pub value: T,
}

impl<T> From<T> for Tagged<T> {
    fn from(value: T) -> Self {
        Self {
            kind: String::new(),
            value,
        }
    }
}

/// Reads the element as a JSON value first to see its tag, then as `T`. Internally tagged
/// enums buffer the element the same way, so this costs no precision in error messages: the
/// element's path is still reported by `parse_json`.
impl<'de, T: DeserializeOwned> Deserialize<'de> for Tagged<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let value = T::deserialize(value).map_err(D::Error::custom)?;
        Ok(Self { kind, value })
    }
}

/// Written as the element itself.
impl<T: Serialize> Serialize for Tagged<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

/// For fields read only to be refused when translated (`n`, `logprobs`, …): a value of an
/// unexpected type reads as absent rather than failing a request that a same-format upstream
/// would judge itself.
pub fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}
