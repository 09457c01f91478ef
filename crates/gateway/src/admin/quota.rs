//! `GET /api/quota` (every account's quota windows) and `GET /api/providers/{id}/quota` (one
//! account's): what the answers' headers last reported, windows that have reset left out.

use axum::Json;
use axum::extract::{Path, State};
use omniroute_providers::quota::Window;
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;

#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountQuota {
    pub connection: String,
    pub provider: String,
    pub name: String,
    pub windows: Vec<Window>,
}

fn quota_of(state: &AppState, connection: &crate::registry::LiveConnection) -> AccountQuota {
    AccountQuota {
        connection: connection.row.id.clone(),
        provider: connection.row.provider.clone(),
        name: connection.row.name.clone(),
        windows: state
            .quota
            .windows(&connection.row.id, omniroute_store::now_ms()),
    }
}

pub async fn list(State(state): State<AppState>) -> Json<Vec<AccountQuota>> {
    let snapshot = state.registry.snapshot();
    Json(
        snapshot
            .connections
            .iter()
            .map(|c| quota_of(&state, c))
            .collect(),
    )
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountQuota>, ApiError> {
    let snapshot = state.registry.snapshot();
    let connection = snapshot
        .connections
        .iter()
        .find(|c| c.row.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no connection '{id}'")))?;
    Ok(Json(quota_of(&state, connection)))
}
