//! Signing in to subscription providers with OAuth: the flows as catalog data (`spec`), PKCE
//! and state (`pkce`), token answers and the stored credential (`tokens`), the HTTP
//! exchanges (`client`), and credentials copied from the official clients' files (`import`). The gateway runs the flows and keeps tokens fresh; this crate knows
//! the protocols.

pub mod client;
pub mod import;
pub mod pkce;
pub mod spec;
pub mod tokens;

pub use client::{DeviceStart, OAuthError};
pub use pkce::Pkce;
pub use spec::{FlowKind, OAuthSpec};
pub use tokens::{ApiToken, Credential, Identity, TokenAnswer, TokenError};
