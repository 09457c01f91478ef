//! Dashboard session tokens: compact JWTs signed with HS256 and `JWT_SECRET` (RFC 7519). Only
//! what OmniRoute issues is accepted: the header must say HS256, the signature is compared in
//! constant time, and the expiry is checked against the caller's clock.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The claims of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who the session belongs to (the single dashboard user: `admin`).
    pub sub: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Unique id, so one session can be revoked (logout).
    pub jti: String,
    /// When the password in force at issue time was set (Unix ms, 0 for `INITIAL_PASSWORD`): a
    /// password change makes every session with an older value invalid. Seconds-resolution
    /// `iat` cannot order a login and a password change made within the same second.
    pub pwc: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT")]
    Malformed,
    #[error("unsupported JWT algorithm")]
    Algorithm,
    #[error("bad signature")]
    Signature,
    #[error("session expired")]
    Expired,
    #[error("unusable signing key")]
    Key,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
}

fn mac(secret: &[u8]) -> Result<HmacSha256, TokenError> {
    // HMAC accepts keys of any length; the error exists only for the generic `KeyInit` API.
    HmacSha256::new_from_slice(secret).map_err(|_| TokenError::Key)
}

pub fn sign(claims: &Claims, secret: &[u8]) -> Result<String, TokenError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(|_| TokenError::Malformed)?);
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret)?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{signature}"))
}

/// The claims of `token` if it is ours, intact and not expired at `now` (Unix seconds).
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(TokenError::Malformed)?;
    if header.alg != "HS256" {
        return Err(TokenError::Algorithm);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = mac(secret)?;
    mac.update(header_b64.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::Signature)?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or(TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            sub: "admin".into(),
            iat: 1_000,
            exp: 2_000,
            jti: "abc".into(),
            pwc: 0,
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let token = sign(&claims(), b"secret").unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(verify(&token, b"secret", 1_500), Ok(claims()));
        assert_eq!(verify(&token, b"secret", 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn matches_a_reference_hs256_token() {
        // The RFC 7515 A.1-style check: a token built by hand with the same key and input.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap());
        let mut mac = HmacSha256::new_from_slice(b"k").unwrap();
        mac.update(format!("{header}.{payload}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(
            sign(&claims(), b"k").unwrap(),
            format!("{header}.{payload}.{sig}")
        );
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let token = sign(&claims(), b"secret").unwrap();
        assert_eq!(verify(&token, b"other", 1_500), Err(TokenError::Signature));
        let mut forged = claims();
        forged.exp = 9_999_999_999;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(
            verify(&tampered, b"secret", 1_500),
            Err(TokenError::Signature)
        );
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(
            verify(&none_alg, b"secret", 1_500),
            Err(TokenError::Algorithm)
        );
        for junk in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.!!.!!",
            &format!("{}.{}.%%", parts[0], parts[1]),
        ] {
            assert_eq!(
                verify(junk, b"secret", 1_500),
                Err(TokenError::Malformed),
                "{junk}"
            );
        }
    }
}
