//! The OmniRoute gateway as a library: configuration, the axum application and its lifecycle.
//! `Gateway::start(config, listener)` serves until `Handle::shutdown`; the headless binary and
//! the desktop shell both drive it through this one entry point.

pub mod access;
mod access_log;
pub mod accounting;
pub mod admin;
pub mod cidr;
pub mod client_api;
pub mod cluster;
pub mod config;
pub mod control;
mod dashboard;
pub mod error;
pub mod health;
mod lifecycle;
mod monitor;
pub mod oauth;
mod process;
pub mod proxy;
pub mod quota;
pub mod reasoning_state;
mod registry;
pub mod replay;
pub mod resolve;
pub mod routes;
mod serving;
pub mod settings;
mod state;
pub mod sync;
pub mod sync_hub;
pub mod telemetry;
pub mod updater;

pub use config::{Config, ConfigError, Overrides};
pub use error::{ApiError, ErrorCode};
pub use lifecycle::{
    Extras, Gateway, Handle, StartError, bind, drain_on_termination, prepare_data_dir,
};
pub use serving::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_IN_FLIGHT};
pub use state::AppState;
pub use updater::{UpdateState, Updater};
