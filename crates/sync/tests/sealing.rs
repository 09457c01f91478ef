//! What the hub stores: sealed snapshots that open only with the group's passphrase, under
//! their own name, unaltered — and that contain nothing readable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use omniroute_sync::{
    Clock, DeviceId, KdfParams, Kind, PairingCode, RecordKey, Scope, Snapshot, State, SyncError,
    SyncKeys, open_snapshot, seal_snapshot, snapshot_path,
};
use serde_json::json;

const PASSPHRASE: &str = "tangerine submarine velvet";
const COMBO_NAME: &str = "My Secret Work Combo";
const MODEL: &str = "claude-opus-4-1-20250805";
const API_KEY: &str = "sk-live-9f8e7d6c5b4a39281706";

fn keys(passphrase: &str) -> SyncKeys {
    SyncKeys::from_passphrase(passphrase, KdfParams::INSECURE_FOR_TESTS).unwrap()
}

fn device() -> DeviceId {
    DeviceId::from_bytes([0x5a; 16])
}

fn snapshot(scope: Scope) -> Snapshot {
    let mut clock = Clock::new(device());
    let mut state = State::new();
    let combo = json!({"name": COMBO_NAME, "models": [MODEL, "gpt-5"], "strategy": "fallback"});
    state.edit(
        RecordKey::new(Kind::Combo, "c-1"),
        Some(combo),
        &mut clock,
        1_000,
    );
    let credential = json!({"connection": "openai-main", "apiKey": API_KEY});
    state.edit(
        RecordKey::new(Kind::Credential, "openai-main"),
        Some(credential),
        &mut clock,
        1_001,
    );
    state.edit(RecordKey::new(Kind::Alias, "gone"), None, &mut clock, 1_002);
    Snapshot::new(device(), 5_000, &state, scope)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn a_snapshot_round_trips_and_its_bytes_hold_no_plaintext() {
    let keys = keys(PASSPHRASE);
    let snapshot = snapshot(Scope::ALL);
    let sealed = seal_snapshot(&snapshot, &keys).unwrap();
    assert_eq!(open_snapshot(&sealed, &keys, device()).unwrap(), snapshot);
    let group = keys.group().to_string();
    for needle in [
        COMBO_NAME, MODEL, API_KEY, "openai", "combo", "apiKey", &group,
    ] {
        assert!(
            !contains(&sealed, needle.as_bytes()),
            "{needle} readable in the sealed bytes"
        );
    }
    // Sealing twice gives different bytes (fresh nonce), both opening to the same snapshot.
    let again = seal_snapshot(&snapshot, &keys).unwrap();
    assert_ne!(again, sealed);
    assert_eq!(open_snapshot(&again, &keys, device()).unwrap(), snapshot);
}

#[test]
fn credentials_leave_the_device_only_when_turned_on() {
    let keys = keys(PASSPHRASE);
    let without = open_snapshot(
        &seal_snapshot(&snapshot(Scope::default()), &keys).unwrap(),
        &keys,
        device(),
    )
    .unwrap();
    assert!(
        without
            .state
            .records()
            .all(|(key, _)| key.kind != Kind::Credential)
    );
    assert_eq!(
        without.state.len(),
        2,
        "the combo and the alias's tombstone"
    );
}

#[test]
fn another_passphrase_fails_with_the_typed_error() {
    let sealed = seal_snapshot(&snapshot(Scope::ALL), &keys(PASSPHRASE)).unwrap();
    let wrong = keys("tangerine submarine velvet!");
    assert_eq!(
        open_snapshot(&sealed, &wrong, device()).unwrap_err(),
        SyncError::CannotOpen
    );
}

#[test]
fn a_flipped_bit_anywhere_fails() {
    let keys = keys(PASSPHRASE);
    let sealed = seal_snapshot(&snapshot(Scope::ALL), &keys).unwrap();
    for index in 0..sealed.len() {
        for bit in [0x01u8, 0x80] {
            let mut altered = sealed.clone();
            altered[index] ^= bit;
            let error = open_snapshot(&altered, &keys, device()).unwrap_err();
            let expected = if index == 0 {
                SyncError::UnsupportedFormat(sealed[0] ^ bit)
            } else {
                SyncError::CannotOpen
            };
            assert_eq!(error, expected, "byte {index}");
        }
    }
    assert_eq!(
        open_snapshot(&sealed[..sealed.len() - 1], &keys, device()).unwrap_err(),
        SyncError::CannotOpen
    );
    assert_eq!(
        open_snapshot(&sealed[..10], &keys, device()).unwrap_err(),
        SyncError::Truncated
    );
}

#[test]
fn a_snapshot_moved_to_another_device_name_fails() {
    let keys = keys(PASSPHRASE);
    let sealed = seal_snapshot(&snapshot(Scope::ALL), &keys).unwrap();
    let other = DeviceId::from_bytes([0x5b; 16]);
    assert_eq!(
        open_snapshot(&sealed, &keys, other).unwrap_err(),
        SyncError::CannotOpen
    );
    let path = snapshot_path(keys.group(), device());
    assert_eq!(
        path,
        format!("{}/devices/{}.snapshot", keys.group(), device())
    );
}

#[test]
fn a_pairing_code_works_as_the_passphrase_on_every_device() {
    let code = PairingCode::generate().unwrap();
    let first = SyncKeys::from_pairing_code(&code, KdfParams::INSECURE_FOR_TESTS).unwrap();
    let typed = PairingCode::parse(&code.as_str().to_lowercase()).unwrap();
    let second = SyncKeys::from_pairing_code(&typed, KdfParams::INSECURE_FOR_TESTS).unwrap();
    assert_eq!(first.group(), second.group());
    let snapshot = snapshot(Scope::ALL);
    let sealed = seal_snapshot(&snapshot, &first).unwrap();
    assert_eq!(open_snapshot(&sealed, &second, device()).unwrap(), snapshot);
    assert_ne!(first.group(), keys(PASSPHRASE).group());
}
