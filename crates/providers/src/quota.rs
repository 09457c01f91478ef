//! Quota windows read from the headers of every answer, for free: how much of each of an
//! account's limits is used and when it resets. Pure: headers and the time come in.
//!
//! - OpenAI and compatibles: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (reset as a
//!   Go duration, `6m0s`).
//! - Anthropic API keys: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-
//!   {limit,remaining,reset}` (reset as RFC 3339).
//! - Claude subscriptions: `anthropic-ratelimit-unified-{5h,7d}-{utilization,reset}` (0–1, Unix
//!   seconds).
//! - Codex: `x-codex-{primary,secondary}-{used-percent,window-minutes,reset-after-seconds,
//!   reset-at}`.

use serde::Serialize;

/// One limit of an account.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    /// `5h`, `weekly`, `requests`, `tokens`, `input-tokens`, …
    pub window: String,
    pub used: Option<f64>,
    pub limit: Option<f64>,
    /// 0 (unused) to 1 (exhausted).
    pub used_fraction: f64,
    /// Unix ms.
    #[ts(type = "number | null")]
    pub resets_at: Option<i64>,
    /// Where the figures came from: `headers` (an answer's), `usage-endpoint`, `observed` (a 429).
    pub source: &'static str,
    /// Past this limit the provider goes on serving and bills it as extra usage (Claude's extra
    /// usage, Copilot's premium overage): used up, it stops the account only for an account set
    /// to "plan limits only".
    #[serde(default)]
    pub overage: bool,
}

impl Window {
    /// Used up, and not reset yet at `now_unix_ms`.
    pub fn exhausted(&self, now_unix_ms: i64) -> bool {
        self.used_fraction >= 1.0 && self.resets_at.is_some_and(|at| at > now_unix_ms)
    }

    /// Used up so that the account may not serve: a window the provider would go on serving
    /// past at extra cost stops only an account that keeps to its plan's limits.
    pub fn stops(&self, now_unix_ms: i64, plan_limits_only: bool) -> bool {
        self.exhausted(now_unix_ms) && (plan_limits_only || !self.overage)
    }
}

/// A quota window that resets on the calendar (catalog data).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct CalendarReset {
    /// `daily` or `monthly`.
    pub window: String,
    /// The local time of day it resets, `HH:MM` (default midnight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The provider's time zone as minutes east of UTC (Beijing: 480).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Monthly windows: the day of the month it resets (default the 1st).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
}

impl CalendarReset {
    /// The first reset after `now_unix_ms`; `None` for a window this build does not know.
    pub fn next_after(&self, now_unix_ms: i64) -> Option<i64> {
        const DAY_MS: i64 = 86_400_000;
        let offset = i64::from(self.utc_offset_minutes) * 60_000;
        let time_of_day = match self.at.as_deref() {
            Some(at) => {
                let (h, m) = at.split_once(':')?;
                let (h, m) = (h.trim().parse::<i64>().ok()?, m.trim().parse::<i64>().ok()?);
                if !(0..24).contains(&h) || !(0..60).contains(&m) {
                    return None;
                }
                (h * 60 + m) * 60_000
            }
            None => 0,
        };
        let local = now_unix_ms + offset;
        let today = local.div_euclid(DAY_MS);
        let local_next = match self.window.as_str() {
            "daily" => {
                let candidate = today * DAY_MS + time_of_day;
                if candidate > local {
                    candidate
                } else {
                    candidate + DAY_MS
                }
            }
            "monthly" => {
                let day = i64::from(self.day.unwrap_or(1).clamp(1, 28));
                let (year, month, _) = civil_from_days(today);
                let at = |y: i64, m: i64| days_from_civil(y, m, day) * DAY_MS + time_of_day;
                let this_month = at(year, month);
                if this_month > local {
                    this_month
                } else if month == 12 {
                    at(year + 1, 1)
                } else {
                    at(year, month + 1)
                }
            }
            _ => return None,
        };
        Some(local_next - offset)
    }
}

/// Whether `name` (lower-case) is one of the headers `from_headers` reads.
pub fn is_quota_header(name: &str) -> bool {
    ["x-ratelimit-", "anthropic-ratelimit-", "x-codex-"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The windows an answer's headers report (`name` lower-case), at `now_unix_ms`.
pub fn from_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    now_unix_ms: i64,
) -> Vec<Window> {
    let headers: Vec<(String, &str)> = headers
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim()))
        .collect();
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    let number = |name: &str| get(name).and_then(|v| v.parse::<f64>().ok());
    let mut out = Vec::new();
    // Limit / remaining / reset triples.
    let triples: [(&str, String, String, String, Reset); 6] = [
        triple("requests", "x-ratelimit-", "-requests", Reset::Duration),
        triple("tokens", "x-ratelimit-", "-tokens", Reset::Duration),
        anthropic("requests"),
        anthropic("tokens"),
        anthropic("input-tokens"),
        anthropic("output-tokens"),
    ];
    for (window, limit, remaining, reset, kind) in triples {
        let (Some(limit), Some(remaining)) = (number(&limit), number(&remaining)) else {
            continue;
        };
        if limit <= 0.0 {
            continue;
        }
        let used = (limit - remaining).max(0.0);
        let resets_at = get(&reset).and_then(|v| match kind {
            Reset::Duration => go_duration_ms(v).map(|ms| now_unix_ms + ms),
            Reset::Rfc3339 => rfc3339_unix_ms(v),
        });
        out.push(Window {
            window: window.to_owned(),
            used: Some(used),
            limit: Some(limit),
            used_fraction: (used / limit).clamp(0.0, 1.0),
            resets_at,
            source: "headers",
            overage: false,
        });
    }
    let overage = claude_overage_allowed(get("anthropic-ratelimit-unified-overage-status"));
    for (span, window) in [("5h", "5h"), ("7d", "weekly")] {
        let prefix = format!("anthropic-ratelimit-unified-{span}-");
        if let Some(utilization) = number(&format!("{prefix}utilization")) {
            out.push(Window {
                window: window.to_owned(),
                used: None,
                limit: None,
                used_fraction: utilization.clamp(0.0, 1.0),
                resets_at: number(&format!("{prefix}reset")).map(|s| (s * 1000.0) as i64),
                source: "headers",
                overage,
            });
        }
    }
    for which in ["primary", "secondary"] {
        let prefix = format!("x-codex-{which}-");
        let Some(percent) = number(&format!("{prefix}used-percent")) else {
            continue;
        };
        let window = match number(&format!("{prefix}window-minutes")).map(|m| m as i64) {
            Some(300) => "5h".to_owned(),
            Some(10_080) => "weekly".to_owned(),
            Some(1_440) => "daily".to_owned(),
            Some(minutes) => format!("{minutes}m"),
            None => which.to_owned(),
        };
        let resets_at = number(&format!("{prefix}reset-at"))
            .map(|s| (s * 1000.0) as i64)
            .or_else(|| {
                number(&format!("{prefix}reset-after-seconds"))
                    .map(|s| now_unix_ms + (s * 1000.0) as i64)
            });
        out.push(Window {
            window,
            used: None,
            limit: None,
            used_fraction: (percent / 100.0).clamp(0.0, 1.0),
            resets_at,
            source: "headers",
            overage: false,
        });
    }
    out
}

/// Whether Claude's `anthropic-ratelimit-unified-overage-status` says requests past the plan's
/// limits are served (and billed as extra usage).
fn claude_overage_allowed(status: Option<&str>) -> bool {
    matches!(status, Some("allowed" | "allowed_warning"))
}

/// When an answer's headers say it was served past the plan's limits, billed as extra usage
/// (Claude: the unified status `rejected` while the overage status allows it), the time (Unix
/// ms) the plan's limit resets, if they give one; `None` when the answer is within the plan.
pub fn drawn_from_extra_usage<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Option<i64>> {
    let mut status = None;
    let mut overage = None;
    let mut reset = None;
    for (name, value) in headers {
        match name.to_ascii_lowercase().as_str() {
            "anthropic-ratelimit-unified-status" => status = Some(value.trim().to_owned()),
            "anthropic-ratelimit-unified-overage-status" => overage = Some(value.trim().to_owned()),
            "anthropic-ratelimit-unified-reset" => reset = value.trim().parse::<f64>().ok(),
            _ => {}
        }
    }
    (status.as_deref() == Some("rejected") && claude_overage_allowed(overage.as_deref()))
        .then(|| reset.map(|s| (s * 1000.0) as i64))
}

enum Reset {
    Duration,
    Rfc3339,
}

fn triple(
    window: &'static str,
    prefix: &str,
    suffix: &str,
    reset: Reset,
) -> (&'static str, String, String, String, Reset) {
    (
        window,
        format!("{prefix}limit{suffix}"),
        format!("{prefix}remaining{suffix}"),
        format!("{prefix}reset{suffix}"),
        reset,
    )
}

fn anthropic(window: &'static str) -> (&'static str, String, String, String, Reset) {
    let prefix = format!("anthropic-ratelimit-{window}-");
    (
        window,
        format!("{prefix}limit"),
        format!("{prefix}remaining"),
        format!("{prefix}reset"),
        Reset::Rfc3339,
    )
}

/// `6m0s`, `1.5s`, `250ms` → milliseconds.
fn go_duration_ms(text: &str) -> Option<i64> {
    crate::http::go_duration_ms(text).and_then(|ms| i64::try_from(ms).ok())
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `2026-12-02T10:00:00Z` (or with an offset / fraction) → Unix ms.
pub(crate) fn rfc3339_unix_ms(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (clock, offset_ms) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => {
            let tz = &rest[i..];
            let offset = if tz.eq_ignore_ascii_case("z") {
                0
            } else {
                let sign = if tz.starts_with('-') { -1 } else { 1 };
                let (h, m) = tz[1..].split_once(':')?;
                sign * (h.parse::<i64>().ok()? * 3_600_000 + m.parse::<i64>().ok()? * 60_000)
            };
            (&rest[..i], offset)
        }
        None => (rest, 0),
    };
    let mut c = clock.split(':');
    let (h, m) = (
        c.next()?.parse::<i64>().ok()?,
        c.next()?.parse::<i64>().ok()?,
    );
    let seconds: f64 = c.next().unwrap_or("0").parse().ok()?;
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + h * 3600 + m * 60) * 1000 + (seconds * 1000.0) as i64 - offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        rfc3339_unix_ms(text).unwrap()
    }

    #[test]
    fn calendar_resets_fall_on_the_providers_clock() {
        let glm = CalendarReset {
            window: "daily".into(),
            at: Some("10:00".into()),
            utc_offset_minutes: 480,
            day: None,
        };
        // 10:00 in Beijing is 02:00 UTC.
        assert_eq!(
            glm.next_after(utc("2026-12-02T01:59:00Z")),
            Some(utc("2026-12-02T02:00:00Z"))
        );
        assert_eq!(
            glm.next_after(utc("2026-12-02T02:00:00Z")),
            Some(utc("2026-12-03T02:00:00Z"))
        );
        assert_eq!(
            glm.next_after(utc("2026-12-02T20:00:00Z")),
            Some(utc("2026-12-03T02:00:00Z"))
        );
        let copilot = CalendarReset {
            window: "monthly".into(),
            at: None,
            utc_offset_minutes: 0,
            day: Some(1),
        };
        assert_eq!(
            copilot.next_after(utc("2026-12-02T10:00:00Z")),
            Some(utc("2027-01-01T00:00:00Z"))
        );
        assert_eq!(
            copilot.next_after(utc("2026-02-28T23:00:00Z")),
            Some(utc("2026-03-01T00:00:00Z"))
        );
        let bad = CalendarReset {
            at: Some("25:00".into()),
            ..glm.clone()
        };
        assert_eq!(bad.next_after(0), None);
        assert_eq!(
            CalendarReset {
                window: "yearly".into(),
                ..glm
            }
            .next_after(0),
            None
        );
        for days in [-1, 0, 59, 365, 20_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    const NOW: i64 = 1_764_000_000_000;

    fn windows(headers: &[(&str, &str)]) -> Vec<Window> {
        from_headers(headers.iter().copied(), NOW)
    }

    #[test]
    fn openai_request_and_token_windows() {
        let w = windows(&[
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "125"),
            ("x-ratelimit-reset-requests", "6m0s"),
            ("X-RateLimit-Limit-Tokens", "30000"),
            ("x-ratelimit-remaining-tokens", "30000"),
            ("x-ratelimit-reset-tokens", "0s"),
        ]);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].window, "requests");
        assert_eq!(w[0].used, Some(375.0));
        assert!((w[0].used_fraction - 0.75).abs() < 1e-9);
        assert_eq!(w[0].resets_at, Some(NOW + 360_000));
        assert_eq!(w[1].used_fraction, 0.0);
    }

    #[test]
    fn anthropic_api_key_windows() {
        let w = windows(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2025-11-24T16:00:30Z"),
            ("anthropic-ratelimit-input-tokens-limit", "40000"),
            ("anthropic-ratelimit-input-tokens-remaining", "10000"),
            (
                "anthropic-ratelimit-input-tokens-reset",
                "2025-11-24T17:00:30+01:00",
            ),
        ]);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].window, "requests");
        assert_eq!(w[0].used_fraction, 1.0);
        assert_eq!(w[0].resets_at, Some(1_764_000_030_000));
        assert!(w[0].exhausted(NOW));
        assert!(!w[0].exhausted(NOW + 31_000));
        assert_eq!(w[1].window, "input-tokens");
        assert_eq!(w[1].resets_at, Some(1_764_000_030_000));
    }

    #[test]
    fn claude_subscription_windows() {
        let w = windows(&[
            ("anthropic-ratelimit-unified-5h-utilization", "0.42"),
            ("anthropic-ratelimit-unified-5h-reset", "1764003600"),
            ("anthropic-ratelimit-unified-7d-utilization", "1.0"),
            ("anthropic-ratelimit-unified-7d-reset", "1764600000"),
            ("anthropic-ratelimit-unified-status", "rejected"),
        ]);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].window.as_str(), w[0].used_fraction), ("5h", 0.42));
        assert_eq!(w[0].resets_at, Some(1_764_003_600_000));
        assert_eq!(w[1].window, "weekly");
        assert!(w[1].exhausted(NOW));
        // Without extra usage, a used-up plan window stops the account whatever its setting.
        assert!(w[1].stops(NOW, false) && !w[1].overage);
        assert_eq!(
            drawn_from_extra_usage([("anthropic-ratelimit-unified-status", "rejected")]),
            None
        );
    }

    #[test]
    fn claude_answers_served_past_the_plan_on_extra_usage() {
        let headers = [
            ("anthropic-ratelimit-unified-5h-utilization", "1.0"),
            ("anthropic-ratelimit-unified-5h-reset", "1764003600"),
            ("Anthropic-Ratelimit-Unified-Status", "rejected"),
            (
                "anthropic-ratelimit-unified-overage-status",
                "allowed_warning",
            ),
            ("anthropic-ratelimit-unified-reset", "1764003600"),
        ];
        let w = windows(&headers);
        assert!(w[0].overage && w[0].exhausted(NOW));
        // Extra usage pays past the limit unless the account keeps to its plan.
        assert!(!w[0].stops(NOW, false) && w[0].stops(NOW, true));
        assert_eq!(
            drawn_from_extra_usage(headers.iter().copied()),
            Some(Some(1_764_003_600_000))
        );
        // Within the plan, or with extra usage refused, nothing is drawn from it.
        for (status, overage) in [("allowed", "allowed"), ("rejected", "rejected")] {
            let answer = [
                ("anthropic-ratelimit-unified-status", status),
                ("anthropic-ratelimit-unified-overage-status", overage),
            ];
            assert_eq!(drawn_from_extra_usage(answer), None, "{status} {overage}");
        }
        assert_eq!(
            drawn_from_extra_usage([
                ("anthropic-ratelimit-unified-status", "rejected"),
                ("anthropic-ratelimit-unified-overage-status", "allowed"),
            ]),
            Some(None)
        );
    }

    #[test]
    fn codex_windows() {
        let w = windows(&[
            ("x-codex-primary-used-percent", "12.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-after-seconds", "600"),
            ("x-codex-secondary-used-percent", "80"),
            ("x-codex-secondary-window-minutes", "10080"),
            ("x-codex-secondary-reset-at", "1764500000"),
        ]);
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].window.as_str(), w[0].used_fraction), ("5h", 0.125));
        assert_eq!(w[0].resets_at, Some(NOW + 600_000));
        assert_eq!((w[1].window.as_str(), w[1].used_fraction), ("weekly", 0.8));
        assert_eq!(w[1].resets_at, Some(1_764_500_000_000));
    }

    #[test]
    fn nothing_reported_is_nothing() {
        assert!(windows(&[("content-type", "application/json")]).is_empty());
        assert!(
            windows(&[
                ("x-ratelimit-limit-requests", "0"),
                ("x-ratelimit-remaining-requests", "0")
            ])
            .is_empty()
        );
    }
}
