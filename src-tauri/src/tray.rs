//! The tray icon: renders [`TrayModel`] into Tauri's tray and keeps it current. The model is
//! recomputed every second and after every action; the shown menu is updated in place when
//! only texts and checks changed (a rebuild would close a menu the user has open) and rebuilt
//! when entries came or went (a new combo, a provider connected).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omniroute_gateway::Updater;
use omniroute_gateway::control;
use omniroute_gateway::health::lock;
use tauri::image::Image;
use tauri::menu::{
    CheckMenuItem, IsMenuItem, Menu, MenuItem, MenuItemKind, PredefinedMenuItem, Submenu,
};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::actions;
use crate::gateway::GatewayCell;
use crate::menu::{Action, Entry, IconState, TrayModel};
use crate::updater::DesktopUpdater;

const TRAY_ID: &str = "omniroute";

fn icon(state: IconState) -> tauri::Result<Image<'static>> {
    Image::from_bytes(match state {
        IconState::Healthy => include_bytes!("../icons/tray-healthy.png"),
        IconState::Degraded => include_bytes!("../icons/tray-degraded.png"),
        IconState::Down => include_bytes!("../icons/tray-down.png"),
    })
}

/// What is on screen now, to decide between an in-place update and a rebuild.
#[derive(Default)]
struct Shown {
    entries: Vec<Entry>,
    items: HashMap<String, MenuItemKind<Wry>>,
    icon: Option<IconState>,
    tooltip: String,
    /// The combo list, reread from the store only when the registry changed.
    combos: Option<(u64, Vec<String>)>,
}

pub struct Tray {
    icon: TrayIcon,
    shown: Mutex<Shown>,
    /// Whether start at login is on: read once at start and after each toggle, not every
    /// second (it is a file in the user's autostart folder).
    autostart: AtomicBool,
}

/// Creates the tray (gateway still starting) and starts keeping it current.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let icon = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(IconState::Down)?)
        .tooltip("OmniRoute is starting…")
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| {
            if let Some(action) = Action::from_id(event.id().as_ref()) {
                actions::perform(app, action);
            }
        })
        .build(app)?;
    app.manage(Arc::new(Tray {
        icon,
        shown: Mutex::new(Shown::default()),
        autostart: AtomicBool::new(actions::autostart_enabled(app)),
    }));
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            refresh(&app).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    Ok(())
}

/// Records the start-at-login state after it changed.
pub fn note_autostart(app: &AppHandle, enabled: bool) {
    if let Some(tray) = app.try_state::<Arc<Tray>>() {
        tray.autostart.store(enabled, Ordering::Relaxed);
    }
}

/// Refreshes from a task (for callers on the main thread).
pub fn refresh_soon(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh(&app).await });
}

pub async fn refresh(app: &AppHandle) {
    let Some(tray) = app.try_state::<Arc<Tray>>().map(|t| Arc::clone(&t)) else {
        return;
    };
    let model = model(app, &tray).await;
    if let Err(e) = tray.render(app, &model) {
        tracing::warn!(error = %e, "cannot update the tray");
    }
}

async fn model(app: &AppHandle, tray: &Tray) -> TrayModel {
    let cell = app.state::<GatewayCell>();
    let mut model = TrayModel {
        gateway: cell.status(),
        combos: Vec::new(),
        active: None,
        providers: Vec::new(),
        autostart: tray.autostart.load(Ordering::Relaxed),
        update: app.state::<DesktopUpdater>().state(),
        sync_problem: None,
    };
    if let Some(running) = cell.running() {
        let id = control::generation(&running.state);
        let cached = lock(&tray.shown)
            .combos
            .as_ref()
            .filter(|(seen, _)| *seen == id)
            .map(|(_, names)| names.clone());
        model.combos = match cached {
            Some(names) => names,
            None => match control::combo_names(&running.state).await {
                Ok(names) => {
                    lock(&tray.shown).combos = Some((id, names.clone()));
                    names
                }
                Err(e) => {
                    tracing::warn!(error = %e.message, "cannot list combos for the tray");
                    Vec::new()
                }
            },
        };
        model.active = control::active_combo(&running.state);
        model.providers = control::provider_health(&running.state);
        model.sync_problem = control::sync_problem(&running.state);
    }
    model
}

impl Tray {
    fn render(&self, app: &AppHandle, model: &TrayModel) -> tauri::Result<()> {
        let entries = model.entries();
        let mut shown = lock(&self.shown);
        if shown.entries != entries {
            if !shown.entries.is_empty() && TrayModel::same_shape(&shown.entries, &entries) {
                update_in_place(&entries, &shown.items)?;
            } else {
                let mut items = HashMap::new();
                let built = build(app, &entries, &mut items)?;
                let refs: Vec<&dyn IsMenuItem<Wry>> = built.iter().map(as_item).collect();
                let menu = Menu::with_items(app, &refs)?;
                self.icon.set_menu(Some(menu))?;
                shown.items = items;
            }
            shown.entries = entries;
        }
        let state = model.icon();
        if shown.icon != Some(state) {
            self.icon.set_icon(Some(icon(state)?))?;
            shown.icon = Some(state);
        }
        let tooltip = model.tooltip();
        if shown.tooltip != tooltip {
            self.icon.set_tooltip(Some(&tooltip))?;
            shown.tooltip = tooltip;
        }
        Ok(())
    }
}

fn as_item(kind: &MenuItemKind<Wry>) -> &dyn IsMenuItem<Wry> {
    match kind {
        MenuItemKind::MenuItem(i) => i,
        MenuItemKind::Submenu(i) => i,
        MenuItemKind::Predefined(i) => i,
        MenuItemKind::Check(i) => i,
        MenuItemKind::Icon(i) => i,
    }
}

fn build(
    app: &AppHandle,
    entries: &[Entry],
    items: &mut HashMap<String, MenuItemKind<Wry>>,
) -> tauri::Result<Vec<MenuItemKind<Wry>>> {
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let id = entry.id();
        let kind = match entry {
            Entry::Info { text, .. } => {
                MenuItemKind::MenuItem(MenuItem::with_id(app, &id, text, false, None::<&str>)?)
            }
            Entry::Item { text, enabled, .. } => {
                MenuItemKind::MenuItem(MenuItem::with_id(app, &id, text, *enabled, None::<&str>)?)
            }
            Entry::Check {
                text,
                checked,
                enabled,
                ..
            } => MenuItemKind::Check(CheckMenuItem::with_id(
                app,
                &id,
                text,
                *enabled,
                *checked,
                None::<&str>,
            )?),
            Entry::Submenu { text, entries, .. } => {
                let children = build(app, entries, items)?;
                let refs: Vec<&dyn IsMenuItem<Wry>> = children.iter().map(as_item).collect();
                MenuItemKind::Submenu(Submenu::with_id_and_items(app, &id, text, true, &refs)?)
            }
            Entry::Separator => {
                out.push(MenuItemKind::Predefined(PredefinedMenuItem::separator(
                    app,
                )?));
                continue;
            }
        };
        items.insert(id, kind.clone());
        out.push(kind);
    }
    Ok(out)
}

fn update_in_place(
    entries: &[Entry],
    items: &HashMap<String, MenuItemKind<Wry>>,
) -> tauri::Result<()> {
    for entry in entries {
        let Some(item) = items.get(&entry.id()) else {
            continue;
        };
        match (entry, item) {
            (Entry::Info { text, .. }, MenuItemKind::MenuItem(i)) => i.set_text(text)?,
            (Entry::Item { text, enabled, .. }, MenuItemKind::MenuItem(i)) => {
                i.set_text(text)?;
                i.set_enabled(*enabled)?;
            }
            (
                Entry::Check {
                    text,
                    checked,
                    enabled,
                    ..
                },
                MenuItemKind::Check(i),
            ) => {
                i.set_text(text)?;
                i.set_checked(*checked)?;
                i.set_enabled(*enabled)?;
            }
            // Same shape means the same title (see `same_shape`); only the entries change.
            (Entry::Submenu { entries, .. }, MenuItemKind::Submenu(_)) => {
                update_in_place(entries, items)?;
            }
            _ => {}
        }
    }
    Ok(())
}
