//! The dashboard's TypeScript types of the management API (`ui/src/lib/api-types.ts`, which
//! re-exports `api-types-cli-tools.ts` and `api-types-sync.ts`) are
//! generated from the Rust types the API serializes, so the two cannot drift: this test fails
//! when the file differs from what the types say. `UPDATE_API_TYPES=1 cargo test -p
//! omniroute-gateway --test api_types` rewrites it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use omniroute_gateway::accounting::budgets::BudgetState;
use omniroute_gateway::accounting::calendar::Period;
use omniroute_gateway::accounting::pricing::{Price, Source};
use omniroute_gateway::admin::{auth, combos, health, keys, provider_health, usage};
use omniroute_gateway::replay::cache::CacheStats;
use omniroute_gateway::settings::{CacheSettings, LogSettings, NotificationSettings};
use omniroute_gateway::telemetry::{LatencySummary, TelemetryReport};
use omniroute_store::api_keys::ApiKey;
use omniroute_store::lockouts::Lockout;
use omniroute_store::usage::{RequestLog, UsageRow, UsageTotals};
use ts_rs::{Config, TS};

/// The generated files, each `(name in ui/src/lib, its declarations)`: the core of the API, and
/// one file per subsystem that the core re-exports, so the dashboard imports `$lib/api-types`.
fn declarations() -> Vec<(&'static str, String)> {
    let cfg = Config::new().with_large_int("number");
    let core = [
        ApiKey::decl(&cfg),
        keys::Created::decl(&cfg),
        omniroute_store::usage::AnswerSource::decl(&cfg),
        UsageRow::decl(&cfg),
        UsageTotals::decl(&cfg),
        usage::RequestRow::decl(&cfg),
        usage::UsageReport::decl(&cfg),
        RequestLog::decl(&cfg),
        Period::decl(&cfg),
        BudgetState::decl(&cfg),
        usage::BudgetStatus::decl(&cfg),
        Price::decl(&cfg),
        Source::decl(&cfg),
        usage::PriceRow::decl(&cfg),
        CacheSettings::decl(&cfg),
        LogSettings::decl(&cfg),
        NotificationSettings::decl(&cfg),
        CacheStats::decl(&cfg),
        usage::CacheReport::decl(&cfg),
        LatencySummary::decl(&cfg),
        TelemetryReport::decl(&cfg),
        omniroute_gateway::cluster::ClusterStatus::decl(&cfg),
        health::HealthReport::decl(&cfg),
        provider_health::ProviderState::decl(&cfg),
        provider_health::TightestWindow::decl(&cfg),
        provider_health::ProviderHealth::decl(&cfg),
        omniroute_gateway::UpdateState::decl(&cfg),
        omniroute_store::lockouts::LockScope::decl(&cfg),
        Lockout::decl(&cfg),
        auth::Session::decl(&cfg),
        auth::Status::decl(&cfg),
        combos::Active::decl(&cfg),
        omniroute_providers::catalog::AuthStyle::decl(&cfg),
        omniroute_providers::catalog::Wire::decl(&cfg),
        omniroute_providers::catalog::Login::decl(&cfg),
        omniroute_providers::catalog::ModelKind::decl(&cfg),
        omniroute_providers::catalog::ModelEntry::decl(&cfg),
        omniroute_providers::Operation::decl(&cfg),
        omniroute_providers::AdapterId::decl(&cfg),
        omniroute_providers::AdapterRule::decl(&cfg),
        omniroute_providers::oauth::spec::TokenEncoding::decl(&cfg),
        omniroute_providers::oauth::spec::RedirectSpec::decl(&cfg),
        omniroute_providers::oauth::spec::DeviceProtocol::decl(&cfg),
        omniroute_providers::oauth::spec::DeviceSpec::decl(&cfg),
        omniroute_providers::oauth::spec::ExchangeSpec::decl(&cfg),
        omniroute_providers::oauth::spec::FlowKind::decl(&cfg),
        omniroute_providers::oauth::import::ImportFormat::decl(&cfg),
        omniroute_providers::oauth::import::ImportSpec::decl(&cfg),
        omniroute_providers::usage_endpoint::UsageFormat::decl(&cfg),
        omniroute_providers::usage_endpoint::UsageSpec::decl(&cfg),
        omniroute_providers::oauth::OAuthSpec::decl(&cfg),
        omniroute_providers::quota::CalendarReset::decl(&cfg),
        omniroute_providers::catalog::ProviderEntry::decl(&cfg),
        omniroute_providers::catalog::Catalog::decl(&cfg),
        omniroute_store::nodes::ApiType::decl(&cfg),
        omniroute_store::nodes::ProviderNode::decl(&cfg),
        omniroute_store::provider_models::CustomModel::decl(&cfg),
        omniroute_store::combos::ComboTarget::decl(&cfg),
        omniroute_store::combos::Combo::decl(&cfg),
        omniroute_gateway::admin::providers::AuthView::decl(&cfg),
        omniroute_gateway::admin::providers::ConnectionView::decl(&cfg),
        omniroute_gateway::oauth::flows::FlowStatus::decl(&cfg),
        omniroute_gateway::oauth::flows::FlowStart::decl(&cfg),
        omniroute_gateway::oauth::flows::FlowView::decl(&cfg),
        omniroute_providers::ProbeResult::decl(&cfg),
        omniroute_providers::quota::Window::decl(&cfg),
        omniroute_gateway::admin::quota::AccountQuota::decl(&cfg),
        omniroute_routing::breaker::BreakerProfile::decl(&cfg),
        omniroute_routing::breaker::Breaker::decl(&cfg),
        omniroute_routing::cooldown::BackoffProfile::decl(&cfg),
        omniroute_routing::cooldown::Reason::decl(&cfg),
        omniroute_routing::cooldown::Scope::decl(&cfg),
        omniroute_routing::ratelimit::Limits::decl(&cfg),
        omniroute_routing::accounts::AccountStrategy::decl(&cfg),
        omniroute_routing::combo::Strategy::decl(&cfg),
        omniroute_gateway::health::CooldownView::decl(&cfg),
        omniroute_gateway::health::AccountView::decl(&cfg),
        omniroute_gateway::health::HealthReport::decl(&cfg),
        omniroute_gateway::settings::Profiles::decl(&cfg),
        omniroute_gateway::admin::resilience::Resilience::decl(&cfg),
        omniroute_formats::shaping::EffortBudgets::decl(&cfg),
        omniroute_gateway::settings::ThinkingMode::decl(&cfg),
        omniroute_gateway::settings::ComboPrompt::decl(&cfg),
        omniroute_gateway::settings::RoutingSettings::decl(&cfg),
        omniroute_gateway::settings::AiSettings::decl(&cfg),
        omniroute_gateway::settings::SecuritySettings::decl(&cfg),
        omniroute_gateway::settings::Settings::decl(&cfg),
    ];
    let cli_tools = [
        omniroute_cli_tools::ToolId::decl(&cfg),
        omniroute_cli_tools::FileRole::decl(&cfg),
        omniroute_cli_tools::ConfigFileStatus::decl(&cfg),
        omniroute_cli_tools::Configured::decl(&cfg),
        omniroute_cli_tools::ManualSetup::decl(&cfg),
        omniroute_cli_tools::ToolStatus::decl(&cfg),
        omniroute_cli_tools::FilePreview::decl(&cfg),
        omniroute_cli_tools::Preview::decl(&cfg),
        omniroute_cli_tools::SnapshotReason::decl(&cfg),
        omniroute_cli_tools::SnapshotFile::decl(&cfg),
        omniroute_cli_tools::SnapshotInfo::decl(&cfg),
        omniroute_cli_tools::Applied::decl(&cfg),
        omniroute_cli_tools::Restored::decl(&cfg),
        omniroute_gateway::admin::cli_tools::AppliedView::decl(&cfg),
        omniroute_gateway::admin::cli_tools::RestoredView::decl(&cfg),
    ];
    let sync = [
        omniroute_sync::DeviceId::decl(&cfg),
        omniroute_sync::Kind::decl(&cfg),
        omniroute_sync::FailureKind::decl(&cfg),
        omniroute_sync::status::SyncFailure::decl(&cfg),
        omniroute_sync::status::VersionSummary::decl(&cfg),
        omniroute_sync::ConflictSummary::decl(&cfg),
        omniroute_sync::status::DeviceSummary::decl(&cfg),
        omniroute_sync::status::ClockWarning::decl(&cfg),
        omniroute_sync::SyncStatus::decl(&cfg),
        omniroute_gateway::admin::sync::SyncView::decl(&cfg),
        omniroute_gateway::admin::sync::PairingCodeView::decl(&cfg),
    ];
    let parts = [
        ("api-types-cli-tools.ts", cli_tools.to_vec()),
        ("api-types-sync.ts", sync.to_vec()),
    ];
    let names: Vec<&str> = parts.iter().map(|(name, _)| *name).collect();
    let mut files = vec![("api-types.ts", file(&core, &names))];
    files.extend(parts.iter().map(|(name, decls)| (*name, file(decls, &[]))));
    files
}

fn file(decls: &[String], reexports: &[&str]) -> String {
    let mut out = String::from(
        "// Generated from the Rust types of the management API by\n\
         // crates/gateway/tests/api_types.rs — do not edit; run\n\
         // `UPDATE_API_TYPES=1 cargo test -p omniroute-gateway --test api_types` after changing them.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(decl.trim());
        out.push('\n');
    }
    for name in reexports {
        out.push_str(&format!(
            "export * from \"./{}\";\n",
            name.trim_end_matches(".ts")
        ));
    }
    out
}

#[test]
fn dashboard_api_types_match_the_rust_types() {
    let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib");
    for (name, generated) in declarations() {
        let path = lib.join(name);
        if std::env::var("UPDATE_API_TYPES").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/{name} is out of date; run UPDATE_API_TYPES=1 cargo test -p omniroute-gateway --test api_types"
        );
    }
}
