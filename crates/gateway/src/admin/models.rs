//! Models: `GET /api/models/catalog` (every model by provider and type, built-in and custom),
//! `/api/models/alias` (exact and wildcard aliases) and `/api/provider-models` (custom models,
//! exactly as the guide's `curl` examples use them).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use omniroute_providers::ModelKind;
use omniroute_store::aliases::Alias;
use omniroute_store::provider_models::CustomModel;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::admin::json::{ApiJson, ApiQuery};
use crate::error::ApiError;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogModel {
    /// The routable id: `prefix/model`.
    pub id: String,
    pub model_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ModelKind,
    pub context: Option<u64>,
    pub input_per_1k: Option<f64>,
    pub output_per_1k: Option<f64>,
    pub custom: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogGroup {
    pub provider: String,
    pub name: String,
    pub tier: String,
    pub connected: bool,
    pub models: Vec<CatalogModel>,
}

fn kind_of(kind: &str) -> ModelKind {
    match kind {
        "embedding" => ModelKind::Embedding,
        "image" => ModelKind::Image,
        "audio" => ModelKind::Audio,
        _ => ModelKind::Chat,
    }
}

pub async fn catalog(State(state): State<AppState>) -> Result<Json<Vec<CatalogGroup>>, ApiError> {
    let snapshot = state.registry.snapshot();
    let mut custom: BTreeMap<String, Vec<CustomModel>> = BTreeMap::new();
    for m in state.store.custom_models(None).await? {
        custom.entry(m.provider.clone()).or_default().push(m);
    }
    let mut groups: Vec<CatalogGroup> = state
        .catalog
        .providers
        .iter()
        .map(|p| CatalogGroup {
            provider: p.id.clone(),
            name: p.name.clone(),
            tier: p.tier.clone(),
            connected: snapshot.connections_of(&p.id).next().is_some(),
            models: p
                .models
                .iter()
                .map(|m| CatalogModel {
                    id: format!("{}/{}", p.id, m.id),
                    model_id: m.id.clone(),
                    name: m.id.clone(),
                    kind: m.kind,
                    context: m.context,
                    input_per_1k: m.input_per_1k,
                    output_per_1k: m.output_per_1k,
                    custom: false,
                })
                .collect(),
        })
        .collect();
    for node in &snapshot.nodes {
        groups.push(CatalogGroup {
            provider: node.prefix.clone(),
            name: node.name.clone(),
            tier: "custom".into(),
            connected: snapshot.connections_of(&node.prefix).next().is_some(),
            models: Vec::new(),
        });
    }
    for group in &mut groups {
        for m in custom.remove(&group.provider).unwrap_or_default() {
            group.models.push(CatalogModel {
                id: format!("{}/{}", m.provider, m.model_id),
                model_id: m.model_id,
                name: m.model_name,
                kind: kind_of(&m.kind),
                context: None,
                input_per_1k: None,
                output_per_1k: None,
                custom: true,
            });
        }
    }
    Ok(Json(groups))
}

#[derive(Debug, Deserialize)]
pub struct ProviderQuery {
    pub provider: Option<String>,
    pub model: Option<String>,
}

pub async fn list_custom(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ProviderQuery>,
) -> Result<Json<Vec<CustomModel>>, ApiError> {
    Ok(Json(
        state.store.custom_models(q.provider.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCustomModel {
    pub provider: String,
    pub model_id: String,
    #[serde(default)]
    pub model_name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<ModelKind>,
}

pub async fn add_custom(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewCustomModel>,
) -> Result<(StatusCode, Json<CustomModel>), ApiError> {
    let provider = body.provider.trim();
    if state.catalog.get(provider).is_none() && state.registry.snapshot().node(provider).is_none() {
        return Err(ApiError::invalid(format!("unknown provider '{provider}'")));
    }
    let model_id = body.model_id.trim();
    if model_id.is_empty() {
        return Err(ApiError::invalid("modelId must not be empty"));
    }
    let kind = match body.kind.unwrap_or_default() {
        ModelKind::Chat => "chat",
        ModelKind::Embedding => "embedding",
        ModelKind::Image => "image",
        ModelKind::Audio => "audio",
    };
    let model = CustomModel {
        provider: provider.to_owned(),
        model_id: model_id.to_owned(),
        model_name: body.model_name.unwrap_or_else(|| model_id.to_owned()),
        kind: kind.to_owned(),
    };
    state.store.put_custom_model(&model).await?;
    state.reload().await?;
    Ok((StatusCode::CREATED, Json(model)))
}

pub async fn delete_custom(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ProviderQuery>,
) -> Result<StatusCode, ApiError> {
    let (Some(provider), Some(model)) = (q.provider, q.model) else {
        return Err(ApiError::invalid(
            "both ?provider= and &model= are required",
        ));
    };
    if state.store.delete_custom_model(&provider, &model).await? {
        state.reload().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "no custom model '{model}' for provider '{provider}'"
        )))
    }
}

pub async fn list_aliases(State(state): State<AppState>) -> Result<Json<Vec<Alias>>, ApiError> {
    Ok(Json(state.store.aliases().await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutAlias {
    pub pattern: String,
    pub target: String,
}

pub async fn put_alias(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PutAlias>,
) -> Result<Json<Alias>, ApiError> {
    let (pattern, target) = (body.pattern.trim(), body.target.trim());
    if pattern.is_empty() || target.is_empty() {
        return Err(ApiError::invalid("pattern and target must not be empty"));
    }
    if target.contains(['*', '?']) {
        return Err(ApiError::invalid(
            "target must be a model id, not a pattern",
        ));
    }
    state.store.put_alias(pattern, target).await?;
    state.reload().await?;
    Ok(Json(Alias {
        pattern: pattern.to_owned(),
        target: target.to_owned(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct AliasQuery {
    pub pattern: Option<String>,
}

pub async fn delete_alias(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AliasQuery>,
) -> Result<StatusCode, ApiError> {
    let pattern = q
        .pattern
        .ok_or_else(|| ApiError::invalid("?pattern= is required"))?;
    if state.store.delete_alias(&pattern).await? {
        state.reload().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no alias '{pattern}'")))
    }
}
