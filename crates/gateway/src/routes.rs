//! The table of paths → handlers. Nothing else lives here.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use crate::admin::{
    auth, backups, cli_tools, combos, health, keys, models, nodes, oauth, provider_health,
    providers, proxy as proxy_settings, quota, resilience, settings, sync, telemetry, translator,
    updates, usage,
};
use crate::client_api::{self, Endpoint};
use crate::{AppState, ErrorCode, access, access_log, error::ApiError, proxy};

/// The client API, built from `client_api::PATHS`.
fn client_routes(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for entry in client_api::PATHS {
        let handler = match (entry.endpoint, entry.format) {
            (Endpoint::Chat, format) => post(move |State(state): State<AppState>, request| {
                proxy::chat(state, format, request)
            }),
            (Endpoint::CountTokens, _) => post(proxy::count_tokens),
            (Endpoint::Models, _) => get(proxy::openai_models),
            (Endpoint::Embeddings, _) => post(proxy::media::embeddings),
            (Endpoint::Images, _) => post(proxy::media::images),
            (Endpoint::Transcriptions, _) => post(proxy::media::transcriptions),
            (Endpoint::ProviderChat, _) => post(proxy::provider_chat_completions),
            (Endpoint::ProviderEmbeddings, _) => post(proxy::media::provider_embeddings),
            (Endpoint::ProviderImages, _) => post(proxy::media::provider_images),
            (Endpoint::GeminiModels, _) => get(proxy::gemini_models),
            (Endpoint::GeminiAction, _) => post(proxy::gemini),
        };
        for path in client_api::variants(entry) {
            router = router.route(&path, handler.clone());
        }
    }
    router
        // Bodies are read by the handlers with their own limit and a client-format error.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            proxy::identify,
        ))
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(client_routes(&state))
        .route("/", get(crate::dashboard::index))
        .route("/assets/{*path}", get(crate::dashboard::asset))
        .route("/healthz", get(health::liveness))
        .route("/metrics", get(telemetry::metrics))
        .route("/api/telemetry", get(telemetry::report))
        .route("/api/health", get(health::report))
        .route("/api/health/providers", get(provider_health::list))
        .route("/api/system/update", get(updates::get))
        .route("/api/system/update/check", post(updates::check))
        .route("/api/system/update/install", post(updates::install))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/password", post(auth::change_password))
        .route("/api/auth/status", get(auth::status))
        .route("/api/settings", get(settings::get).patch(settings::patch))
        .route(
            "/api/settings/proxy",
            get(proxy_settings::get).put(proxy_settings::put),
        )
        .route("/api/settings/proxy/test", post(proxy_settings::test))
        .route("/api/combos", get(combos::list).post(combos::create))
        .route(
            "/api/combos/active",
            get(combos::get_active).put(combos::set_active),
        )
        .route("/api/combos/reorder", post(combos::reorder))
        .route(
            "/api/combos/{id}",
            get(combos::get).put(combos::update).delete(combos::delete),
        )
        .route(
            "/api/fallback/chains",
            get(combos::list_chains)
                .post(combos::put_chain)
                .delete(combos::delete_chain),
        )
        .route(
            "/api/resilience",
            get(resilience::get).patch(resilience::patch),
        )
        .route("/api/resilience/reset", post(resilience::reset))
        .route("/api/resilience/lock", post(resilience::lock))
        .route("/api/resilience/unlock", post(resilience::unlock))
        .route(
            "/api/providers",
            get(providers::list).post(providers::create),
        )
        .route("/api/providers/catalog", get(providers::catalog))
        .route(
            "/api/providers/{id}",
            get(providers::get)
                .put(providers::update)
                .delete(providers::delete),
        )
        .route("/api/providers/{id}/test", post(providers::test))
        .route("/api/providers/{id}/quota", get(quota::get))
        .route("/api/quota", get(quota::list))
        .route("/api/oauth/{provider}/start", post(oauth::start))
        .route("/api/oauth/{provider}/import", post(oauth::import))
        .route(
            "/api/oauth/flows/{id}",
            get(oauth::flow).delete(oauth::cancel),
        )
        .route("/api/oauth/flows/{id}/complete", post(oauth::complete))
        .route("/api/providers/{id}/refresh", post(oauth::refresh))
        .route("/api/provider-nodes", get(nodes::list).post(nodes::create))
        .route(
            "/api/provider-nodes/{id}",
            put(nodes::update).delete(nodes::delete),
        )
        .route(
            "/api/provider-models",
            get(models::list_custom)
                .post(models::add_custom)
                .delete(models::delete_custom),
        )
        .route("/api/models/catalog", get(models::catalog))
        .route("/sync/v1/{group}/devices/", get(crate::sync_hub::list))
        .route(
            "/sync/v1/{group}/devices/{file}",
            get(crate::sync_hub::get)
                .put(crate::sync_hub::put)
                .layer(DefaultBodyLimit::max(crate::sync_hub::MAX_OBJECT_BYTES)),
        )
        .route("/api/sync/status", get(sync::status))
        .route("/api/sync/config", put(sync::join).delete(sync::leave))
        .route("/api/sync/pairing-code", post(sync::pairing_code))
        .route("/api/sync/now", post(sync::now))
        .route(
            "/api/sync/conflicts/{id}",
            axum::routing::delete(sync::dismiss_conflict),
        )
        .route(
            "/api/sync/conflicts/{id}/restore",
            post(sync::restore_conflict),
        )
        .route("/api/cli-tools", get(cli_tools::list))
        .route("/api/cli-tools/{tool}/preview", post(cli_tools::preview))
        .route("/api/cli-tools/{tool}/apply", post(cli_tools::apply))
        .route("/api/cli-tools/{tool}/restore", post(cli_tools::restore))
        .route("/api/cli-tools/{tool}/snapshots", get(cli_tools::snapshots))
        .route("/api/cli-tools/{tool}/launch", post(cli_tools::launch))
        .route("/api/keys", get(keys::list).post(keys::create))
        .route("/api/keys/{id}", axum::routing::delete(keys::delete))
        .route("/api/usage", get(usage::report))
        .route(
            "/api/usage/budget",
            get(usage::list_budgets)
                .post(usage::set_budget)
                .delete(usage::delete_budget),
        )
        .route("/api/usage/logs", get(usage::logs))
        .route(
            "/api/pricing",
            get(usage::get_pricing).put(usage::put_pricing),
        )
        .route("/api/cache", get(usage::cache).delete(usage::clear_cache))
        .route(
            "/api/models/alias",
            get(models::list_aliases)
                .put(models::put_alias)
                .delete(models::delete_alias),
        )
        .route("/api/translator/translate", post(translator::translate))
        .route("/api/translator/monitor", get(translator::monitor))
        .route("/api/db-backups/export", get(backups::export))
        .route("/api/db-backups/exportAll", get(backups::export_all))
        .route(
            "/api/db-backups/import",
            post(backups::import).layer(DefaultBodyLimit::max(backups::IMPORT_BODY_LIMIT)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), access::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::serving::admit,
        ))
        .layer(middleware::from_fn(access_log::log_request))
        .with_state(state)
}

async fn not_found(uri: Uri) -> Response {
    let path = uri.path();
    if !path.starts_with("/api")
        && let Some(format) = client_api::format_of(path)
    {
        return proxy::not_found(format, path);
    }
    ApiError::not_found(format!("no route for {path}")).into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
