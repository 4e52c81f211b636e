//! Exemption expiry: a date (the end of that day, UTC) or an RFC 3339 timestamp.

use std::time::{SystemTime, UNIX_EPOCH};

use podsec_policy::text::go_quote;

/// When an exemption stops applying: it applies while `now` is before this instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// The text as written (`2027-01-31`, `2027-01-31T12:00:00Z`).
    pub text: String,
    /// The instant, in nanoseconds since the Unix epoch (exclusive end).
    pub unix_nanos: i128,
}

impl Expiry {
    /// Parses `YYYY-MM-DD` (expires at the next midnight UTC) or an RFC 3339 timestamp
    /// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`).
    pub fn parse(text: &str) -> Result<Expiry, String> {
        let invalid = || {
            format!(
                "invalid date {}: expected a date (2027-01-31) or an RFC 3339 timestamp (2027-01-31T18:00:00Z)",
                go_quote(text)
            )
        };
        let b = text.as_bytes();
        let days = parse_date(b).ok_or_else(invalid)?;
        let nanos = if b.len() == 10 {
            i128::from(days + 1) * 86_400 * NANOS
        } else {
            let (seconds_of_day, fraction, offset) = parse_time(&b[10..]).ok_or_else(invalid)?;
            (i128::from(days) * 86_400 + i128::from(seconds_of_day) - i128::from(offset)) * NANOS
                + i128::from(fraction)
        };
        Ok(Expiry {
            text: text.to_owned(),
            unix_nanos: nanos,
        })
    }

    /// Whether the exemption still applies at `now`.
    pub fn is_active(&self, now: SystemTime) -> bool {
        unix_nanos(now) < self.unix_nanos
    }
}

const NANOS: i128 = 1_000_000_000;

/// `now` as nanoseconds since the Unix epoch (negative before it).
pub(crate) fn unix_nanos(now: SystemTime) -> i128 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

/// `YYYY-MM-DD` at the start of `b`: days since 1970-01-01.
fn parse_date(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// `THH:MM:SS[.frac](Z|±HH:MM)`: (seconds of the day, nanoseconds, offset in seconds).
fn parse_time(b: &[u8]) -> Option<(i64, i64, i64)> {
    if b.len() < 10 || !matches!(b[0], b'T' | b't') || b[3] != b':' || b[6] != b':' {
        return None;
    }
    let hour = digits(&b[1..3])?;
    let minute = digits(&b[4..6])?;
    let second = digits(&b[7..9])?;
    // A leap second (60) counts as the last second of the minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[9..];
    let mut fraction = 0;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let len = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let kept = &after_dot[..len.min(9)];
        fraction = digits(kept)? * 10i64.pow(9 - kept.len() as u32);
        rest = &after_dot[len..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    Some((hour * 3600 + minute * 60 + second.min(59), fraction, offset))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn dates_end_at_midnight_utc() {
        let e = Expiry::parse("2027-01-31").expect("valid");
        // 2027-02-01T00:00:00Z
        assert_eq!(e.unix_nanos, 1_801_440_000 * NANOS);
        assert!(e.is_active(at(1_801_439_999)));
        assert!(!e.is_active(at(1_801_440_000)));
        assert_eq!(
            Expiry::parse("1970-01-01").expect("valid").unix_nanos,
            86_400 * NANOS
        );
        assert!(Expiry::parse("2024-02-29").is_ok());
    }

    #[test]
    fn timestamps() {
        let rows = [
            ("2027-01-31T00:00:00Z", 1_801_353_600 * NANOS),
            ("2027-01-31t00:00:00z", 1_801_353_600 * NANOS),
            ("2027-01-31T02:00:00+02:00", 1_801_353_600 * NANOS),
            ("2027-01-30T22:30:00-01:30", 1_801_353_600 * NANOS),
            (
                "2027-01-31T00:00:00.5Z",
                1_801_353_600 * NANOS + 500_000_000,
            ),
            (
                "2027-01-31T00:00:00.1234567891Z",
                1_801_353_600 * NANOS + 123_456_789,
            ),
        ];
        for (text, want) in rows {
            assert_eq!(
                Expiry::parse(text).map(|e| e.unix_nanos),
                Ok(want),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_other_forms() {
        for bad in [
            "",
            "2027",
            "2027-1-31",
            "2027-02-29",
            "2027-13-01",
            "2027-00-10",
            "2027-01-32",
            "31.01.2027",
            "2027-01-31 00:00:00Z",
            "2027-01-31T00:00:00",
            "2027-01-31T24:00:00Z",
            "2027-01-31T00:00:00.Z",
            "2027-01-31T00:00:00+0200",
            "2027-01-31Z",
            "tomorrow",
        ] {
            assert_eq!(
                Expiry::parse(bad),
                Err(format!(
                    "invalid date {}: expected a date (2027-01-31) or an RFC 3339 timestamp (2027-01-31T18:00:00Z)",
                    go_quote(bad)
                )),
                "{bad}"
            );
        }
    }
}
