//! Kinabase's timestamp formats: `dd/MM/yyyy HH:mm:ss +hh:mm` and ISO 8601.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// How the emulator writes `createdAt` and `updatedAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TimestampFormat {
    /// `dd/MM/yyyy HH:mm:ss +hh:mm`, as in Kinabase's published example.
    #[default]
    Kinabase,
    /// ISO 8601 / RFC 3339.
    Iso8601,
}

/// Formats a timestamp the way the emulator is configured to.
pub fn format_timestamp(ts: Timestamp, format: TimestampFormat) -> String {
    match format {
        TimestampFormat::Kinabase => ts
            .to_zoned_datetime(TimeZone::UTC)
            .strftime("%d/%m/%Y %H:%M:%S %:z")
            .to_string(),
        TimestampFormat::Iso8601 => ts.to_string(),
    }
}

/// Parses either documented timestamp form.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(ts) = Timestamp::strptime("%d/%m/%Y %H:%M:%S %:z", s) {
        return Some(ts);
    }
    None
}

/// Whether a string is a valid `date` field value: a calendar date, an ISO 8601
/// date-time, or Kinabase's `dd/MM/yyyy HH:mm:ss +hh:mm`.
pub fn parse_date_value(s: &str) -> Option<()> {
    if s.parse::<Date>().is_ok() || parse_timestamp(s).is_some() {
        Some(())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinabase_format_round_trips() {
        let ts: Timestamp = "2023-08-18T12:28:21Z".parse().unwrap();
        let text = format_timestamp(ts, TimestampFormat::Kinabase);
        assert_eq!(text, "18/08/2023 12:28:21 +00:00");
        assert_eq!(parse_timestamp(&text), Some(ts));
        assert_eq!(parse_timestamp("2023-08-18T12:28:21Z"), Some(ts));
        assert!(parse_timestamp("18/08/2023").is_none());
        assert!(parse_date_value("2024-03-01").is_some());
        assert!(parse_date_value("2024-13-01").is_none());
    }
}
