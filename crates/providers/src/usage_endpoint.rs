//! Quota windows from the subscription providers' usage endpoints — the same figures their own
//! apps show — for the accounts in use, when the answers' headers say nothing recent. Which
//! endpoint is catalog data (`oauth.usage`); the request and answer shapes differ per
//! provider and live here. The parsing is pure: the answer and the time come in.

use serde::{Deserialize, Serialize};

use crate::quota::{Window, rfc3339_unix_ms};

/// Which provider's usage answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum UsageFormat {
    /// `GET api.anthropic.com/api/oauth/usage`: `five_hour`, `seven_day`, `seven_day_*`.
    Claude,
    /// `GET chatgpt.com/backend-api/wham/usage`: `rate_limit.{primary,secondary}_window`.
    Codex,
    /// `GET api.github.com/copilot_internal/user`: `quota_snapshots`, `quota_reset_date`.
    Copilot,
    /// `POST v1internal:retrieveUserQuota {project}`: `buckets`.
    CodeAssist,
    /// CodeWhisperer `GET getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST`:
    /// `usageBreakdownList`.
    Kiro,
}

/// Where an account's usage is read (catalog data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    pub url: String,
    pub format: UsageFormat,
}

const SOURCE: &str = "usage-endpoint";

fn window(name: impl Into<String>, fraction: f64, resets_at: Option<i64>) -> Window {
    Window {
        window: name.into(),
        used: None,
        limit: None,
        used_fraction: fraction.clamp(0.0, 1.0),
        resets_at,
        source: SOURCE,
        overage: false,
    }
}

#[derive(Deserialize)]
struct ClaudePeriod {
    /// Percent (0–100).
    #[serde(default)]
    utilization: Option<f64>,
    #[serde(default)]
    resets_at: Option<String>,
}

#[derive(Deserialize)]
struct ClaudeUsage {
    #[serde(default)]
    five_hour: Option<ClaudePeriod>,
    #[serde(default)]
    seven_day: Option<ClaudePeriod>,
    #[serde(default)]
    seven_day_opus: Option<ClaudePeriod>,
    #[serde(default)]
    seven_day_sonnet: Option<ClaudePeriod>,
    #[serde(default)]
    extra_usage: Option<ClaudeExtra>,
}

#[derive(Deserialize)]
struct ClaudeExtra {
    #[serde(default)]
    is_enabled: bool,
    #[serde(default)]
    monthly_limit: Option<f64>,
    #[serde(default)]
    used_credits: Option<f64>,
}

#[derive(Deserialize)]
struct CodexUsage {
    rate_limit: Option<CodexLimits>,
}

#[derive(Deserialize)]
struct CodexLimits {
    #[serde(default)]
    primary_window: Option<CodexWindow>,
    #[serde(default)]
    secondary_window: Option<CodexWindow>,
}

#[derive(Deserialize)]
struct CodexWindow {
    used_percent: f64,
    /// Unix seconds.
    #[serde(default)]
    reset_at: Option<i64>,
    #[serde(default)]
    reset_after_seconds: Option<i64>,
    #[serde(default)]
    limit_window_seconds: Option<i64>,
}

#[derive(Deserialize)]
struct CopilotUser {
    #[serde(default)]
    quota_reset_date: Option<String>,
    #[serde(default)]
    quota_snapshots: std::collections::BTreeMap<String, CopilotSnapshot>,
}

#[derive(Deserialize)]
struct CopilotSnapshot {
    #[serde(default)]
    entitlement: Option<f64>,
    #[serde(default)]
    remaining: Option<f64>,
    #[serde(default)]
    percent_remaining: Option<f64>,
    #[serde(default)]
    unlimited: bool,
    /// Premium requests past the entitlement are served and billed.
    #[serde(default)]
    overage_permitted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KiroUsage {
    #[serde(default)]
    usage_breakdown_list: Vec<KiroBreakdown>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KiroBreakdown {
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    current_usage: Option<f64>,
    #[serde(default)]
    usage_limit: Option<f64>,
    /// Unix seconds (a float in the answer).
    #[serde(default)]
    next_date_reset: Option<f64>,
}

/// A window's name for Codex's minutes (300 → `5h`, 10080 → `weekly`).
fn codex_name(window: &CodexWindow, fallback: &str) -> String {
    match window.limit_window_seconds.map(|s| s / 60) {
        Some(300) => "5h".into(),
        Some(10_080) => "weekly".into(),
        Some(1440) => "daily".into(),
        Some(minutes) if minutes > 0 => format!("{minutes}m"),
        _ => fallback.into(),
    }
}

/// The windows an answer of `format` reports, at `now_ms`.
pub fn parse(format: UsageFormat, body: &[u8], now_ms: i64) -> Result<Vec<Window>, String> {
    let invalid = |e: serde_json::Error| format!("unreadable usage answer: {e}");
    Ok(match format {
        UsageFormat::Claude => {
            let usage: ClaudeUsage = serde_json::from_slice(body).map_err(invalid)?;
            let mut out: Vec<Window> = [
                ("5h", usage.five_hour),
                ("weekly", usage.seven_day),
                ("weekly-opus", usage.seven_day_opus),
                ("weekly-sonnet", usage.seven_day_sonnet),
            ]
            .into_iter()
            .filter_map(|(name, period)| {
                let period = period?;
                Some(window(
                    name,
                    period.utilization? / 100.0,
                    period.resets_at.as_deref().and_then(rfc3339_unix_ms),
                ))
            })
            .collect();
            // With extra usage on, Claude serves past the plan's windows and bills it.
            let extra_on = usage.extra_usage.as_ref().is_some_and(|e| e.is_enabled);
            for w in &mut out {
                w.overage = extra_on;
            }
            if let Some(extra) = usage.extra_usage.filter(|e| e.is_enabled)
                && let (Some(used), Some(limit)) = (extra.used_credits, extra.monthly_limit)
                && limit > 0.0
            {
                out.push(Window {
                    used: Some(used),
                    limit: Some(limit),
                    ..window("extra-usage", used / limit, None)
                });
            }
            out
        }
        UsageFormat::Codex => {
            let usage: CodexUsage = serde_json::from_slice(body).map_err(invalid)?;
            let limits = usage
                .rate_limit
                .ok_or("the usage answer has no rate_limit")?;
            [
                (limits.primary_window, "primary"),
                (limits.secondary_window, "secondary"),
            ]
            .into_iter()
            .filter_map(|(w, fallback)| {
                let w = w?;
                let resets_at = w.reset_at.map(|s| s.saturating_mul(1000)).or_else(|| {
                    w.reset_after_seconds
                        .map(|s| now_ms + s.saturating_mul(1000))
                });
                Some(window(
                    codex_name(&w, fallback),
                    w.used_percent / 100.0,
                    resets_at,
                ))
            })
            .collect()
        }
        UsageFormat::Copilot => {
            let user: CopilotUser = serde_json::from_slice(body).map_err(invalid)?;
            let resets_at = user
                .quota_reset_date
                .as_deref()
                .and_then(|d| rfc3339_unix_ms(&format!("{}T00:00:00Z", d.get(..10).unwrap_or(d))));
            user.quota_snapshots
                .into_iter()
                .filter(|(_, s)| !s.unlimited)
                .filter_map(|(name, s)| {
                    let fraction = match (s.percent_remaining, s.entitlement, s.remaining) {
                        (Some(pct), _, _) => 1.0 - pct / 100.0,
                        (None, Some(all), Some(left)) if all > 0.0 => 1.0 - left / all,
                        _ => return None,
                    };
                    Some(Window {
                        used: s
                            .entitlement
                            .zip(s.remaining)
                            .map(|(a, r)| (a - r).max(0.0)),
                        limit: s.entitlement,
                        overage: s.overage_permitted,
                        ..window(name.replace('_', "-"), fraction, resets_at)
                    })
                })
                .collect()
        }
        UsageFormat::CodeAssist => crate::adapters::code_assist::decode_quota(body)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|b| {
                let name = match &b.token_type {
                    Some(kind) => format!("{} {}", b.model_id, kind.to_ascii_lowercase()),
                    None => b.model_id.clone(),
                };
                window(
                    name,
                    1.0 - b.remaining_fraction,
                    b.reset_time.as_deref().and_then(rfc3339_unix_ms),
                )
            })
            .collect(),
        UsageFormat::Kiro => {
            let usage: KiroUsage = serde_json::from_slice(body).map_err(invalid)?;
            usage
                .usage_breakdown_list
                .into_iter()
                .filter_map(|b| {
                    let (used, limit) = (b.current_usage?, b.usage_limit?);
                    (limit > 0.0).then(|| Window {
                        used: Some(used),
                        limit: Some(limit),
                        ..window(
                            b.resource_type.map_or("monthly".into(), |r| {
                                r.to_ascii_lowercase().replace('_', "-")
                            }),
                            used / limit,
                            b.next_date_reset.map(|s| (s * 1000.0) as i64),
                        )
                    })
                })
                .collect()
        }
    })
}

#[cfg(test)]
#[path = "usage_endpoint_tests.rs"]
mod tests;

/// What the usage request needs of the account.
pub struct Account<'a> {
    /// The OAuth token itself (Copilot's usage wants the GitHub token, not the API token).
    pub oauth_token: &'a str,
    /// ChatGPT's account id.
    pub account_id: Option<&'a str>,
    /// Code Assist's project, Kiro's profile ARN.
    pub project: Option<&'a str>,
}

#[derive(Serialize)]
struct ProjectBody<'a> {
    project: &'a str,
}

/// Longest usage answer read.
const MAX_ANSWER: usize = 256 * 1024;

/// Asks `spec`'s endpoint for `account`'s usage.
pub async fn fetch(
    client: &reqwest::Client,
    spec: &UsageSpec,
    account: Account<'_>,
    now_ms: i64,
) -> Result<Vec<Window>, String> {
    let request = match spec.format {
        UsageFormat::Claude => client
            .get(&spec.url)
            .bearer_auth(account.oauth_token)
            .header("anthropic-beta", "oauth-2025-04-20"),
        UsageFormat::Codex => {
            let mut r = client.get(&spec.url).bearer_auth(account.oauth_token);
            if let Some(id) = account.account_id {
                r = r.header("chatgpt-account-id", id);
            }
            r
        }
        UsageFormat::Copilot => client
            .get(&spec.url)
            .header("authorization", format!("token {}", account.oauth_token))
            .header("user-agent", "OmniRoute"),
        UsageFormat::CodeAssist => client
            .post(&spec.url)
            .bearer_auth(account.oauth_token)
            .json(&ProjectBody {
                project: account.project.ok_or("no Code Assist project")?,
            }),
        UsageFormat::Kiro => {
            let mut query = vec![("origin", "AI_EDITOR"), ("resourceType", "AGENTIC_REQUEST")];
            if let Some(arn) = account.project {
                query.push(("profileArn", arn));
            }
            client
                .get(&spec.url)
                .query(&query)
                .bearer_auth(account.oauth_token)
        }
    };
    let mut response = request
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out"
            } else {
                "request failed"
            }
            .to_owned()
        })?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "the answer broke off".to_owned())?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err("the usage answer is too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        return Err(format!("the usage endpoint answered {status}"));
    }
    parse(spec.format, &body, now_ms)
}
