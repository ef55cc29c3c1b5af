//! `Currency`: a `currency` field's amount as an exact decimal, read from a JSON number
//! (shortest text, with a fast path for amounts of at most two decimals) or a numeric
//! string, and written as a JSON number.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A `currency` amount: exact decimal in Rust, a JSON number on the wire (rust_decimal's
/// own serde writes strings, which Kinabase does not promise to accept). Reads numbers and
/// numeric strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Currency(pub Decimal);

impl Currency {
    /// Parses a decimal amount such as `"12.50"`.
    pub fn parse(s: &str) -> Option<Currency> {
        let s = s.trim();
        Decimal::from_str_exact(s)
            .or_else(|_| Decimal::from_scientific(s))
            .ok()
            .map(Currency)
    }

    /// The amount a JSON number with at most two decimals stands for, without formatting
    /// it: when `k / 100` (correctly rounded) is `v` and `|k| < 10^15`, the decimal
    /// `k / 100` has at most 15 significant digits, so no other decimal that short reads as
    /// `v`: it is the shortest text that round-trips, what the slow path would parse.
    fn from_cents(v: f64) -> Option<Currency> {
        let cents = (v * 100.0).round();
        if cents.abs() >= 1e15 || cents / 100.0 != v {
            return None;
        }
        Some(Currency(Decimal::new(cents as i64, 2).normalize()))
    }
}

impl From<Decimal> for Currency {
    fn from(d: Decimal) -> Currency {
        Currency(d)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Through the shortest decimal text, so 19.99 goes out as 19.99.
        let f: f64 = self
            .0
            .to_string()
            .parse()
            .map_err(serde::ser::Error::custom)?;
        s.serialize_f64(f)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Currency, E> {
                Ok(Currency(Decimal::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Currency, E> {
                Ok(Currency(Decimal::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Currency, E> {
                if let Some(c) = Currency::from_cents(v) {
                    return Ok(c);
                }
                // f64's Display is the shortest text that round-trips: 19.99, not
                // 19.98999…; written to the stack, not the heap, as it runs per value.
                let mut buf = StackText::default();
                let parsed = std::fmt::Write::write_fmt(&mut buf, format_args!("{v}"))
                    .ok()
                    .and_then(|()| Currency::parse(buf.as_str()));
                parsed
                    .ok_or_else(|| E::custom(format!("{v} is out of range for a currency amount")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Currency, E> {
                Currency::parse(v).ok_or_else(|| E::custom(format!("{v:?} is not a number")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A small text buffer on the stack (longer text is an error, not a reallocation).
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_fast_path_reads_what_the_shortest_text_reads() {
        let slow = |v: f64| Currency::parse(&format!("{v}"));
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut fast = 0;
        let edge = [
            0.0,
            -0.0,
            0.1,
            0.2,
            0.3,
            19.99,
            -19.99,
            1e-7,
            1e12 + 0.01,
            9.99e12,
            1e13,
            1e15,
            123.456,
        ];
        let cents: Vec<f64> = (0..20_000)
            .map(|_| ((next() % 2_000_000_000) as i64 - 1_000_000_000) as f64 / 100.0)
            .collect();
        let wide: Vec<f64> = (0..20_000)
            .map(|_| f64::from_bits(next() >> 2) % 1e9)
            .collect();
        for v in edge.into_iter().chain(cents).chain(wide) {
            let Some(want) = slow(v) else {
                assert!(Currency::from_cents(v).is_none(), "{v}");
                continue;
            };
            if let Some(got) = Currency::from_cents(v) {
                fast += 1;
                assert_eq!(got, want, "{v}");
                assert_eq!(got.to_string(), want.to_string(), "{v}");
            }
        }
        assert!(
            fast > 20_000,
            "the fast path should take two-decimal amounts: {fast}"
        );
    }
}
