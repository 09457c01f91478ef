//! Providers as data: the catalog (compiled in from `catalog.json`) and the shape of a request
//! to an upstream of each wire format (URL, auth header, fixed headers). Sending is the
//! gateway's job; this crate only decides what to send.

pub mod catalog;
pub mod upstream;

pub use catalog::{
    AuthStyle, Catalog, CatalogError, Login, ModelEntry, ModelKind, ProviderEntry, Wire,
};
pub use upstream::{UpstreamRequest, model_unsendable, upstream_request};
