//! `/api/system/update`: application updates. The gateway does not update itself; the desktop
//! app plugs its signed updater in through [`Updater`] at start, and the dashboard button, the
//! tray's "Check for updates" and this API all drive that one object. The headless build has
//! none and says so (`state: "unsupported"`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::updater::{UpdateState, Updater};

fn current(state: &AppState) -> UpdateState {
    state
        .updater
        .as_ref()
        .map_or(UpdateState::Unsupported, |u| u.state())
}

/// `GET /api/system/update`
pub async fn get(State(state): State<AppState>) -> Json<UpdateState> {
    Json(current(&state))
}

fn updater(state: &AppState) -> Result<&Arc<dyn Updater>, ApiError> {
    state.updater.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "this gateway runs headless and does not update itself; install the new release with your package manager or replace the binary",
        )
    })
}

/// `POST /api/system/update/check`: 202 with the state after the check started.
pub async fn check(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<UpdateState>), ApiError> {
    let updater = updater(&state)?;
    updater.check();
    Ok((StatusCode::ACCEPTED, Json(updater.state())))
}

/// `POST /api/system/update/install`: installs a downloaded release and restarts.
pub async fn install(State(state): State<AppState>) -> Result<StatusCode, ApiError> {
    updater(&state)?
        .install_and_restart()
        .map_err(|message| ApiError::new(ErrorCode::Conflict, message))?;
    Ok(StatusCode::ACCEPTED)
}
