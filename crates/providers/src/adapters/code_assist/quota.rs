//! Code Assist quotas: `POST v1internal:retrieveUserQuota {project}` answers with one bucket per
//! model (and token type), each with the fraction still available and when it refills.

use omniroute_formats::{FormatError, parse_json};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrieveUserQuotaRequest {
    pub project: String,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct RetrieveUserQuotaResponse {
    #[serde(default)]
    pub buckets: Vec<WireBucket>,
}

/// A bucket as sent; every field may be missing.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBucket {
    #[serde(default)]
    pub model_id: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub remaining_fraction: Option<f64>,
    /// An int64 in proto JSON, hence a string.
    #[serde(default)]
    pub remaining_amount: Option<String>,
    /// RFC 3339 time of the next refill.
    #[serde(default)]
    pub reset_time: Option<String>,
}

/// One model's quota.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaBucket {
    pub model_id: String,
    /// `REQUESTS`, `TOKENS`… when the server says.
    pub token_type: Option<String>,
    /// 0 (used up) to 1 (untouched).
    pub remaining_fraction: f64,
    pub remaining_amount: Option<u64>,
    /// RFC 3339, as sent.
    pub reset_time: Option<String>,
}

/// The buckets of a `retrieveUserQuota` answer. Buckets without a model id are skipped and
/// fractions are clamped to 0–1. Proto3 JSON leaves out zero values, so a bucket without a
/// fraction is used up, unless a non-zero amount says otherwise.
pub fn decode_quota(body: &[u8]) -> Result<Vec<QuotaBucket>, FormatError> {
    let response: RetrieveUserQuotaResponse = parse_json(body)?;
    Ok(response
        .buckets
        .into_iter()
        .filter_map(|b| {
            let model_id = b.model_id.filter(|m| !m.is_empty())?;
            let remaining_amount = b.remaining_amount.and_then(|a| a.trim().parse().ok());
            let remaining_fraction = match (b.remaining_fraction, remaining_amount) {
                (Some(f), _) if f.is_finite() => f.clamp(0.0, 1.0),
                (_, Some(amount)) if amount > 0 => 1.0,
                _ => 0.0,
            };
            Some(QuotaBucket {
                model_id,
                token_type: b.token_type.filter(|t| !t.is_empty()),
                remaining_fraction,
                remaining_amount,
                reset_time: b.reset_time.filter(|t| !t.is_empty()),
            })
        })
        .collect())
}
