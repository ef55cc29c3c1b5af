//! Kinabase's timestamps and date values (contract §3–§4), as jiff values.
//!
//! Record metadata (`createdAt`, `updatedAt`) comes as `dd/MM/yyyy HH:mm:ss +hh:mm` or as
//! ISO 8601; a `date` field's value is a calendar day (`2024-03-01`), an ISO 8601
//! date-time, or the Kinabase form. The Kinabase form and plain days have hand-written
//! fast paths, because a scan reads several of them on every record.

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::{Offset, TimeZone};

/// The Kinabase timestamp format, as a `strftime` pattern.
pub const KINABASE_FORMAT: &str = "%d/%m/%Y %H:%M:%S %:z";

/// A `date` field's value: a calendar day, or an instant when the text has a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DateValue {
    /// `2024-03-01` (or `01/03/2024`).
    Day(civil::Date),
    /// An ISO 8601 date-time or `dd/MM/yyyy HH:mm:ss +hh:mm`; without an offset, UTC.
    Instant(Timestamp),
}

/// Parses a timestamp in either documented form; `None` for anything else.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = trim(s);
    parse_kinabase(s)
        .or_else(|| match parse_iso_datetime(s)? {
            (dt, Some(offset)) => offset.to_timestamp(dt).ok(),
            (_, None) => None,
        })
        .or_else(|| s.parse::<Timestamp>().ok())
        .or_else(|| Timestamp::strptime(KINABASE_FORMAT, s).ok())
}

/// Formats a timestamp the Kinabase way, in UTC: `18/08/2023 12:28:21 +00:00`.
pub fn format_kinabase(ts: Timestamp) -> String {
    ts.to_zoned_datetime(TimeZone::UTC)
        .strftime(KINABASE_FORMAT)
        .to_string()
}

/// Parses every documented form of a `date` field's value.
pub fn parse_date(s: &str) -> Option<DateValue> {
    let s = trim(s);
    if let Some(day) = parse_iso_day(s) {
        return Some(DateValue::Day(day));
    }
    // The fast paths first: a scan parses every date value of every record, and each
    // failed attempt of jiff's general parsers costs an allocated error.
    if let Some(ts) = parse_kinabase(s) {
        return Some(DateValue::Instant(ts));
    }
    if let Some((dt, offset)) = parse_iso_datetime(s) {
        return offset
            .unwrap_or(Offset::UTC)
            .to_timestamp(dt)
            .ok()
            .map(DateValue::Instant);
    }
    if s.len() <= 10
        && let Ok(day) = s.parse::<civil::Date>()
    {
        return Some(DateValue::Day(day));
    }
    if let Some(ts) = parse_timestamp(s) {
        return Some(DateValue::Instant(ts));
    }
    if let Ok(dt) = s.parse::<civil::DateTime>() {
        return dt
            .to_zoned_datetime(TimeZone::UTC)
            .ok()
            .map(|z| DateValue::Instant(z.timestamp()));
    }
    civil::Date::strptime("%d/%m/%Y", s)
        .ok()
        .map(DateValue::Day)
}

/// The fast path for `dd/MM/yyyy HH:mm:ss +hh:mm` (exactly 26 bytes).
pub fn parse_kinabase(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 26
        || b[2] != b'/'
        || b[5] != b'/'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b' '
        || b[23] != b':'
    {
        return None;
    }
    let (day, month, year) = (digits(b, 0..2)?, digits(b, 3..5)?, digits(b, 6..10)?);
    let (hour, minute, second) = (digits(b, 11..13)?, digits(b, 14..16)?, digits(b, 17..19)?);
    let sign = match b[20] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let offset_secs = sign * (digits(b, 21..23)? * 3600 + digits(b, 24..26)? * 60);
    let dt = civil::DateTime::new(
        year as i16,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .ok()?;
    Offset::from_seconds(offset_secs)
        .ok()?
        .to_timestamp(dt)
        .ok()
}

/// The fast path for `2024-03-01`, the commonest date value.
fn parse_iso_day(s: &str) -> Option<civil::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    civil::Date::new(
        digits(b, 0..4)? as i16,
        digits(b, 5..7)? as i8,
        digits(b, 8..10)? as i8,
    )
    .ok()
}

/// The fast path for ISO 8601 date-times as services write them:
/// `yyyy-MM-ddTHH:mm:ss`, an optional fraction of up to nine digits, then `Z`, `±hh:mm` or
/// nothing (the offset, `None` when absent). Anything else is left to jiff's parsers.
fn parse_iso_datetime(s: &str) -> Option<(civil::DateTime, Option<Offset>)> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0i32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(tail, 0..n)? * 10i32.pow(9 - n as u32);
        rest = &tail[n..];
    }
    let offset = match rest {
        [] => None,
        [b'Z'] => Some(Offset::UTC),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2], 0..2)?, digits(&[*m1, *m2], 0..2)?);
            if m >= 60 {
                return None;
            }
            let secs = (h * 3600 + m * 60) * if *sign == b'-' { -1 } else { 1 };
            Some(Offset::from_seconds(secs).ok()?)
        }
        _ => return None,
    };
    let dt = civil::DateTime::new(
        digits(b, 0..4)? as i16,
        digits(b, 5..7)? as i8,
        digits(b, 8..10)? as i8,
        digits(b, 11..13)? as i8,
        digits(b, 14..16)? as i8,
        digits(b, 17..19)? as i8,
        nanos,
    )
    .ok()?;
    Some((dt, offset))
}

/// `s` without surrounding whitespace; the common case (none) without a Unicode scan.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&f), Some(&l)) if f > b' ' && f < 0x80 && l > b' ' && l < 0x80 => s,
        _ => s.trim(),
    }
}

/// The decimal number in `b[range]`, which must be all ASCII digits (at most nine).
fn digits(b: &[u8], range: std::ops::Range<usize>) -> Option<i32> {
    b.get(range)?.iter().try_fold(0i32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinabase_form_round_trips_and_agrees_with_strptime() {
        let ts: Timestamp = "2023-08-18T12:28:21Z".parse().unwrap();
        let text = format_kinabase(ts);
        assert_eq!(text, "18/08/2023 12:28:21 +00:00");
        assert_eq!(parse_timestamp(&text), Some(ts));
        for s in [
            "18/08/2023 12:28:21 +00:00",
            "01/01/2024 00:00:00 -05:30",
            "29/02/2024 23:59:59 +14:00",
        ] {
            assert_eq!(
                parse_kinabase(s),
                Timestamp::strptime(KINABASE_FORMAT, s).ok(),
                "{s}"
            );
        }
        assert_eq!(parse_kinabase("31/02/2024 00:00:00 +00:00"), None);
        assert_eq!(parse_kinabase("18/08/2023 12:28:21 *00:00"), None);
        assert_eq!(parse_timestamp("18/08/2023"), None);
    }

    #[test]
    fn fast_iso_path_agrees_with_jiff() {
        for s in [
            "2024-03-01T09:30:00Z",
            "2024-03-01T09:30:00.5Z",
            "2024-03-01T09:30:00.123456789Z",
            "2024-03-01T09:30:00+05:30",
            "2024-03-01T09:30:00-00:45",
            "2024-02-29T23:59:59.000001+14:00",
            "2023-12-31T00:00:00-12:00",
        ] {
            let (dt, offset) = parse_iso_datetime(s).expect(s);
            let fast = offset.expect(s).to_timestamp(dt).ok();
            assert_eq!(fast, s.parse::<Timestamp>().ok(), "{s}");
            assert_eq!(parse_timestamp(s), fast, "{s}");
        }
        let naive = "2024-03-01T09:30:00.25";
        let (dt, offset) = parse_iso_datetime(naive).unwrap();
        assert_eq!((dt, offset), (naive.parse().unwrap(), None));
        assert_eq!(parse_timestamp(naive), None, "a timestamp needs an offset");
        // Everything the fast path declines still goes to jiff, which decides.
        for s in [
            "2024-02-30T00:00:00Z",
            "2024-03-01T24:00:00Z",
            "2024-03-01T09:30:60Z",
            "2024-03-01T09:30:00+05:60",
            "2024-03-01T09:30:00.Z",
            "2024-03-01T09:30:00.1234567890Z",
            "2024-03-01t09:30:00Z",
            "2024-03-01 09:30:00Z",
            "2024-03-01T09:30:00+0530",
            "2024-03-01T09:30:00+05",
            "2024-03-01T09:30:00Zx",
            "+2024-03-01T09:30:00Z",
            "2024-03-01T09:3a:00Z",
        ] {
            assert_eq!(parse_iso_datetime(s), None, "{s}");
            assert_eq!(
                parse_timestamp(s),
                s.parse::<Timestamp>().ok(),
                "{s}: jiff's answer stands"
            );
        }
        assert_eq!(
            parse_timestamp(" 2024-03-01T09:30:00Z\n"),
            parse_timestamp("2024-03-01T09:30:00Z")
        );
    }

    #[test]
    fn date_values_in_every_documented_form() {
        let day = civil::date(2024, 3, 1);
        assert_eq!(parse_date("2024-03-01"), Some(DateValue::Day(day)));
        assert_eq!(parse_date("01/03/2024"), Some(DateValue::Day(day)));
        let ts: Timestamp = "2024-03-01T09:30:00Z".parse().unwrap();
        assert_eq!(
            parse_date("2024-03-01T09:30:00Z"),
            Some(DateValue::Instant(ts))
        );
        assert_eq!(
            parse_date("2024-03-01T09:30:00"),
            Some(DateValue::Instant(ts))
        );
        assert_eq!(
            parse_date("01/03/2024 09:30:00 +00:00"),
            Some(DateValue::Instant(ts))
        );
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("soon"), None);
    }
}
