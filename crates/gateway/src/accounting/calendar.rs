//! UTC calendar arithmetic for budget periods and usage filters, without a date library:
//! days since the epoch ↔ civil dates (Howard Hinnant's algorithms), period boundaries, and
//! parsing the dates users type into filters.

const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Daily, Period::Weekly, Period::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The period containing `now_ms`, as [start, end) in Unix ms. Weeks start on Monday.
    pub fn bounds(self, now_ms: i64) -> (i64, i64) {
        let today = now_ms.div_euclid(DAY_MS);
        match self {
            Self::Daily => (today * DAY_MS, (today + 1) * DAY_MS),
            Self::Weekly => {
                // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
                let monday = today - (today + 3).rem_euclid(7);
                (monday * DAY_MS, (monday + 7) * DAY_MS)
            }
            Self::Monthly => {
                let (year, month, _) = civil_from_days(today);
                let start = days_from_civil(year, month, 1);
                let (ny, nm) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                (start * DAY_MS, days_from_civil(ny, nm, 1) * DAY_MS)
            }
        }
    }
}

/// `2026-11-25T08:00:00Z` for a Unix ms time.
pub fn iso(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(DAY_MS));
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A time as users write it in a filter: Unix ms, `YYYY-MM-DD` (UTC midnight), or
/// `YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)`.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let number = |s: &str| s.parse::<u32>().ok();
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let (year, month, day) = (
        parts.next()?.parse::<i64>().ok()?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * DAY_MS;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    let time = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let (clock, offset_ms) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']).filter(|at| *at >= 5) {
        let sign = if time[at..].starts_with('-') { -1 } else { 1 };
        let (h, m) = time[at + 1..].split_once(':')?;
        (
            &time[..at],
            sign * (i64::from(number(h)?) * 60 + i64::from(number(m)?)) * 60_000,
        )
    } else {
        (time, 0)
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut fields = clock.split(':');
    let hour = number(fields.next()?)?;
    let minute = number(fields.next()?)?;
    let second = fields.next().map_or(Some(0), number)?;
    if hour > 23 || minute > 59 || second > 60 || fields.next().is_some() {
        return None;
    }
    ms += i64::from(hour * 3600 + minute * 60 + second) * 1000;
    if !fraction.is_empty() {
        let digits: String = fraction.chars().take(3).collect();
        let scale = 10i64.pow(3 - digits.len() as u32);
        ms += digits.parse::<i64>().ok()? * scale;
    }
    Some(ms - offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_over_four_centuries() {
        for days in (-146_097..146_097 * 2).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn period_bounds() {
        // Wednesday 2026-11-25 13:45 UTC.
        let now = parse_time("2026-11-25T13:45:00Z").unwrap();
        let day = |s| parse_time(s).unwrap();
        assert_eq!(
            Period::Daily.bounds(now),
            (day("2026-11-25"), day("2026-11-26"))
        );
        assert_eq!(
            Period::Weekly.bounds(now),
            (day("2026-11-23"), day("2026-11-30"))
        );
        assert_eq!(
            Period::Monthly.bounds(now),
            (day("2026-11-01"), day("2026-12-01"))
        );
        let dec = day("2026-12-31T23:59:59Z");
        assert_eq!(
            Period::Monthly.bounds(dec),
            (day("2026-12-01"), day("2027-01-01"))
        );
        // A Monday is the first day of its own week.
        let monday = day("2026-11-30");
        assert_eq!(Period::Weekly.bounds(monday).0, monday);
    }

    #[test]
    fn filter_times_parse() {
        assert_eq!(parse_time("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(parse_time("1970-01-02"), Some(DAY_MS));
        assert_eq!(parse_time("1970-01-01T01:00:00Z"), Some(3_600_000));
        assert_eq!(parse_time("1970-01-01T01:00:00.5Z"), Some(3_600_500));
        assert_eq!(parse_time("1970-01-01T02:00:00+01:00"), Some(3_600_000));
        assert_eq!(parse_time("1970-01-01T00:00-01:00"), Some(3_600_000));
        assert_eq!(parse_time("2026-13-01"), None);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(
            iso(parse_time("2026-11-25T08:09:10Z").unwrap()),
            "2026-11-25T08:09:10Z"
        );
    }
}
