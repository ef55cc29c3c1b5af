//! Activities, a record's timeline entries, typed: read leniently (unknown keys kept, odd
//! values `None`), written in the documented body.

use std::fmt;

use jiff::Timestamp;
use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kind of an activity: the documented ones, or any other label, kept exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ActivityType {
    /// `note`.
    #[default]
    Note,
    /// `email`.
    Email,
    /// `call`.
    Call,
    /// `meeting`.
    Meeting,
    /// Any other label, as the service sent it.
    Other(String),
}

impl ActivityType {
    /// The wire label.
    pub fn as_str(&self) -> &str {
        match self {
            ActivityType::Note => "note",
            ActivityType::Email => "email",
            ActivityType::Call => "call",
            ActivityType::Meeting => "meeting",
            ActivityType::Other(s) => s,
        }
    }
}

impl From<&str> for ActivityType {
    fn from(s: &str) -> Self {
        match s {
            "note" => ActivityType::Note,
            "email" => ActivityType::Email,
            "call" => ActivityType::Call,
            "meeting" => ActivityType::Meeting,
            other => ActivityType::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ActivityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ActivityType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ActivityType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ActivityType::from(String::deserialize(d)?.as_str()))
    }
}

/// One timeline entry of a record, as read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Activity {
    /// Entry id (a number is read as its text).
    pub id: Option<String>,
    /// The text.
    pub content: String,
    /// The kind (`type` on the wire).
    pub kind: ActivityType,
    /// When it happened (ISO 8601 or `dd/MM/yyyy HH:mm:ss +hh:mm`); `None` when absent or
    /// unreadable.
    pub timestamp: Option<Timestamp>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Every other key, kept as sent.
    pub extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for Activity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(Activity {
            id: text(map.remove("id")),
            content: text(map.remove("content")).unwrap_or_default(),
            kind: text(map.remove("type"))
                .map(|s| ActivityType::from(s.as_str()))
                .unwrap_or_default(),
            timestamp: text(map.remove("timestamp"))
                .and_then(|s| kinabase_contract::time::parse_timestamp(&s)),
            created_by: text(map.remove("createdBy")),
            extra: map,
        })
    }
}

impl Serialize for Activity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("content", &self.content)?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("timestamp", &self.timestamp)?;
        if let Some(by) = &self.created_by {
            m.serialize_entry("createdBy", by)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A new timeline entry: `POST /activities/{c}/{r}` sends
/// `{"id": null, "content", "type", "timestamp"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    /// The text.
    pub content: String,
    /// The kind.
    pub kind: ActivityType,
    /// When it happened (default: now).
    pub timestamp: Timestamp,
}

impl NewActivity {
    /// An entry of this kind, now.
    pub fn new(kind: ActivityType, content: impl Into<String>) -> Self {
        NewActivity {
            content: content.into(),
            kind,
            timestamp: Timestamp::now(),
        }
    }

    /// At another time.
    pub fn at(mut self, timestamp: Timestamp) -> Self {
        self.timestamp = timestamp;
        self
    }
}

impl Serialize for NewActivity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("id", &Option::<String>::None)?;
        m.serialize_entry("content", &self.content)?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("timestamp", &self.timestamp)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_leniently_and_keeps_unknown_keys() {
        let a: Activity = serde_json::from_value(json!({
            "id": 7, "content": "Called back", "type": "call",
            "timestamp": "18/08/2023 12:28:21 +00:00", "createdBy": "app", "mood": "good"
        }))
        .unwrap();
        assert_eq!(a.id.as_deref(), Some("7"));
        assert_eq!(a.kind, ActivityType::Call);
        assert!(a.timestamp.is_some());
        assert_eq!(a.extra.get("mood"), Some(&json!("good")));
        let odd: Activity =
            serde_json::from_value(json!({"type": "sms", "timestamp": "soon", "content": null}))
                .unwrap();
        assert_eq!(odd.kind, ActivityType::Other("sms".into()));
        assert_eq!((odd.timestamp, odd.content.as_str()), (None, ""));
        assert_eq!(serde_json::to_value(&odd.kind).unwrap(), json!("sms"));
    }

    #[test]
    fn writes_the_documented_body() {
        let t: Timestamp = "2026-03-02T09:29:51.293Z".parse().unwrap();
        let body =
            serde_json::to_value(NewActivity::new(ActivityType::Meeting, "Site visit").at(t))
                .unwrap();
        assert_eq!(
            body,
            json!({"id": null, "content": "Site visit", "type": "meeting", "timestamp": "2026-03-02T09:29:51.293Z"})
        );
    }
}
