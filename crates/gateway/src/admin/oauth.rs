//! `/api/oauth`: sign in to subscription providers (start a flow, poll it, finish a paste
//! flow, cancel), refresh an account's token now, and import the official CLIs' own
//! credential files. The dashboard, the tray and `omniroute login` all drive these.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::AppState;
use crate::admin::json::{ApiJson, OptionalJson};
use crate::admin::providers::ConnectionView;
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::oauth::flows::{self, CompleteRequest, FlowStart, FlowView, StartRequest};
use crate::oauth::tokens::TokenFailure;

pub async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    OptionalJson(request): OptionalJson<StartRequest>,
) -> Result<(StatusCode, Json<FlowStart>), ApiError> {
    let started = flows::start(&state, &provider, request).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

pub async fn flow(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FlowView>, ApiError> {
    state
        .oauth
        .flows
        .view(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("sign-in '{id}'")))
}

pub async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CompleteRequest>,
) -> Result<Json<FlowView>, ApiError> {
    flows::complete(&state, &id, body).await.map(Json)
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.oauth.flows.cancel(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("sign-in '{id}'")))
    }
}

/// `POST /api/providers/{id}/refresh`: renews a signed-in account's token now.
pub async fn refresh(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let connection = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    if !crate::oauth::is_oauth(&connection) {
        return Err(ApiError::invalid(format!(
            "connection '{id}' is not a signed-in account; only those have tokens to refresh"
        )));
    }
    crate::oauth::renew_now(&state, &connection)
        .await
        .map_err(|e| match e {
            TokenFailure::NeedsSignIn(_) => ApiError::new(ErrorCode::Conflict, e.to_string()),
            TokenFailure::Unavailable(_) => ApiError::new(ErrorCode::Unavailable, e.to_string()),
        })?;
    let current = state
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    Ok(Json(crate::admin::providers::view(&state, current).await?))
}
