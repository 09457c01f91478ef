//! `GET /api/settings` and `PATCH /api/settings`. A PATCH is a JSON merge patch (RFC 7396) per
//! section, validated against the section's type before anything is written, and all touched
//! sections are written in one transaction. The types and their loader are `crate::settings`.

use axum::Json;
use axum::extract::State;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::ApiError;
use crate::settings::{Settings, Stored, ThinkingMode, merge_patch};

const SECTIONS: [&str; 6] = [
    crate::settings::ROUTING,
    crate::settings::AI,
    crate::settings::SECURITY,
    crate::settings::CACHE,
    crate::settings::LOGS,
    crate::settings::NOTIFICATIONS,
];

async fn load(state: &AppState) -> Result<Settings, ApiError> {
    Ok(Settings::from_stored(&Stored::read(&state.store).await?))
}

fn validate(settings: &Settings) -> Result<(), ApiError> {
    if settings.routing.sticky_limit == 0 {
        return Err(ApiError::invalid("routing.stickyLimit must be at least 1"));
    }
    if !(0.0..=1.0).contains(&settings.routing.headroom_threshold) {
        return Err(ApiError::invalid(
            "routing.headroomThreshold must be between 0 and 1",
        ));
    }
    crate::access::IpRules::parse(&settings.security.ip_allow, &settings.security.ip_deny)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    if settings.ai.thinking_mode == ThinkingMode::Fixed && settings.ai.thinking_budget.is_none() {
        return Err(ApiError::invalid(
            "ai.thinkingBudget is required when ai.thinkingMode is fixed",
        ));
    }
    Ok(())
}

pub async fn get(State(state): State<AppState>) -> Result<Json<Settings>, ApiError> {
    Ok(Json(load(&state).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> Result<Json<Settings>, ApiError> {
    let current = load(&state).await?;
    let mut merged = serde_json::to_value(&current)
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    for (name, section_patch) in &patch {
        if !SECTIONS.contains(&name.as_str()) {
            return Err(ApiError::invalid(format!(
                "unknown settings section '{name}' (expected one of: {})",
                SECTIONS.join(", ")
            )));
        }
        if let Some(section) = merged.get_mut(name) {
            merge_patch(section, section_patch);
        }
    }
    let updated: Settings = from_sections(merged)?;
    validate(&updated)?;
    let values: Vec<(&str, Value)> = patch
        .keys()
        .filter_map(|name| {
            let value = match name.as_str() {
                "routing" => serde_json::to_value(&updated.routing),
                "ai" => serde_json::to_value(&updated.ai),
                "security" => serde_json::to_value(&updated.security),
                "cache" => serde_json::to_value(&updated.cache),
                "logs" => serde_json::to_value(&updated.logs),
                "notifications" => serde_json::to_value(&updated.notifications),
                _ => return None,
            };
            Some(value.map(|v| (name.as_str(), v)))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::new(crate::ErrorCode::Internal, e.to_string()))?;
    let refs: Vec<(&str, &Value)> = values.iter().map(|(k, v)| (*k, v)).collect();
    state.store.put_settings_sections(&refs).await?;
    state.reload().await?;
    Ok(Json(updated))
}

/// Parses each section separately so an error names its section ("ai: unknown field `x`").
fn from_sections(merged: Value) -> Result<Settings, ApiError> {
    fn parse<T: DeserializeOwned>(merged: &Value, name: &str) -> Result<T, ApiError> {
        let value = merged.get(name).cloned().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("{name}: {e}")))
    }
    Ok(Settings {
        routing: parse(&merged, "routing")?,
        ai: parse(&merged, "ai")?,
        security: parse(&merged, "security")?,
        cache: parse(&merged, "cache")?,
        logs: parse(&merged, "logs")?,
        notifications: parse(&merged, "notifications")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn section_errors_name_the_section_and_field() {
        let mut merged = serde_json::to_value(Settings::default()).unwrap();
        merge_patch(&mut merged, &json!({"ai": {"temperature": 2}}));
        let err = from_sections(merged).unwrap_err();
        assert!(
            err.message.starts_with("ai: unknown field `temperature`"),
            "{}",
            err.message
        );

        let mut merged = serde_json::to_value(Settings::default()).unwrap();
        merge_patch(
            &mut merged,
            &json!({"routing": {"accountStrategy": "fastest"}}),
        );
        let err = from_sections(merged).unwrap_err();
        assert!(
            err.message.contains("routing: unknown variant `fastest`"),
            "{}",
            err.message
        );
    }
}
