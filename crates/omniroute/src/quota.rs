//! `omniroute quota`: the running gateway's quota windows as a table in the terminal (the same
//! `GET /api/quota` the dashboard reads), for servers without a browser.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use omniroute_gateway::Overrides;
use serde_json::Value;

pub fn print(overrides: &Overrides) -> ExitCode {
    let fetched = crate::remote::block_on(async {
        let gateway = crate::remote::Gateway::connect(overrides).await?;
        gateway
            .call(reqwest::Method::GET, "/api/quota", None)
            .await
            .map(|v| v.as_array().cloned().unwrap_or_default())
    });
    match fetched {
        Ok(accounts) => {
            println!("{}", table(&accounts, now_ms()));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("omniroute: cannot read the quota: {message}");
            ExitCode::FAILURE
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

/// One line per account and window.
fn table(accounts: &[Value], now_ms: i64) -> String {
    let mut lines = vec![format!(
        "{:<24} {:<12} {:<14} {:>6}  {}",
        "account", "provider", "window", "used", "resets in"
    )];
    for account in accounts {
        for window in account["windows"].as_array().into_iter().flatten() {
            let used = window["usedFraction"].as_f64().unwrap_or(0.0) * 100.0;
            let resets = window["resetsAt"]
                .as_i64()
                .map_or("—".to_owned(), |at| duration(at - now_ms));
            lines.push(format!(
                "{:<24} {:<12} {:<14} {:>5.0}%  {}",
                account["name"].as_str().unwrap_or("?"),
                account["provider"].as_str().unwrap_or("?"),
                window["window"].as_str().unwrap_or("?"),
                used,
                resets
            ));
        }
    }
    if lines.len() == 1 {
        return "no quota reported yet: windows appear with the accounts' answers".to_owned();
    }
    lines.join("\n")
}

fn duration(ms: i64) -> String {
    let s = (ms.max(0) + 999) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", (s + 59) / 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_line_per_window() {
        let accounts = [json!({"name": "work", "provider": "cc", "windows": [
            {"window": "5h", "usedFraction": 0.42, "resetsAt": 3_600_000 + 1_000},
            {"window": "weekly", "usedFraction": 1.0, "resetsAt": null}]})];
        let out = table(&accounts, 1_000);
        assert!(
            out.contains("work") && out.contains("5h") && out.contains("42%"),
            "{out}"
        );
        assert!(out.contains("1 h 00 min"), "{out}");
        assert!(out.contains("100%") && out.contains("—"), "{out}");
        assert!(table(&[], 0).starts_with("no quota reported yet"));
    }
}
