//! Providers and everything about talking to them: the catalog (data, compiled in from
//! `catalog.json`), the target of one attempt, upstream I/O (pooled clients per proxy, sending
//! with the credential, bounded reads, retry hints, probes), OAuth sign-in and the adapters for the protocols
//! that differ. Routing decides where a request goes; this crate gets it there and back.

pub mod adapter;
pub mod adapters;
pub mod catalog;
pub mod error;
pub mod http;
pub mod oauth;
pub mod outbound;
pub mod probe;
pub mod quota;
pub mod target;
pub mod upstream;
pub mod usage_endpoint;

pub use adapter::{Adapter, AnswerBody, Audio, ChatBody, MediaAnswer, MediaCall, adapter_for};
pub use catalog::{
    AdapterId, AdapterRule, AuthStyle, Catalog, CatalogError, Login, ModelEntry, ModelKind,
    ProviderEntry, Wire,
};
pub use error::UpstreamError;
pub use http::{Prepared, QuotaSink, Upstream};
pub use outbound::{Clients, ProxyConfig, ProxyKind, ProxySettings};
pub use probe::{ProbeResult, probe};
pub use target::{Operation, Target};
pub use upstream::{UpstreamRequest, model_unsendable, upstream_request};
