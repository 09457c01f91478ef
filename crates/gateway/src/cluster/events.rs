//! What instances tell each other through Redis. Pure.

use omniroute_routing::cooldown::Reason;
use serde::{Deserialize, Serialize};

use omniroute_providers::quota::Window;

/// One change another instance must apply to its own live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// Configuration changed in the database: read it again.
    Reload,
    /// A provider's breaker opened for `ms`.
    #[serde(rename_all = "camelCase")]
    BreakerOpen { provider: String, ms: u64 },
    /// An account, or one model on it, rests for `ms`.
    #[serde(rename_all = "camelCase")]
    Rest {
        connection: String,
        model: Option<String>,
        ms: u64,
        reason: Reason,
    },
    /// "Reset all": every breaker and rest ends.
    ResetHealth,
    /// Every account's rest on one model ends (a force-unlock).
    #[serde(rename_all = "camelCase")]
    ClearModel { model: String },
    /// A dashboard session was ended (logout) before its expiry (Unix s).
    #[serde(rename_all = "camelCase")]
    Revoke { jti: String, exp: i64 },
    /// An account's quota windows as an answer or a usage endpoint reported them.
    #[serde(rename_all = "camelCase")]
    Quota {
        account: String,
        windows: Vec<SharedWindow>,
    },
    /// A key spent `cost` US dollars at `at_ms`.
    #[serde(rename_all = "camelCase")]
    Spend { key: String, cost: f64, at_ms: i64 },
}

/// A quota window on the wire (its source named by text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedWindow {
    pub window: String,
    pub used: Option<f64>,
    pub limit: Option<f64>,
    pub used_fraction: f64,
    pub resets_at: Option<i64>,
    pub source: String,
    pub overage: bool,
}

impl From<&Window> for SharedWindow {
    fn from(w: &Window) -> Self {
        Self {
            window: w.window.clone(),
            used: w.used,
            limit: w.limit,
            used_fraction: w.used_fraction,
            resets_at: w.resets_at,
            source: w.source.to_owned(),
            overage: w.overage,
        }
    }
}

impl From<SharedWindow> for Window {
    fn from(w: SharedWindow) -> Self {
        Self {
            window: w.window,
            used: w.used,
            limit: w.limit,
            used_fraction: w.used_fraction.clamp(0.0, 1.0),
            resets_at: w.resets_at,
            source: match w.source.as_str() {
                "usage-endpoint" => "usage-endpoint",
                "observed" => "observed",
                _ => "headers",
            },
            overage: w.overage,
        }
    }
}

/// An event with the instance that sent it (which ignores its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub from: String,
    #[serde(flatten)]
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_as_tagged_json() {
        let e = Envelope {
            from: "a1".into(),
            event: Event::Rest {
                connection: "c".into(),
                model: Some("openai/gpt".into()),
                ms: 1500,
                reason: Reason::RateLimited,
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"from":"a1","kind":"rest","connection":"c","model":"openai/gpt","ms":1500,"reason":"rate_limited"}"#
        );
        assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), e);
        assert!(serde_json::from_str::<Envelope>(r#"{"from":"a","kind":"nope"}"#).is_err());
    }
}
