//! Which of Kinabase's timestamp formats the emulator writes (`kinabase-contract` parses
//! and formats them).

use jiff::Timestamp;

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
        TimestampFormat::Kinabase => kinabase_contract::time::format_kinabase(ts),
        TimestampFormat::Iso8601 => ts.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats() {
        let ts: Timestamp = "2023-08-18T12:28:21Z".parse().unwrap();
        assert_eq!(
            format_timestamp(ts, TimestampFormat::Kinabase),
            "18/08/2023 12:28:21 +00:00"
        );
        assert_eq!(
            format_timestamp(ts, TimestampFormat::Iso8601),
            "2023-08-18T12:28:21Z"
        );
    }
}
