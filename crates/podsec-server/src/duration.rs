//! Go's `time.ParseDuration`, for the `?timeout=` query parameter of admission requests
//! (`5s`, `1m30s`, `500ms`, `1.5h`, `-5s`, `0`; a number without unit other than `0` is
//! rejected, as in Go).

/// Nanoseconds per unit, Go's unit names.
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parses a Go duration string into signed nanoseconds; `None` where Go returns an error
/// (syntax, unknown unit, missing unit, overflow of `int64` nanoseconds).
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let (negative, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let bytes = s.as_bytes();
        if !(bytes[0] == b'.' || bytes[0].is_ascii_digit()) {
            return None;
        }
        // Integer part.
        let int_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut value: u64 = 0;
        for &b in &bytes[..int_len] {
            value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            if value > 1 << 63 {
                return None;
            }
        }
        s = &s[int_len..];
        // Fraction.
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut frac_len = 0;
        if let Some(rest) = s.strip_prefix('.') {
            s = rest;
            frac_len = s.bytes().take_while(|b| b.is_ascii_digit()).count();
            let mut overflowed = false;
            for b in s[..frac_len].bytes() {
                if overflowed {
                    continue;
                }
                match fraction
                    .checked_mul(10)
                    .and_then(|f| f.checked_add(u64::from(b - b'0')))
                {
                    Some(f) if f <= 1 << 63 => {
                        fraction = f;
                        scale *= 10.0;
                    }
                    _ => overflowed = true,
                }
            }
            s = &s[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return None;
        }
        // Unit.
        let unit_len = s
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return None;
        }
        let unit = unit_nanos(&s[..unit_len])?;
        s = &s[unit_len..];
        let mut nanos = value.checked_mul(unit)?;
        if nanos > 1 << 63 {
            return None;
        }
        if fraction > 0 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let extra = (fraction as f64 * (unit as f64 / scale)) as u64;
            nanos = nanos.checked_add(extra)?;
            if nanos > 1 << 63 {
                return None;
            }
        }
        total = total.checked_add(nanos)?;
        if total > 1 << 63 {
            return None;
        }
    }
    if negative {
        #[allow(clippy::cast_possible_wrap)]
        Some((total as i64).wrapping_neg())
    } else if total > i64::MAX as u64 {
        None
    } else {
        i64::try_from(total).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration as p;

    #[test]
    fn go_durations() {
        assert_eq!(p("5s"), Some(5_000_000_000));
        assert_eq!(p("1m30s"), Some(90_000_000_000));
        assert_eq!(p("500ms"), Some(500_000_000));
        assert_eq!(p("-5s"), Some(-5_000_000_000));
        assert_eq!(p("+5s"), Some(5_000_000_000));
        assert_eq!(p("0s"), Some(0));
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("-0"), Some(0));
        assert_eq!(p("1.5h"), Some(5_400_000_000_000));
        assert_eq!(p(".5s"), Some(500_000_000));
        assert_eq!(p("1.s"), Some(1_000_000_000));
        assert_eq!(p("2h45m"), Some(9_900_000_000_000));
        assert_eq!(p("1us"), Some(1_000));
        assert_eq!(p("1\u{b5}s"), Some(1_000));
        assert_eq!(p("1\u{3bc}s"), Some(1_000));
        assert_eq!(p("3ns"), Some(3));
        assert_eq!(p("9223372036854775807ns"), Some(i64::MAX));
        assert_eq!(p("-9223372036854775808ns"), Some(i64::MIN));
    }

    #[test]
    fn go_duration_errors() {
        for bad in [
            "",
            "2",
            "-",
            "+",
            "s",
            ".s",
            "5",
            "5x",
            "5 s",
            " 5s",
            "5s ",
            "1e3s",
            "--5s",
            "5S",
            "9223372036854775808ns",
            "3000000h",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }
}
