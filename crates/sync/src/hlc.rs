//! Hybrid logical clock: every synced edit gets a [`Stamp`] `(wall_ms, counter, device)` that
//! orders it against every other edit of every device.
//!
//! The order is total (the device id settles equal wall times and counters, and no two devices
//! share an id) and causal: a device's [`Clock::tick`] is above everything the clock has
//! [`Clock::observe`]d, so an edit made after receiving a version always outranks it, whatever
//! the wall clocks say. Wall clocks that go backwards do not matter: the clock keeps the highest
//! time it has seen and counts up from there.
//!
//! A remote stamp more than [`MAX_FORWARD_DRIFT_MS`] (24 hours) ahead of this machine's clock is
//! refused rather than followed: a device whose clock says 2099 (or a corrupt stamp) must not drag
//! every clock of the group into the future for good. Records carrying such a stamp wait (see
//! [`crate::merge::receive`]) until real time is within the bound, so they are not lost.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::SyncError;

/// How far ahead of this machine's clock a remote stamp may be and still be accepted.
pub const MAX_FORWARD_DRIFT_MS: u64 = 24 * 60 * 60 * 1000;

/// A device of the sync group: 16 random bytes, written as 32 lowercase hex digits. Random so
/// object names on the hub say nothing about the machine.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub struct DeviceId([u8; 16]);

impl DeviceId {
    /// A fresh id from the operating system's randomness.
    pub fn random() -> Result<Self, SyncError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| SyncError::Random(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// The id with these bytes (tests, and ids read back from storage).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

impl FromStr for DeviceId {
    type Err = SyncError;

    /// Only the canonical form (32 lowercase hex digits), so one device has one name.
    fn from_str(text: &str) -> Result<Self, SyncError> {
        let digits = text.as_bytes();
        if digits.len() != 32 {
            return Err(SyncError::InvalidDeviceId);
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Ok(Self(bytes))
    }
}

fn hex_value(digit: u8) -> Result<u8, SyncError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        _ => Err(SyncError::InvalidDeviceId),
    }
}

impl Serialize for DeviceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// When and where an edit was made. Ordered by wall time, then counter, then device: the
/// derived `Ord` follows the field order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub struct Stamp {
    /// Milliseconds since the Unix epoch, as the clock knew it (never below an earlier stamp).
    pub wall_ms: u64,
    /// Edits within one wall millisecond, or while the wall clock stood behind.
    pub counter: u32,
    /// The device that made the edit.
    pub device: DeviceId,
}

impl Stamp {
    /// The `(wall_ms, counter)` part, which is what the clock tracks.
    fn time(&self) -> (u64, u32) {
        (self.wall_ms, self.counter)
    }
}

impl fmt::Display for Stamp {
    /// `wall.counter.device`: short in snapshots, usable in conflict ids.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.wall_ms, self.counter, self.device)
    }
}

impl fmt::Debug for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stamp({self})")
    }
}

impl FromStr for Stamp {
    type Err = SyncError;

    fn from_str(text: &str) -> Result<Self, SyncError> {
        let invalid = || SyncError::InvalidStamp(text.chars().take(80).collect());
        let mut parts = text.splitn(3, '.');
        let (Some(wall), Some(counter), Some(device)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        Ok(Self {
            wall_ms: wall.parse().map_err(|_| invalid())?,
            counter: counter.parse().map_err(|_| invalid())?,
            device: device.parse().map_err(|_| invalid())?,
        })
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A remote stamp the clock refused to follow because it is too far in the future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooFarAhead {
    /// How far ahead of this machine's clock the stamp is.
    pub ahead_ms: u64,
}

/// One device's hybrid logical clock. Keep one per device for the life of the process, and
/// rebuild it at start with [`Clock::resume`] from the highest stamp of the stored state.
#[derive(Debug, Clone)]
pub struct Clock {
    device: DeviceId,
    /// The highest `(wall_ms, counter)` issued or observed.
    last: (u64, u32),
}

impl Clock {
    /// A clock that has seen nothing yet.
    pub fn new(device: DeviceId) -> Self {
        Self {
            device,
            last: (0, 0),
        }
    }

    /// A clock that continues above `highest` — the highest stamp in the device's stored state.
    /// Trusted without the drift bound: these are stamps the device already accepted (or made
    /// while its own clock was wrong), and its next edits must still outrank them.
    pub fn resume(device: DeviceId, highest: Option<Stamp>) -> Self {
        let mut clock = Self::new(device);
        if let Some(stamp) = highest {
            clock.witness(stamp);
        }
        clock
    }

    /// Takes note of a stamp this device already holds, without the drift bound.
    pub(crate) fn witness(&mut self, stamp: Stamp) {
        self.last = self.last.max(stamp.time());
    }

    /// The device this clock stamps for.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The stamp of a local edit made at `now_ms`: above every stamp issued or observed before,
    /// even when the wall clock went backwards.
    pub fn tick(&mut self, now_ms: u64) -> Stamp {
        let (last_wall, last_counter) = self.last;
        let next = if now_ms > last_wall {
            (now_ms, 0)
        } else if let Some(counter) = last_counter.checked_add(1) {
            (last_wall, counter)
        } else {
            // Four billion edits within one millisecond of a stalled clock: borrow the next
            // millisecond rather than wrap (wrapping would order the edit before its base).
            (last_wall.saturating_add(1), 0)
        };
        self.last = next;
        Stamp {
            wall_ms: next.0,
            counter: next.1,
            device: self.device,
        }
    }

    /// Takes note of a received stamp so later ticks outrank it. A stamp more than
    /// [`MAX_FORWARD_DRIFT_MS`] ahead of `now_ms` is refused and leaves the clock unchanged.
    pub fn observe(&mut self, remote: &Stamp, now_ms: u64) -> Result<(), TooFarAhead> {
        let limit = now_ms.saturating_add(MAX_FORWARD_DRIFT_MS);
        if remote.wall_ms > limit {
            return Err(TooFarAhead {
                ahead_ms: remote.wall_ms - now_ms,
            });
        }
        self.last = self.last.max(remote.time());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: DeviceId = DeviceId::from_bytes([0xaa; 16]);
    const B: DeviceId = DeviceId::from_bytes([0xbb; 16]);
    const HOUR: u64 = 60 * 60 * 1000;

    #[test]
    fn ticks_are_monotonic_when_the_wall_clock_goes_backwards() {
        let mut clock = Clock::new(A);
        let mut previous = clock.tick(1_000_000);
        for now in [1_000_000, 999_000, 5, 1_000_001, 0, 2_000_000, 1_500_000] {
            let stamp = clock.tick(now);
            assert!(stamp > previous, "{stamp} after {previous}");
            previous = stamp;
        }
        assert_eq!(previous.wall_ms, 2_000_000);
        assert_eq!(previous.counter, 1);
    }

    #[test]
    fn a_tick_after_observing_outranks_the_observed_stamp() {
        let mut clock = Clock::new(B);
        let remote = Stamp {
            wall_ms: 10 * HOUR,
            counter: 7,
            device: A,
        };
        clock.observe(&remote, 9 * HOUR).unwrap();
        let local = clock.tick(9 * HOUR);
        assert!(local > remote);
        assert_eq!((local.wall_ms, local.counter), (10 * HOUR, 8));
    }

    #[test]
    fn a_stamp_far_in_the_future_is_refused_and_does_not_move_the_clock() {
        let now = 100 * HOUR;
        let mut clock = Clock::new(A);
        let far = Stamp {
            wall_ms: now + 25 * HOUR,
            counter: 0,
            device: B,
        };
        assert_eq!(
            clock.observe(&far, now),
            Err(TooFarAhead {
                ahead_ms: 25 * HOUR
            })
        );
        assert_eq!(clock.tick(now).wall_ms, now);
        let absurd = Stamp {
            wall_ms: u64::MAX,
            counter: u32::MAX,
            device: B,
        };
        assert!(clock.observe(&absurd, now).is_err());
        // Within the bound, the clock follows.
        let near = Stamp {
            wall_ms: now + 23 * HOUR,
            counter: 0,
            device: B,
        };
        clock.observe(&near, now).unwrap();
        assert!(clock.tick(now) > near);
    }

    #[test]
    fn the_counter_never_wraps() {
        let mut clock = Clock::resume(
            A,
            Some(Stamp {
                wall_ms: 5,
                counter: u32::MAX,
                device: B,
            }),
        );
        let stamp = clock.tick(0);
        assert_eq!((stamp.wall_ms, stamp.counter), (6, 0));
    }

    #[test]
    fn resume_continues_above_the_stored_state_even_far_ahead() {
        let stored = Stamp {
            wall_ms: 1_000 * HOUR,
            counter: 3,
            device: A,
        };
        let mut clock = Clock::resume(A, Some(stored));
        assert!(clock.tick(HOUR) > stored);
    }

    #[test]
    fn equal_times_are_ordered_by_device() {
        let a = Stamp {
            wall_ms: 1,
            counter: 0,
            device: A,
        };
        let b = Stamp {
            wall_ms: 1,
            counter: 0,
            device: B,
        };
        assert!(a < b);
    }

    #[test]
    fn stamps_and_device_ids_round_trip_as_text() {
        let stamp = Stamp {
            wall_ms: 1_718_000_000_000,
            counter: 12,
            device: A,
        };
        let text = stamp.to_string();
        assert_eq!(text, format!("1718000000000.12.{}", "aa".repeat(16)));
        assert_eq!(text.parse::<Stamp>().unwrap(), stamp);
        assert_eq!(
            serde_json::to_string(&stamp).unwrap(),
            format!("\"{text}\"")
        );
        assert!("1.2".parse::<Stamp>().is_err());
        assert!("x.2.aa".parse::<Stamp>().is_err());
        assert!("AA".repeat(16).parse::<DeviceId>().is_err());
        assert!("a".repeat(31).parse::<DeviceId>().is_err());
        assert_ne!(DeviceId::random().unwrap(), DeviceId::random().unwrap());
    }
}
