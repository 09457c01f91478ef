//! `/api/combos` (CRUD, `active`, `reorder`) and `/api/fallback/chains`. A combo is saved only
//! if its strategy is known, its targets are non-empty, and nesting through other combos has
//! no cycle and at most three levels.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use omniroute_routing::combo::{self, Strategy, Target};
use omniroute_store::combos::{Combo, ComboTarget};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::json::{ApiJson, ApiQuery};
use crate::error::{ApiError, ErrorCode};
use crate::settings::ACTIVE_COMBO as ACTIVE_COMBO_SECTION;

/// A target as clients send it: `"openai/gpt-4o"` or `{"model": …, "weight": …}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TargetIn {
    Id(String),
    Full {
        model: String,
        #[serde(default = "one")]
        weight: u32,
    },
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComboIn {
    pub name: String,
    #[serde(default)]
    pub strategy: Option<Strategy>,
    pub models: Vec<TargetIn>,
}

fn targets(models: Vec<TargetIn>) -> Result<Vec<ComboTarget>, ApiError> {
    models
        .into_iter()
        .map(|t| {
            let (model, weight) = match t {
                TargetIn::Id(model) => (model, 1),
                TargetIn::Full { model, weight } => (model, weight),
            };
            let model = model.trim().to_owned();
            if model.is_empty() {
                return Err(ApiError::invalid(
                    "models: a target model must not be empty",
                ));
            }
            Ok(ComboTarget { model, weight })
        })
        .collect()
}

fn strategy_name(strategy: Strategy) -> String {
    match serde_json::to_value(strategy) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "priority".into(),
    }
}

/// Checks `name`'s targets against every other stored combo.
async fn validate(
    state: &AppState,
    name: &str,
    models: &[ComboTarget],
    replacing: Option<&str>,
) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.contains('/') {
        return Err(ApiError::invalid(
            "name must be non-empty and contain no '/' (it is used as a model id)",
        ));
    }
    let stored: HashMap<String, Vec<Target>> = state
        .store
        .combos()
        .await?
        .into_iter()
        .filter(|c| Some(c.name.as_str()) != replacing)
        .map(|c| {
            (
                c.name,
                c.models
                    .into_iter()
                    .map(|t| Target {
                        model: t.model,
                        weight: t.weight,
                    })
                    .collect(),
            )
        })
        .collect();
    let mine: Vec<Target> = models
        .iter()
        .map(|t| Target {
            model: t.model.clone(),
            weight: t.weight,
        })
        .collect();
    let lookup = |n: &str| {
        if n == name {
            Some(mine.clone())
        } else {
            stored.get(n).cloned()
        }
    };
    combo::validate(name, &mine, &lookup).map_err(|e| ApiError::invalid(e.to_string()))
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Combo>>, ApiError> {
    Ok(Json(state.store.combos().await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Combo>, ApiError> {
    state
        .store
        .combo(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no combo '{id}'")))
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ComboIn>,
) -> Result<(StatusCode, Json<Combo>), ApiError> {
    let name = body.name.trim().to_owned();
    let models = targets(body.models)?;
    validate(&state, &name, &models, None).await?;
    let combo = state
        .store
        .insert_combo(
            &name,
            &strategy_name(
                body.strategy
                    .unwrap_or(state.registry.snapshot().routing.combo_default_strategy),
            ),
            &models,
        )
        .await?;
    state.reload().await?;
    Ok((StatusCode::CREATED, Json(combo)))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ComboIn>,
) -> Result<Json<Combo>, ApiError> {
    let current = state
        .store
        .combo(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no combo '{id}'")))?;
    let name = body.name.trim().to_owned();
    let models = targets(body.models)?;
    validate(&state, &name, &models, Some(&current.name)).await?;
    let strategy = body
        .strategy
        .map_or(current.strategy.clone(), strategy_name);
    let combo = state
        .store
        .update_combo(&current.id, &name, &strategy, &models)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no combo '{id}'")))?;
    state.reload().await?;
    Ok(Json(combo))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let current = state
        .store
        .combo(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no combo '{id}'")))?;
    let users: Vec<String> = state
        .store
        .combos()
        .await?
        .into_iter()
        .filter(|c| c.models.iter().any(|t| t.model == current.name))
        .map(|c| c.name)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("combo '{}' is used by {}", current.name, users.join(", ")),
        ));
    }
    state.store.delete_combo(&current.id).await?;
    if state.registry.snapshot().active_combo.as_deref() == Some(current.name.as_str()) {
        state
            .store
            .put_settings_sections(&[(ACTIVE_COMBO_SECTION, &serde_json::Value::Null)])
            .await?;
    }
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ts_rs::TS)]
pub struct Active {
    pub name: Option<String>,
}

pub async fn get_active(State(state): State<AppState>) -> Json<Active> {
    Json(Active {
        name: state.registry.snapshot().active_combo.clone(),
    })
}

/// `PUT /api/combos/active {"name": …}` (or `{"id": …}`; `null` clears): takes effect for the
/// next request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetActive {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
}

pub async fn set_active(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetActive>,
) -> Result<Json<Active>, ApiError> {
    Ok(Json(
        activate(&state, body.name.or(body.id).as_deref()).await?,
    ))
}

/// Makes the combo named (or with the id) `key` the active one, or clears it with `None`; the
/// next request routes through it. The dashboard's `PUT` and the desktop tray both call this.
pub async fn activate(state: &AppState, key: Option<&str>) -> Result<Active, ApiError> {
    let name = match key {
        Some(key) => Some(
            state
                .store
                .combo(key)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no combo '{key}'")))?
                .name,
        ),
        None => None,
    };
    let value = name
        .clone()
        .map_or(serde_json::Value::Null, serde_json::Value::String);
    state
        .store
        .put_settings_sections(&[(ACTIVE_COMBO_SECTION, &value)])
        .await?;
    state.reload().await?;
    Ok(Active { name })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reorder {
    pub ids: Vec<String>,
}

pub async fn reorder(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Reorder>,
) -> Result<Json<Vec<Combo>>, ApiError> {
    state.store.reorder_combos(&body.ids).await?;
    Ok(Json(state.store.combos().await?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub model: String,
    pub targets: Vec<String>,
}

pub async fn list_chains(State(state): State<AppState>) -> Result<Json<Vec<Chain>>, ApiError> {
    let chains = state.store.fallback_chains().await?;
    Ok(Json(
        chains
            .into_iter()
            .map(|(model, targets)| Chain { model, targets })
            .collect(),
    ))
}

pub async fn put_chain(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Chain>,
) -> Result<(StatusCode, Json<Chain>), ApiError> {
    let model = body.model.trim().to_owned();
    let targets: Vec<String> = body
        .targets
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if model.is_empty() || targets.is_empty() {
        return Err(ApiError::invalid(
            "a chain needs a model and at least one target",
        ));
    }
    if targets.contains(&model) {
        return Err(ApiError::invalid(
            "a chain cannot fall back to the model that heads it",
        ));
    }
    state.store.put_fallback_chain(&model, &targets).await?;
    state.reload().await?;
    Ok((StatusCode::CREATED, Json(Chain { model, targets })))
}

#[derive(Debug, Deserialize)]
pub struct ChainQuery {
    pub model: Option<String>,
}

pub async fn delete_chain(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Result<StatusCode, ApiError> {
    let model = q
        .model
        .ok_or_else(|| ApiError::invalid("?model= is required"))?;
    if state.store.delete_fallback_chain(&model).await? {
        state.reload().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "no fallback chain for '{model}'"
        )))
    }
}
