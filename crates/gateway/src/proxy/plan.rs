//! The models a request will try, in order: a combo expands into its targets as its strategy
//! orders them (nested combos expand in place, at most three deep), a global fallback chain
//! headed by the requested model is appended, and duplicates are dropped. `auto` and `active`
//! name the active combo (the tray's choice).

use omniroute_routing::combo::{self, Facts, MAX_DEPTH};

use crate::AppState;
use crate::registry::Snapshot;

#[derive(Debug)]
pub struct Plan {
    /// The combo the request named, for messages and usage.
    pub combo: Option<String>,
    pub models: Vec<String>,
}

/// Names that mean "the active combo".
pub const ACTIVE_NAMES: [&str; 2] = ["auto", "active"];

pub fn plan(state: &AppState, snapshot: &Snapshot, model: &str) -> Plan {
    let requested = match (ACTIVE_NAMES.contains(&model), &snapshot.active_combo) {
        (true, Some(active)) => active.as_str(),
        _ => model,
    };
    let mut models = Vec::new();
    let combo = if snapshot.combos.contains_key(requested) {
        expand(state, snapshot, requested, 0, &mut models);
        Some(requested.to_owned())
    } else {
        models.push(requested.to_owned());
        None
    };
    if let Some(chain) = snapshot.chains.get(requested) {
        for m in chain {
            if !models.contains(m) {
                models.push(m.clone());
            }
        }
    }
    Plan { combo, models }
}

fn expand(state: &AppState, snapshot: &Snapshot, name: &str, depth: usize, out: &mut Vec<String>) {
    let Some((strategy, targets)) = snapshot.combos.get(name) else {
        return;
    };
    let price = |m: &str| price_of(state, snapshot, m);
    let recent = |m: &str| state.health.model_requests(m);
    let order = {
        let mut rng = state.health.rng();
        combo::order(
            *strategy,
            targets,
            Facts {
                turn: state.health.next_turn(name),
                rng: &mut *rng,
                recent_requests: &recent,
                price: &price,
            },
        )
    };
    for i in order {
        let Some(target) = targets.get(i) else {
            continue;
        };
        if snapshot.combos.contains_key(&target.model) && depth + 1 < MAX_DEPTH {
            expand(state, snapshot, &target.model, depth + 1, out);
        } else if !out.contains(&target.model) {
            out.push(target.model.clone());
        }
    }
}

/// Input + output price per 1K tokens of a `prefix/model`, from the catalog.
pub fn price_of(state: &AppState, snapshot: &Snapshot, model: &str) -> Option<f64> {
    let routed = crate::resolve::dealias(snapshot, model);
    let (prefix, id) = routed.split_once('/')?;
    let entry = state.catalog.get(prefix)?.model(id)?;
    Some(entry.input_per_1k.unwrap_or(0.0) + entry.output_per_1k.unwrap_or(0.0))
}
