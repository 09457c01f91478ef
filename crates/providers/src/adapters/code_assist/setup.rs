//! Finding a signed-in account's Code Assist project, as the Gemini CLI does at first use:
//! `loadCodeAssist`, then — for an account not set up yet — `onboardUser` and its long-running
//! operation until it names the project. Done once at sign-in; the project is kept with the
//! account's tokens.

use std::time::Duration;

use reqwest::Client;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    LoadCodeAssistRequest, LoadCodeAssistResponse, OnboardUserRequest, OnboardingStep, Operation,
    method_url, next_onboarding_step, operation_url,
};

/// How many times an unfinished onboarding operation is polled, a second apart.
const POLLS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("Code Assist is not available to this account: {0}")]
    Refused(String),
    #[error("Google wants the account verified first: open {url} ({reason})")]
    Validation { url: String, reason: String },
    #[error("Code Assist answered {status} during setup: {message}")]
    Status { status: u16, message: String },
    #[error("cannot reach Code Assist: {0}")]
    Unreachable(String),
    #[error("Code Assist's setup did not finish in time")]
    Unfinished,
}

async fn call<B: Serialize, T: DeserializeOwned>(
    client: &Client,
    token: &str,
    url: &str,
    body: Option<&B>,
) -> Result<T, SetupError> {
    let request = match body {
        Some(body) => client.post(url).json(body),
        None => client.get(url),
    };
    let response = request.bearer_auth(token).send().await.map_err(|e| {
        SetupError::Unreachable(
            if e.is_timeout() {
                "timed out"
            } else {
                "request failed"
            }
            .into(),
        )
    })?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|_| SetupError::Unreachable("the answer broke off".into()))?;
    if !(200..300).contains(&status) {
        let info =
            omniroute_formats::decode_error(omniroute_formats::Format::Gemini, status, &bytes);
        return Err(SetupError::Status {
            status,
            message: info.message,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| SetupError::Status {
        status,
        message: format!("unreadable answer: {e}"),
    })
}

/// The account's project at `base`, onboarding it when needed. `user_project`: a Google Cloud
/// project the user named (paid tiers need one).
pub async fn project(
    client: &Client,
    base: &str,
    token: &str,
    user_project: Option<&str>,
) -> Result<String, SetupError> {
    let load: LoadCodeAssistResponse = call(
        client,
        token,
        &method_url(base, "loadCodeAssist"),
        Some(&LoadCodeAssistRequest::new(user_project)),
    )
    .await?;
    let (tier_id, project) = match next_onboarding_step(&load, user_project) {
        OnboardingStep::Ready { project, .. } => return Ok(project),
        OnboardingStep::Onboard { tier_id, project } => (tier_id, project),
        OnboardingStep::NeedsValidation { url, reason } => {
            return Err(SetupError::Validation { url, reason });
        }
        OnboardingStep::NeedsProject { reason } => return Err(SetupError::Refused(reason)),
    };
    let mut operation: Operation = call(
        client,
        token,
        &method_url(base, "onboardUser"),
        Some(&OnboardUserRequest::new(&tier_id, project.as_deref())),
    )
    .await?;
    for _ in 0..POLLS {
        if operation.done {
            return operation
                .project()
                .map(str::to_owned)
                .ok_or_else(|| SetupError::Refused("onboarding named no project".into()));
        }
        let Some(name) = operation.name.clone() else {
            return Err(SetupError::Unfinished);
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        operation = call::<(), _>(client, token, &operation_url(base, &name), None).await?;
    }
    Err(SetupError::Unfinished)
}
