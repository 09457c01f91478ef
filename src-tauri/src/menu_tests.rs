#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

use super::*;

fn provider(name: &str, state: ProviderState, remaining_ms: u64) -> ProviderHealth {
    ProviderHealth {
        provider: name.into(),
        state,
        remaining_ms,
        accounts: 2,
        resting: u32::from(state == ProviderState::Cooldown),
        needs_sign_in: Vec::new(),
        quota: Vec::new(),
    }
}

fn model() -> TrayModel {
    TrayModel {
        sync_problem: None,
        gateway: GatewayStatus::Running {
            url: "http://127.0.0.1:20128".into(),
        },
        combos: vec!["cheap".into(), "best-quality".into()],
        active: Some("best-quality".into()),
        providers: vec![
            provider("anthropic", ProviderState::Healthy, 0),
            provider("openai", ProviderState::Cooldown, 65_000),
        ],
        autostart: false,
        update: UpdateState::Idle,
    }
}

fn submenu<'a>(entries: &'a [Entry], id: &str) -> &'a [Entry] {
    entries
        .iter()
        .find_map(|e| match e {
            Entry::Submenu { id: i, entries, .. } if i == id => Some(entries.as_slice()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn combos_are_a_choice_with_the_active_one_checked() {
    let entries = model().entries();
    let combos: Vec<(String, bool)> = submenu(&entries, "combos")
        .iter()
        .map(|e| match e {
            Entry::Check { text, checked, .. } => (text.clone(), *checked),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        combos,
        [
            ("cheap".into(), false),
            ("best-quality".into(), true),
            ("None (route by model)".into(), false)
        ]
    );
    let ids: Vec<String> = submenu(&entries, "combos").iter().map(Entry::id).collect();
    assert_eq!(ids, ["combo:cheap", "combo:best-quality", "combo-none"]);
}

#[test]
fn every_clickable_id_maps_back_to_its_action() {
    let mut m = model();
    m.update = UpdateState::Ready {
        version: "0.2.0".into(),
        notes: None,
    };
    fn walk(entries: &[Entry], out: &mut Vec<Action>) {
        for e in entries {
            match e {
                Entry::Item { action, .. } | Entry::Check { action, .. } => {
                    out.push(action.clone())
                }
                Entry::Submenu { entries, .. } => walk(entries, out),
                Entry::Info { .. } | Entry::Separator => {}
            }
        }
    }
    let mut actions = Vec::new();
    walk(&m.entries(), &mut actions);
    // Three combo choices, Open, Configure tools, Copy, Start at login, the update entry, Quit.
    assert_eq!(actions.len(), 9);
    assert!(actions.contains(&Action::ConfigureTools));
    for action in actions {
        assert_eq!(Action::from_id(&action.id()), Some(action));
    }
    // A combo whose name contains the separator still round-trips.
    let odd = Action::ActivateCombo("team:a/b".into());
    assert_eq!(Action::from_id(&odd.id()), Some(odd));
    assert_eq!(Action::from_id("health:openai"), None);
}

#[test]
fn health_lines_say_state_and_time_left() {
    let mut m = model();
    m.providers
        .push(provider("gemini", ProviderState::Open, 30_000));
    m.providers.push(provider("groq", ProviderState::Open, 0));
    let entries = m.entries();
    let lines: Vec<String> = submenu(&entries, "health")
        .iter()
        .map(|e| match e {
            Entry::Info { text, .. } => text.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "● anthropic — healthy",
            "◐ openai — cooldown, 1m 05s left (1 of 2 accounts resting)",
            "○ gemini — open, 30s left",
            "○ groq — open, probing",
        ]
    );
}

#[test]
fn accounts_that_need_a_new_sign_in_are_listed_under_their_provider() {
    let mut m = model();
    m.providers[0].needs_sign_in = vec!["ada@example.com".into()];
    let entries = m.entries();
    let health = submenu(&entries, "health");
    assert_eq!(health.len(), 3);
    let Entry::Item {
        action,
        text,
        enabled,
    } = &health[1]
    else {
        panic!("{:?}", health[1]);
    };
    assert_eq!(text, "   ⚠ ada@example.com needs a new sign-in…");
    assert!(*enabled);
    assert_eq!(
        Action::from_id(&action.id()),
        Some(Action::SignInAgain("anthropic/ada@example.com".into()))
    );
}

#[test]
fn each_accounts_tightest_quota_window_is_shown_under_its_provider() {
    let mut m = model();
    m.providers[0].quota = vec![
        TightestWindow {
            account: "work".into(),
            window: "5h".into(),
            used_fraction: 0.613,
            resets_in_ms: Some(3_725_000),
        },
        TightestWindow {
            account: "home".into(),
            window: "requests".into(),
            used_fraction: 0.2,
            resets_in_ms: None,
        },
    ];
    let entries = m.entries();
    let texts: Vec<String> = submenu(&entries, "health")
        .iter()
        .filter_map(|e| match e {
            Entry::Info { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        &texts[..3],
        [
            "● anthropic — healthy",
            "   work: 5h 61 %, resets in 1h 02m",
            "   home: requests 20 %",
        ]
    );
}

#[test]
fn the_icon_follows_health_and_the_gateway() {
    let mut m = model();
    assert_eq!(m.icon(), IconState::Degraded);
    m.providers.retain(|p| p.state == ProviderState::Healthy);
    assert_eq!(m.icon(), IconState::Healthy);
    m.providers.clear();
    assert_eq!(m.icon(), IconState::Healthy);
    m.gateway = GatewayStatus::Down {
        reason: "port busy".into(),
    };
    assert_eq!(m.icon(), IconState::Down);
    assert_eq!(
        m.tooltip(),
        "Gateway stopped: port busy · combo best-quality"
    );
}

#[test]
fn actions_needing_the_gateway_are_disabled_until_it_runs() {
    let mut m = model();
    m.gateway = GatewayStatus::Starting;
    let entries = m.entries();
    let enabled = |id: &str| {
        fn find(entries: &[Entry], id: &str) -> Option<bool> {
            entries.iter().find_map(|e| match e {
                Entry::Item { enabled, .. } | Entry::Check { enabled, .. } if e.id() == id => {
                    Some(*enabled)
                }
                Entry::Submenu { entries, .. } => find(entries, id),
                _ => None,
            })
        }
        find(&entries, id).unwrap()
    };
    assert!(!enabled("open"));
    assert!(!enabled("configure-tools"));
    assert!(!enabled("copy-endpoint"));
    assert!(!enabled("combo:cheap"));
    assert!(enabled("quit"));
    assert!(enabled("autostart"));
}

#[test]
fn the_update_entry_follows_the_updater() {
    let text = |update: UpdateState| {
        let mut m = model();
        m.update = update;
        m.entries()
            .into_iter()
            .find_map(|e| match e {
                Entry::Item {
                    action: Action::CheckForUpdates | Action::InstallUpdate,
                    text,
                    enabled,
                } => Some((text, enabled)),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(text(UpdateState::Idle), ("Check for updates".into(), true));
    assert_eq!(
        text(UpdateState::Downloading {
            version: "0.2.0".into(),
            received: 512,
            total: Some(2048)
        }),
        ("Downloading 0.2.0… 25 %".into(), false)
    );
    assert_eq!(
        text(UpdateState::Ready {
            version: "0.2.0".into(),
            notes: None
        }),
        ("Restart to install 0.2.0".into(), true)
    );
}

#[test]
fn shape_changes_only_when_entries_come_or_go() {
    let a = model().entries();
    let mut m = model();
    m.providers[1].remaining_ms = 1_000;
    m.autostart = true;
    assert!(TrayModel::same_shape(&a, &m.entries()));
    // The active combo is in the submenu's title, which the Linux tray only shows when rebuilt.
    m.active = Some("cheap".into());
    assert!(!TrayModel::same_shape(&a, &m.entries()));
    let mut m = model();
    m.combos.push("new".into());
    assert!(!TrayModel::same_shape(&a, &m.entries()));
    let mut m = model();
    m.update = UpdateState::Ready {
        version: "1".into(),
        notes: None,
    };
    assert!(!TrayModel::same_shape(&a, &m.entries()));
}

#[test]
fn a_sync_problem_shows_under_the_status_and_opens_the_sync_settings() {
    let mut m = model();
    assert!(!m.entries().iter().any(|e| e.id() == "open-sync"));
    m.sync_problem = Some("the hub does not answer".into());
    let entries = m.entries();
    assert_eq!(
        entries.get(1),
        Some(&Entry::Item {
            action: Action::OpenSync,
            text: "⚠ Sync: the hub does not answer".into(),
            enabled: true,
        })
    );
    assert_eq!(Action::from_id("open-sync"), Some(Action::OpenSync));
}
