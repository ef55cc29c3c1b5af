//! App credentials and HS256 JSON Web Tokens, as Kinabase issues them.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Issues and checks tokens for one app.
#[derive(Clone)]
pub struct TokenAuthority {
    key: Vec<u8>,
    tenant: String,
    next_jti: u64,
    /// Tokens with a sequence number below this were revoked.
    revoked_below: u64,
}

impl std::fmt::Debug for TokenAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthority")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// Not a well-formed JWT or a bad signature.
    Malformed,
    /// Past its `exp`.
    Expired,
    /// Revoked by the account.
    Revoked,
}

impl TokenRejection {
    /// The message in the `401` body.
    pub fn message(self) -> &'static str {
        match self {
            TokenRejection::Malformed => {
                "invalid token: not a token issued by this service; request a new one from POST /token"
            }
            TokenRejection::Expired => "token expired; request a new one from POST /token",
            TokenRejection::Revoked => "token revoked; request a new one from POST /token",
        }
    }
}

impl TokenAuthority {
    /// A new authority with a random signing key.
    pub fn new(tenant: &str) -> TokenAuthority {
        let key = (0..32).map(|_| fastrand::u8(..)).collect();
        TokenAuthority {
            key,
            tenant: tenant.to_string(),
            next_jti: 1,
            revoked_below: 0,
        }
    }

    /// Issues a token for `app_id` valid for `lifetime` from `now_ms` (unix milliseconds).
    /// `exp` is in whole seconds as JWTs require, rounded down so a token never outlives
    /// its lifetime.
    pub fn issue(&mut self, app_id: &str, lifetime: Duration, now_ms: u64) -> String {
        let jti = self.next_jti;
        self.next_jti += 1;
        let exp_ms = now_ms.saturating_add(u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX));
        let payload = json!({
            "appid": app_id,
            "tntid": self.tenant,
            "jti": jti.to_string(),
            "aud": "kinabase-api",
            "iat": now_ms / 1000,
            "exp": exp_ms / 1000,
            // Sub-second expiry for tests with lifetimes of a few seconds.
            "exp_ms": exp_ms,
        });
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        let signing_input = format!("{header}.{body}");
        let sig = URL_SAFE_NO_PAD.encode(self.sign(signing_input.as_bytes()));
        format!("{signing_input}.{sig}")
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// Checks a bearer token; returns the app id it was issued to.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<String, TokenRejection> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRejection::Malformed);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| TokenRejection::Malformed)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(format!("{h}.{p}").as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| TokenRejection::Malformed)?;
        let payload: Value = URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenRejection::Malformed)?;
        let exp_ms = payload
            .get("exp_ms")
            .and_then(Value::as_u64)
            .ok_or(TokenRejection::Malformed)?;
        if now_ms >= exp_ms {
            return Err(TokenRejection::Expired);
        }
        let jti: u64 = payload
            .get("jti")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or(TokenRejection::Malformed)?;
        if jti < self.revoked_below {
            return Err(TokenRejection::Revoked);
        }
        Ok(payload
            .get("appid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Revokes every token issued so far.
    pub fn revoke_all(&mut self) {
        self.revoked_below = self.next_jti;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_expire_revoke() {
        let mut a = TokenAuthority::new("t1");
        let tok = a.issue("app", Duration::from_secs(2), 10_000);
        assert_eq!(a.verify(&tok, 10_500), Ok("app".into()));
        assert_eq!(a.verify(&tok, 12_000), Err(TokenRejection::Expired));
        // Another payload under the same signature is refused.
        let parts: Vec<&str> = tok.split('.').collect();
        let other =
            URL_SAFE_NO_PAD.encode(br#"{"appid":"evil","exp_ms":99999999999999,"jti":"1"}"#);
        let forged = format!("{}.{other}.{}", parts[0], parts[2]);
        assert_eq!(a.verify(&forged, 10_500), Err(TokenRejection::Malformed));
        // A token signed with another key is refused.
        let stranger = TokenAuthority::new("t1").issue("app", Duration::from_secs(2), 10_000);
        assert_eq!(a.verify(&stranger, 10_500), Err(TokenRejection::Malformed));
        assert_eq!(a.verify("nope", 10_500), Err(TokenRejection::Malformed));
        a.revoke_all();
        assert_eq!(a.verify(&tok, 10_500), Err(TokenRejection::Revoked));
        let tok2 = a.issue("app", Duration::from_secs(2), 10_000);
        assert!(a.verify(&tok2, 10_500).is_ok());
        // A lifetime past u64 milliseconds saturates instead of overflowing.
        let long = a.issue(
            "app",
            Duration::from_secs(18_446_744_073_709_551),
            u64::MAX - 5,
        );
        assert!(a.verify(&long, u64::MAX - 6).is_ok());
    }
}
