//! The management API (`/api`): one file per area, JSON in and out, errors as `ApiError`.

pub mod auth;
pub mod backups;
pub mod cli_tools;
pub mod combos;
pub mod health;
pub mod json;
pub mod keys;
pub mod models;
pub mod nodes;
pub mod oauth;
pub mod provider_health;
pub mod providers;
pub mod proxy;
pub mod quota;
pub mod resilience;
pub mod settings;
pub mod sync;
pub mod telemetry;
pub mod translator;
pub mod updates;
pub mod usage;
