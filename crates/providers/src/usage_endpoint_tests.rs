#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

fn named(windows: &[Window], name: &str) -> Window {
    windows
        .iter()
        .find(|w| w.window == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in {windows:?}"))
}

#[test]
fn claude_windows_are_percentages_with_reset_times() {
    let body = br#"{"five_hour":{"utilization":61.0,"resets_at":"2026-01-28T07:59:59.571404+00:00"},
        "seven_day":{"utilization":22.0,"resets_at":"2026-02-03T09:59:59.571468+00:00"},
        "seven_day_opus":{"utilization":0.0,"resets_at":null},"seven_day_oauth_apps":null,
        "extra_usage":{"is_enabled":true,"monthly_limit":50.0,"used_credits":12.5,"utilization":25.0}}"#;
    let w = parse(UsageFormat::Claude, body, 0).unwrap();
    let five = named(&w, "5h");
    assert!((five.used_fraction - 0.61).abs() < 1e-9);
    assert_eq!(five.resets_at, Some(1_769_587_199_571));
    assert_eq!(five.source, "usage-endpoint");
    assert!((named(&w, "weekly").used_fraction - 0.22).abs() < 1e-9);
    assert_eq!(named(&w, "weekly-opus").resets_at, None);
    let extra = named(&w, "extra-usage");
    assert_eq!((extra.used, extra.limit), (Some(12.5), Some(50.0)));
    // Extra usage on: Claude serves past the plan's windows, billed.
    assert!(five.overage && named(&w, "weekly").overage);
    let off = br#"{"five_hour":{"utilization":100.0,"resets_at":"2026-01-28T07:59:59Z"},
        "extra_usage":{"is_enabled":false}}"#;
    let w = parse(UsageFormat::Claude, off, 0).unwrap();
    assert!(!named(&w, "5h").overage && named(&w, "5h").stops(0, false));
}

#[test]
fn codex_windows_are_named_by_their_length() {
    let body = br#"{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
        "primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":600,"reset_at":1764700000},
        "secondary_window":{"used_percent":100,"limit_window_seconds":604800,"reset_after_seconds":9000}}}"#;
    let w = parse(UsageFormat::Codex, body, 5_000).unwrap();
    assert_eq!(named(&w, "5h").resets_at, Some(1_764_700_000_000));
    let weekly = named(&w, "weekly");
    assert!((weekly.used_fraction - 1.0).abs() < 1e-9);
    assert_eq!(weekly.resets_at, Some(5_000 + 9_000_000));
    assert!(weekly.exhausted(5_000));
    assert!(parse(UsageFormat::Codex, b"{}", 0).is_err());
}

#[test]
fn copilot_snapshots_skip_unlimited_and_reset_on_the_date() {
    let body = br#"{"copilot_plan":"individual","quota_reset_date":"2026-01-01",
        "quota_snapshots":{"chat":{"entitlement":0,"remaining":0,"percent_remaining":100.0,"unlimited":true},
        "premium_interactions":{"entitlement":300,"remaining":120,"percent_remaining":40.0,"unlimited":false,"overage_count":0}}}"#;
    let w = parse(UsageFormat::Copilot, body, 0).unwrap();
    assert_eq!(w.len(), 1);
    let premium = named(&w, "premium-interactions");
    assert!((premium.used_fraction - 0.6).abs() < 1e-9);
    assert_eq!((premium.used, premium.limit), (Some(180.0), Some(300.0)));
    assert_eq!(premium.resets_at, Some(1_767_225_600_000));
    assert!(!premium.overage);
    // Premium requests used up with overage permitted: served and billed past the entitlement.
    let body = br#"{"quota_reset_date":"2026-01-01","quota_snapshots":{"premium_interactions":
        {"entitlement":300,"remaining":0,"percent_remaining":0.0,"overage_permitted":true,"overage_count":4}}}"#;
    let premium = named(
        &parse(UsageFormat::Copilot, body, 0).unwrap(),
        "premium-interactions",
    );
    assert!(premium.overage && !premium.stops(0, false) && premium.stops(0, true));
}

#[test]
fn code_assist_buckets_and_kiro_breakdowns() {
    let body = br#"{"buckets":[{"remainingAmount":"750","remainingFraction":0.75,"resetTime":"2026-12-03T00:00:00Z","tokenType":"REQUESTS","modelId":"gemini-2.5-pro"}]}"#;
    let w = parse(UsageFormat::CodeAssist, body, 0).unwrap();
    let pro = named(&w, "gemini-2.5-pro requests");
    assert!((pro.used_fraction - 0.25).abs() < 1e-9);
    assert_eq!(pro.resets_at, Some(1_796_256_000_000));

    let body = br#"{"usageBreakdownList":[{"resourceType":"AGENTIC_REQUEST","currentUsage":50,"usageLimit":50,"nextDateReset":1767225600.0}],"nextDateReset":1767225600.0}"#;
    let w = parse(UsageFormat::Kiro, body, 0).unwrap();
    let agentic = named(&w, "agentic-request");
    assert!(agentic.exhausted(0));
    assert_eq!(agentic.resets_at, Some(1_767_225_600_000));
    assert!(parse(UsageFormat::Kiro, b"not json", 0).is_err());
}
