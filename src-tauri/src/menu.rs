//! The tray menu as one table: a pure function from what the app knows (gateway status, combos,
//! provider health, autostart, update state) to the entries shown, and from an entry's id back
//! to the action it stands for. No Tauri here, so the menu's content is tested directly.

use omniroute_gateway::UpdateState;
use omniroute_gateway::control::{ProviderHealth, ProviderState, TightestWindow};

/// Whether the in-process gateway serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayStatus {
    Starting,
    Running { url: String },
    Down { reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrayModel {
    pub gateway: GatewayStatus,
    /// Combo names in the user's order.
    pub combos: Vec<String>,
    pub active: Option<String>,
    pub providers: Vec<ProviderHealth>,
    pub autostart: bool,
    pub update: UpdateState,
    /// What went wrong with cloud sync, while it is wrong.
    pub sync_problem: Option<String>,
}

/// The three tray icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconState {
    Healthy,
    Degraded,
    Down,
}

/// What clicking an entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ActivateCombo(String),
    /// Route by model name alone, no active combo.
    ClearCombo,
    OpenDashboard,
    /// An account that needs a new sign-in (`provider/account`): opens the dashboard, where its
    /// "Sign in again" is.
    SignInAgain(String),
    /// The dashboard's CLI Tools page (detect, configure and restore coding tools).
    ConfigureTools,
    /// Settings → Sync, where a sync problem is explained.
    OpenSync,
    CopyEndpoint,
    ToggleAutostart,
    CheckForUpdates,
    InstallUpdate,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Shown, not clickable.
    Info {
        id: String,
        text: String,
    },
    Item {
        action: Action,
        text: String,
        enabled: bool,
    },
    /// A checkbox or one choice of a group (the combos).
    Check {
        action: Action,
        text: String,
        checked: bool,
        enabled: bool,
    },
    Submenu {
        id: String,
        text: String,
        entries: Vec<Entry>,
    },
    Separator,
}

const COMBO_PREFIX: &str = "combo:";
const SIGN_IN_PREFIX: &str = "sign-in:";

impl Action {
    /// The menu item id this action is known by.
    pub fn id(&self) -> String {
        match self {
            Self::ActivateCombo(name) => format!("{COMBO_PREFIX}{name}"),
            Self::ClearCombo => "combo-none".into(),
            Self::OpenDashboard => "open".into(),
            Self::SignInAgain(account) => format!("{SIGN_IN_PREFIX}{account}"),
            Self::ConfigureTools => "configure-tools".into(),
            Self::OpenSync => "open-sync".into(),
            Self::CopyEndpoint => "copy-endpoint".into(),
            Self::ToggleAutostart => "autostart".into(),
            Self::CheckForUpdates => "check-updates".into(),
            Self::InstallUpdate => "install-update".into(),
            Self::Quit => "quit".into(),
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        if let Some(name) = id.strip_prefix(COMBO_PREFIX) {
            return Some(Self::ActivateCombo(name.to_owned()));
        }
        if let Some(account) = id.strip_prefix(SIGN_IN_PREFIX) {
            return Some(Self::SignInAgain(account.to_owned()));
        }
        Some(match id {
            "combo-none" => Self::ClearCombo,
            "open" => Self::OpenDashboard,
            "configure-tools" => Self::ConfigureTools,
            "open-sync" => Self::OpenSync,
            "copy-endpoint" => Self::CopyEndpoint,
            "autostart" => Self::ToggleAutostart,
            "check-updates" => Self::CheckForUpdates,
            "install-update" => Self::InstallUpdate,
            "quit" => Self::Quit,
            _ => return None,
        })
    }
}

impl Entry {
    pub fn id(&self) -> String {
        match self {
            Self::Info { id, .. } | Self::Submenu { id, .. } => id.clone(),
            Self::Item { action, .. } | Self::Check { action, .. } => action.id(),
            Self::Separator => String::new(),
        }
    }
}

impl TrayModel {
    pub fn icon(&self) -> IconState {
        match self.gateway {
            GatewayStatus::Running { .. } => {
                if self
                    .providers
                    .iter()
                    .all(|p| p.state == ProviderState::Healthy)
                {
                    IconState::Healthy
                } else {
                    IconState::Degraded
                }
            }
            GatewayStatus::Starting | GatewayStatus::Down { .. } => IconState::Down,
        }
    }

    /// The tooltip: status and active combo in one line.
    pub fn tooltip(&self) -> String {
        let status = status_line(&self.gateway);
        match &self.active {
            Some(combo) => format!("{status} · combo {combo}"),
            None => status,
        }
    }

    /// The menu, top to bottom.
    pub fn entries(&self) -> Vec<Entry> {
        let running = matches!(self.gateway, GatewayStatus::Running { .. });
        let mut combos: Vec<Entry> = self
            .combos
            .iter()
            .map(|name| Entry::Check {
                action: Action::ActivateCombo(name.clone()),
                text: name.clone(),
                checked: self.active.as_deref() == Some(name.as_str()),
                enabled: running,
            })
            .collect();
        combos.push(Entry::Check {
            action: Action::ClearCombo,
            text: "None (route by model)".into(),
            checked: self.active.is_none(),
            enabled: running,
        });
        let health = if self.providers.is_empty() {
            vec![Entry::Info {
                id: "health-none".into(),
                text: "No provider connected".into(),
            }]
        } else {
            self.providers
                .iter()
                .flat_map(|p| {
                    let line = Entry::Info {
                        id: format!("health:{}", p.provider),
                        text: health_line(p),
                    };
                    // Each account that needs a new sign-in, one click from doing it.
                    let sign_ins = p.needs_sign_in.iter().map(|account| Entry::Item {
                        action: Action::SignInAgain(format!("{}/{account}", p.provider)),
                        text: format!("   ⚠ {account} needs a new sign-in…"),
                        enabled: running,
                    });
                    let quota = p.quota.iter().map(|w| Entry::Info {
                        id: format!("quota:{}/{}", p.provider, w.account),
                        text: quota_line(w),
                    });
                    std::iter::once(line).chain(quota).chain(sign_ins)
                })
                .collect()
        };
        let (update_action, update_text, update_enabled) = update_entry(&self.update);
        let sync = self.sync_problem.iter().map(|problem| Entry::Item {
            action: Action::OpenSync,
            text: format!("⚠ Sync: {problem}"),
            enabled: running,
        });
        let mut top = vec![Entry::Info {
            id: "status".into(),
            text: status_line(&self.gateway),
        }];
        top.extend(sync);
        top.into_iter()
            .chain([
                Entry::Separator,
                Entry::Submenu {
                    id: "combos".into(),
                    text: match &self.active {
                        Some(name) => format!("Combo: {name}"),
                        None => "Combo: none".into(),
                    },
                    entries: combos,
                },
                Entry::Submenu {
                    id: "health".into(),
                    text: "Provider health".into(),
                    entries: health,
                },
                Entry::Separator,
                Entry::Item {
                    action: Action::OpenDashboard,
                    text: "Open dashboard".into(),
                    enabled: running,
                },
                Entry::Item {
                    action: Action::ConfigureTools,
                    text: "Configure tools…".into(),
                    enabled: running,
                },
                Entry::Item {
                    action: Action::CopyEndpoint,
                    text: "Copy endpoint URL".into(),
                    enabled: running,
                },
                Entry::Check {
                    action: Action::ToggleAutostart,
                    text: "Start at login".into(),
                    checked: self.autostart,
                    enabled: true,
                },
                Entry::Item {
                    action: update_action,
                    text: update_text,
                    enabled: update_enabled,
                },
                Entry::Separator,
                Entry::Item {
                    action: Action::Quit,
                    text: "Quit OmniRoute".into(),
                    enabled: true,
                },
            ])
            .collect()
    }

    /// Whether the two menus have the same entries in the same places, so the shown menu can be
    /// updated in place (texts, checks) instead of rebuilt — a rebuild closes an open menu. A
    /// submenu's title counts as shape: the Linux tray (libayatana's dbusmenu) does not pass a
    /// changed submenu title on, so a new title needs a new menu.
    pub fn same_shape(a: &[Entry], b: &[Entry]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (
                    Entry::Submenu {
                        id: i,
                        text: t,
                        entries: e,
                    },
                    Entry::Submenu {
                        id: j,
                        text: u,
                        entries: f,
                    },
                ) => i == j && t == u && Self::same_shape(e, f),
                (Entry::Info { .. }, Entry::Info { .. })
                | (Entry::Item { .. }, Entry::Item { .. })
                | (Entry::Check { .. }, Entry::Check { .. })
                | (Entry::Separator, Entry::Separator) => x.id() == y.id(),
                _ => false,
            })
    }
}

fn status_line(status: &GatewayStatus) -> String {
    match status {
        GatewayStatus::Starting => "OmniRoute is starting…".into(),
        GatewayStatus::Running { url } => format!("OmniRoute on {url}"),
        GatewayStatus::Down { reason } => format!("Gateway stopped: {reason}"),
    }
}

/// "2h 05m", "1m 05s", "40s": time left, rounded up to the second.
pub fn time_left(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    if secs >= 3600 {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// "   work: 5h 61 %, resets in 1h 02m" — an account's tightest quota window.
fn quota_line(w: &TightestWindow) -> String {
    let used = (w.used_fraction * 100.0).round();
    match w.resets_in_ms {
        Some(ms) => format!(
            "   {}: {} {used:.0} %, resets in {}",
            w.account,
            w.window,
            time_left(ms)
        ),
        None => format!("   {}: {} {used:.0} %", w.account, w.window),
    }
}

fn health_line(p: &ProviderHealth) -> String {
    match p.state {
        ProviderState::Healthy => format!("● {} — healthy", p.provider),
        ProviderState::Cooldown => format!(
            "◐ {} — cooldown, {} left ({} of {} accounts resting)",
            p.provider,
            time_left(p.remaining_ms),
            p.resting,
            p.accounts
        ),
        ProviderState::Open if p.remaining_ms == 0 => {
            format!("○ {} — open, probing", p.provider)
        }
        ProviderState::Open => format!(
            "○ {} — open, {} left",
            p.provider,
            time_left(p.remaining_ms)
        ),
    }
}

fn update_entry(state: &UpdateState) -> (Action, String, bool) {
    match state {
        UpdateState::Unsupported | UpdateState::Idle => {
            (Action::CheckForUpdates, "Check for updates".into(), true)
        }
        UpdateState::Checking => (
            Action::CheckForUpdates,
            "Checking for updates…".into(),
            false,
        ),
        UpdateState::UpToDate { current } => (
            Action::CheckForUpdates,
            format!("Up to date ({current}) — check again"),
            true,
        ),
        UpdateState::Downloading {
            version,
            received,
            total,
        } => {
            let progress = match total {
                Some(total) if *total > 0 => format!("{} %", received.saturating_mul(100) / total),
                _ => format!("{} KB", received / 1024),
            };
            (
                Action::CheckForUpdates,
                format!("Downloading {version}… {progress}"),
                false,
            )
        }
        UpdateState::Ready { version, .. } => (
            Action::InstallUpdate,
            format!("Restart to install {version}"),
            true,
        ),
        UpdateState::Failed { .. } => (
            Action::CheckForUpdates,
            "Update check failed — try again".into(),
            true,
        ),
    }
}

#[cfg(test)]
#[path = "menu_tests.rs"]
mod tests;
