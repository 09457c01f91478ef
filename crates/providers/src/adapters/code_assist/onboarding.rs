//! Code Assist onboarding: which Google Cloud project an account's calls bill to. After sign-in
//! the client calls `loadCodeAssist`; an account already set up answers with its tier and
//! project, otherwise it is onboarded with `onboardUser` (a long-running operation polled until
//! `done`). The free tier runs on a project Google manages; the paid tiers (Standard,
//! Enterprise) run on the user's own project, which the user must name. `next_onboarding_step`
//! is that decision as a pure function, following the Gemini CLI's `setupUser`.

use serde::{Deserialize, Serialize};

/// The tier id of the free tier (Google-managed project).
pub const FREE_TIER: &str = "free-tier";
/// What the Gemini CLI onboards to when no tier is marked default.
pub const LEGACY_TIER: &str = "legacy-tier";
/// `ineligibleTiers[].reasonCode` when Google wants the account verified in a browser first.
pub const VALIDATION_REQUIRED: &str = "VALIDATION_REQUIRED";

/// Who is asking, as the Gemini CLI describes itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientMetadata {
    pub ide_type: String,
    pub platform: String,
    pub plugin_type: String,
    /// The user's project, when they named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duet_project: Option<String>,
}

impl ClientMetadata {
    /// `IDE_UNSPECIFIED` / `PLATFORM_UNSPECIFIED` / `GEMINI`, with the user's project if any.
    pub fn gemini(project: Option<&str>) -> Self {
        Self {
            ide_type: "IDE_UNSPECIFIED".into(),
            platform: "PLATFORM_UNSPECIFIED".into(),
            plugin_type: "GEMINI".into(),
            duet_project: project.map(str::to_owned),
        }
    }
}

/// `POST v1internal:loadCodeAssist`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadCodeAssistRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudaicompanion_project: Option<String>,
    pub metadata: ClientMetadata,
}

impl LoadCodeAssistRequest {
    pub fn new(user_project: Option<&str>) -> Self {
        Self {
            cloudaicompanion_project: user_project.map(str::to_owned),
            metadata: ClientMetadata::gemini(user_project),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadCodeAssistResponse {
    /// Set once the account is onboarded.
    #[serde(default)]
    pub current_tier: Option<UserTier>,
    /// The paid tier the account has, which takes precedence over `current_tier` for display.
    #[serde(default)]
    pub paid_tier: Option<UserTier>,
    #[serde(default)]
    pub allowed_tiers: Vec<UserTier>,
    #[serde(default)]
    pub ineligible_tiers: Vec<IneligibleTier>,
    #[serde(default)]
    pub cloudaicompanion_project: Option<CompanionProject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTier {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_default: bool,
    /// The tier runs on a project the user configures.
    #[serde(default)]
    pub user_defined_cloudaicompanion_project: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IneligibleTier {
    #[serde(default)]
    pub reason_code: Option<String>,
    #[serde(default)]
    pub reason_message: Option<String>,
    #[serde(default)]
    pub tier_id: Option<String>,
    #[serde(default)]
    pub validation_url: Option<String>,
}

/// A project as the API names it: a bare id in `loadCodeAssist`, an `{id, name}` object in
/// `onboardUser`'s result (and in some `loadCodeAssist` answers).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CompanionProject {
    Id(String),
    Object {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        name: Option<String>,
    },
}

impl CompanionProject {
    /// The project id, if it has a non-empty one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Id(id) => Some(id.as_str()),
            Self::Object { id, .. } => id.as_deref(),
        }
        .filter(|id| !id.is_empty())
    }
}

/// `POST v1internal:onboardUser`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardUserRequest {
    pub tier_id: String,
    /// Absent for the free tier: naming a project there fails with `Precondition Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudaicompanion_project: Option<String>,
    pub metadata: ClientMetadata,
}

impl OnboardUserRequest {
    pub fn new(tier_id: &str, project: Option<&str>) -> Self {
        let project = if tier_id == FREE_TIER { None } else { project };
        Self {
            tier_id: tier_id.to_owned(),
            cloudaicompanion_project: project.map(str::to_owned),
            metadata: ClientMetadata::gemini(project),
        }
    }
}

/// The long-running operation `onboardUser` (and polling it) answers with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub response: Option<OnboardUserResponse>,
}

impl Operation {
    /// The project the finished onboarding assigned, if any.
    pub fn project(&self) -> Option<&str> {
        self.response
            .as_ref()?
            .cloudaicompanion_project
            .as_ref()?
            .id()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardUserResponse {
    #[serde(default)]
    pub cloudaicompanion_project: Option<CompanionProject>,
}

/// What to do after `loadCodeAssist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnboardingStep {
    /// Set up: call with this project.
    Ready { project: String, tier_id: String },
    /// Not set up yet: send `OnboardUserRequest::new(tier_id, project)` and poll the operation.
    Onboard {
        tier_id: String,
        project: Option<String>,
    },
    /// Google wants the account verified in a browser (`url`) before anything else.
    NeedsValidation { url: String, reason: String },
    /// The account needs a Google Cloud project the user must name (paid tiers), or cannot use
    /// Code Assist at all; `reason` says which, for the user.
    NeedsProject { reason: String },
}

/// The next onboarding step for an account whose `loadCodeAssist` answer is `load`;
/// `user_project` is the project the user configured, if any.
pub fn next_onboarding_step(
    load: &LoadCodeAssistResponse,
    user_project: Option<&str>,
) -> OnboardingStep {
    let user_project = user_project.map(str::trim).filter(|p| !p.is_empty());
    if let Some(current) = &load.current_tier {
        let tier_id = load.paid_tier.as_ref().unwrap_or(current).id.clone();
        let assigned = load.cloudaicompanion_project.as_ref().and_then(|p| p.id());
        return match assigned.or(user_project) {
            Some(project) => OnboardingStep::Ready {
                project: project.to_owned(),
                tier_id,
            },
            None => needs_project(load),
        };
    }
    if let Some(tier) = load.ineligible_tiers.iter().find(|t| {
        t.reason_code.as_deref() == Some(VALIDATION_REQUIRED) && t.validation_url.is_some()
    }) {
        return OnboardingStep::NeedsValidation {
            url: tier.validation_url.clone().unwrap_or_default(),
            reason: tier.reason_message.clone().unwrap_or_default(),
        };
    }
    let default = load.allowed_tiers.iter().find(|t| t.is_default);
    let tier_id = default.map_or(LEGACY_TIER, |t| t.id.as_str());
    if tier_id == FREE_TIER {
        return OnboardingStep::Onboard {
            tier_id: tier_id.to_owned(),
            project: None,
        };
    }
    // Paid (and legacy) tiers run on the user's project; without one, onboarding cannot end
    // with a usable project unless the server assigns one, which it says it will not.
    let user_defined =
        default.is_none_or(|t| t.user_defined_cloudaicompanion_project != Some(false));
    if user_project.is_none() && user_defined {
        return needs_project(load);
    }
    OnboardingStep::Onboard {
        tier_id: tier_id.to_owned(),
        project: user_project.map(str::to_owned),
    }
}

fn needs_project(load: &LoadCodeAssistResponse) -> OnboardingStep {
    let reasons: Vec<&str> = load
        .ineligible_tiers
        .iter()
        .filter_map(|t| t.reason_message.as_deref())
        .filter(|m| !m.is_empty())
        .collect();
    let reason = if reasons.is_empty() {
        "This account needs a Google Cloud project: set the project to use with Gemini Code \
         Assist (Standard and Enterprise licences run on your own project)."
            .to_owned()
    } else {
        reasons.join("; ")
    };
    OnboardingStep::NeedsProject { reason }
}
