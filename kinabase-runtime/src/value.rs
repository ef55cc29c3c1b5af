//! The value types generated bindings use for Kinabase field values (contract §3).
//!
//! Every type here reads liberally (each documented alternative encoding) and writes the
//! one form most likely to be accepted.

use std::fmt;

use std::str::FromStr;

use jiff::civil;
use jiff::{SignedDuration, Timestamp};
use kinabase_contract::time::DateValue;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A field value kept as raw JSON: files, lists, and types this version does not know.
pub type Raw = serde_json::Value;

/// A `date` field: a calendar day, or an instant when the value has a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Date {
    /// `2024-03-01`.
    Day(civil::Date),
    /// An ISO 8601 date-time or `dd/MM/yyyy HH:mm:ss +hh:mm`.
    Instant(Timestamp),
}

impl Date {
    /// Parses every documented form (the contract's `parse_date`). A date-time without an
    /// offset is taken as UTC.
    pub fn parse(s: &str) -> Option<Date> {
        kinabase_contract::time::parse_date(s).map(|d| match d {
            DateValue::Day(day) => Date::Day(day),
            DateValue::Instant(ts) => Date::Instant(ts),
        })
    }

    /// The calendar day (UTC for instants).
    pub fn day(&self) -> civil::Date {
        match self {
            Date::Day(d) => *d,
            Date::Instant(ts) => ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        }
    }
}

impl From<civil::Date> for Date {
    fn from(d: civil::Date) -> Date {
        Date::Day(d)
    }
}

impl From<Timestamp> for Date {
    fn from(t: Timestamp) -> Date {
        Date::Instant(t)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Date::Day(d) => write!(f, "{d}"),
            Date::Instant(t) => write!(f, "{t}"),
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        // From the borrowed text through a visitor: no copy of the string.
        struct V;
        impl Visitor<'_> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date (2024-03-01, ISO 8601, or dd/MM/yyyy HH:mm:ss +hh:mm)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Date, E> {
                Date::parse(s).ok_or_else(|| {
                    E::custom(format!(
                        "{s:?} is not a date (2024-03-01, ISO 8601, or dd/MM/yyyy HH:mm:ss +hh:mm)"
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A `duration` field: written as a number of seconds; read from seconds or an ISO 8601
/// duration string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Duration(pub SignedDuration);

impl Duration {
    /// A duration of whole seconds.
    pub fn from_secs(secs: i64) -> Duration {
        Duration(SignedDuration::from_secs(secs))
    }

    /// Whole seconds.
    pub fn as_secs(&self) -> i64 {
        self.0.as_secs()
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.subsec_nanos() == 0 {
            s.serialize_i64(self.0.as_secs())
        } else {
            s.serialize_f64(self.0.as_secs_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds or an ISO 8601 duration")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                Ok(Duration::from_secs(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                i64::try_from(v)
                    .map(Duration::from_secs)
                    .map_err(|_| E::custom("duration too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                SignedDuration::try_from_secs_f64(v)
                    .map(Duration)
                    .map_err(|_| E::custom(format!("{v} is not a duration in seconds")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                if let Ok(n) = v.trim().parse::<f64>() {
                    return self.visit_f64(n);
                }
                v.parse::<SignedDuration>()
                    .map(Duration)
                    .map_err(|_| E::custom(format!("{v:?} is not a duration")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a `number` or `rating` value that may come as a number or a numeric string.
pub fn lenient_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or a numeric string")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<f64>, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<f64>, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<f64>, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<f64>, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<f64>, E> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            v.trim()
                .parse()
                .map(Some)
                .map_err(|_| E::custom(format!("{v:?} is not a number")))
        }
    }
    d.deserialize_any(V)
}

/// A field in an update: keep it as it is, clear it, or set it.
///
/// On the wire: keep is an absent key, clear is `null`, set is the value (generated
/// update types write only the fields that are not kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Leave the field unchanged (the key is not sent).
    #[default]
    Keep,
    /// Clear the field (`null` is sent).
    Clear,
    /// Set the field to this value.
    Set(T),
}

impl<T> Patch<T> {
    /// Whether this is [`Patch::Keep`].
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// Sets the field to `value`.
    pub fn set(&mut self, value: T) -> &mut Self {
        *self = Patch::Set(value);
        self
    }

    /// Clears the field (`null` is sent).
    pub fn clear(&mut self) -> &mut Self {
        *self = Patch::Clear;
        self
    }

    /// Leaves the field unchanged (nothing is sent).
    pub fn keep(&mut self) -> &mut Self {
        *self = Patch::Keep;
        self
    }
}

/// A required field in an update: keep it or set it. There is no way to clear it, so
/// clearing a required field is a compile error rather than a `400`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Assign<T> {
    /// Leave the field unchanged (the key is not sent).
    #[default]
    Keep,
    /// Set the field to this value.
    Set(T),
}

impl<T> Assign<T> {
    /// Whether this is [`Assign::Keep`].
    pub fn is_keep(&self) -> bool {
        matches!(self, Assign::Keep)
    }

    /// Sets the field to `value`.
    pub fn set(&mut self, value: T) -> &mut Self {
        *self = Assign::Set(value);
        self
    }

    /// Leaves the field unchanged.
    pub fn keep(&mut self) -> &mut Self {
        *self = Assign::Keep;
        self
    }
}

impl<T: Serialize> Serialize for Assign<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Assign::Set(v) => v.serialize(s),
            Assign::Keep => s.serialize_none(),
        }
    }
}

impl<T> From<T> for Patch<T> {
    fn from(v: T) -> Patch<T> {
        Patch::Set(v)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(v) => v.serialize(s),
            Patch::Keep | Patch::Clear => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Patch<T>, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        })
    }
}

impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse(s).ok_or_else(|| format!("{s:?} is not a date"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use rust_decimal::Decimal;
    use serde_json::json;

    #[test]
    fn dates_in_every_form() {
        let day: Date = serde_json::from_value(json!("2024-03-01")).unwrap();
        assert_eq!(day, Date::Day(civil::date(2024, 3, 1)));
        assert_eq!(serde_json::to_value(day).unwrap(), json!("2024-03-01"));
        let iso: Date = serde_json::from_value(json!("2024-03-01T10:30:00Z")).unwrap();
        let kb: Date = serde_json::from_value(json!("01/03/2024 10:30:00 +00:00")).unwrap();
        assert_eq!(iso, kb);
        assert_eq!(
            serde_json::to_value(iso).unwrap(),
            json!("2024-03-01T10:30:00Z")
        );
        let naive: Date = serde_json::from_value(json!("2024-03-01T10:30:00")).unwrap();
        assert_eq!(naive, iso);
        assert!(serde_json::from_value::<Date>(json!("soon")).is_err());
        assert!(serde_json::from_value::<Date>(json!(5)).is_err());
    }

    #[test]
    fn durations_and_currency() {
        let d: Duration = serde_json::from_value(json!(5400)).unwrap();
        assert_eq!(d.as_secs(), 5400);
        assert_eq!(serde_json::to_value(d).unwrap(), json!(5400));
        let iso: Duration = serde_json::from_value(json!("PT1H30M")).unwrap();
        assert_eq!(iso, d);
        let c: Currency = serde_json::from_value(json!(19.99)).unwrap();
        assert_eq!(c.to_string(), "19.99");
        assert_eq!(serde_json::to_string(&c).unwrap(), "19.99");
        let s: Currency = serde_json::from_value(json!("1250.50")).unwrap();
        assert_eq!(s.0, Decimal::new(125050, 2));
        assert!(serde_json::from_value::<Currency>(json!("lots")).is_err());
    }

    #[test]
    fn record_refs_patches_and_choices() {
        use crate::choice::Choice;
        use crate::link::RecordRef;
        enum Jobs {}
        let r: RecordRef<Jobs> =
            serde_json::from_value(json!({"id": "abc", "name": "ignored"})).unwrap();
        assert_eq!(r.id(), "abc");
        let bare: RecordRef<Jobs> = serde_json::from_value(json!("abc")).unwrap();
        assert_eq!(r, bare);
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"id": "abc"}));

        #[derive(Serialize)]
        struct U {
            #[serde(skip_serializing_if = "Patch::is_keep")]
            a: Patch<i32>,
            #[serde(skip_serializing_if = "Patch::is_keep")]
            b: Patch<i32>,
            #[serde(skip_serializing_if = "Patch::is_keep")]
            c: Patch<i32>,
        }
        let u = U {
            a: Patch::Keep,
            b: Patch::Clear,
            c: Patch::Set(3),
        };
        assert_eq!(serde_json::to_value(u).unwrap(), json!({"b": null, "c": 3}));

        enum Pri {
            Low,
            Unknown(String),
        }
        impl Choice for Pri {
            fn from_label(l: &str) -> Pri {
                if l == "Low" {
                    Pri::Low
                } else {
                    Pri::Unknown(l.to_string())
                }
            }
            fn label(&self) -> &str {
                match self {
                    Pri::Low => "Low",
                    Pri::Unknown(s) => s,
                }
            }
        }
        crate::impl_choice!(Pri);
        assert_eq!(format!("{:?}", Pri::Low), "Pri(\"Low\")");
        assert_eq!(
            format!("{:?}", Pri::Unknown("Low".into())),
            "Pri::Unknown(\"Low\")"
        );
        // As a derive would: a known option and an unknown holding its label differ,
        // in equality, hashing and cloning.
        assert_ne!(Pri::Unknown("Low".into()), Pri::Low);
        assert!(matches!(Pri::Unknown("Low".into()).clone(), Pri::Unknown(l) if l == "Low"));
        let set: std::collections::HashSet<Pri> =
            [Pri::Low, Pri::Unknown("Low".into()), Pri::Low.clone()]
                .into_iter()
                .collect();
        assert_eq!(set.len(), 2);
        assert_eq!(Pri::Low.clone(), Pri::Low);
        assert_ne!(Pri::Low, Pri::Unknown("Urgent!".into()));
        let p: Pri = serde_json::from_value(json!("Urgent!")).unwrap();
        assert_eq!(p, Pri::Unknown("Urgent!".into()));
        assert_eq!(serde_json::to_value(&p).unwrap(), json!("Urgent!"));
        assert_eq!(serde_json::to_value(Pri::Low).unwrap(), json!("Low"));
    }

    #[test]
    fn lenient_numbers() {
        #[derive(Deserialize)]
        struct N {
            #[serde(default, deserialize_with = "lenient_number")]
            n: Option<f64>,
        }
        for (v, want) in [
            (json!(3), Some(3.0)),
            (json!("2.5"), Some(2.5)),
            (json!(null), None),
        ] {
            let n: N = serde_json::from_value(json!({ "n": v })).unwrap();
            assert_eq!(n.n, want);
        }
        let n: N = serde_json::from_value(json!({})).unwrap();
        assert_eq!(n.n, None);
        assert!(serde_json::from_value::<N>(json!({"n": "x"})).is_err());
    }
}
