//! Hybrid logical clocks.
//!
//! Every operation carries an [`Hlc`]: the wall-clock milliseconds of the
//! device that wrote it, plus a counter that orders events within the same
//! millisecond or when a device's clock is behind one it has heard from.
//! Comparing two timestamps (and the device id on a tie) gives the total
//! order that per-field last-writer-wins needs, even when laptops disagree
//! about the time (Kulkarni et al., "Logical Physical Clocks", 2014).
//!
//! Why bounded drift? A remote clock far in the future would drag every
//! later local timestamp with it, and its writes would win every conflict
//! for as long as the skew lasts. [`HlcClock::observe`] refuses a remote
//! timestamp more than `max_drift` ahead of local time instead.

use crate::clock::Clock;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// A hybrid logical timestamp. Ordered by `millis`, then `counter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc {
    /// Wall-clock milliseconds since the Unix epoch (the physical part).
    pub millis: u64,
    /// Logical counter within the same `millis`.
    pub counter: u32,
}

impl fmt::Display for Hlc {
    /// Fixed-width hexadecimal so that string order equals time order
    /// (the database sorts and compares these strings).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012x}-{:08x}", self.millis, self.counter)
    }
}

/// The text of an [`Hlc`] could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("horodatage logique illisible : « {0} » / unreadable logical timestamp: \"{0}\"")]
pub struct ParseHlcError(String);

impl FromStr for Hlc {
    type Err = ParseHlcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseHlcError(s.chars().take(40).collect());
        let (m, c) = s.split_once('-').ok_or_else(bad)?;
        if m.len() != 12 || c.len() != 8 {
            return Err(bad());
        }
        Ok(Hlc {
            millis: u64::from_str_radix(m, 16).map_err(|_| bad())?,
            counter: u32::from_str_radix(c, 16).map_err(|_| bad())?,
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A remote timestamp was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HlcError {
    /// The remote clock is further ahead than the allowed drift.
    #[error(
        "l'horloge d'un autre appareil est en avance de {ahead_ms} ms (maximum {max_ms} ms) : \
         vérifiez la date et l'heure de cet appareil / another device's clock is {ahead_ms} ms \
         ahead (at most {max_ms} ms allowed): check that device's date and time"
    )]
    TooFarAhead {
        /// How far ahead of local time the remote timestamp is.
        ahead_ms: u64,
        /// The configured bound.
        max_ms: u64,
    },
    /// The logical counter would overflow (an absurd number of events in one millisecond).
    #[error("compteur d'horloge épuisé, réessayez dans un instant / clock counter exhausted, retry in a moment")]
    CounterOverflow,
}

/// Issues monotonic [`Hlc`] timestamps for one device.
#[derive(Debug)]
pub struct HlcClock<C: Clock> {
    clock: C,
    max_drift_ms: u64,
    last: Mutex<Hlc>,
}

/// Default bound on how far ahead a remote clock may be: 5 minutes.
///
/// Laptops at a drop-in session are often offline for weeks and their clocks
/// drift; five minutes is generous for NTP-less machines and still keeps a
/// misconfigured one from winning every conflict.
pub const DEFAULT_MAX_DRIFT_MS: u64 = 5 * 60 * 1000;

impl<C: Clock> HlcClock<C> {
    /// A clock that will never issue a timestamp at or below `last`.
    pub fn new(clock: C, last: Hlc, max_drift_ms: u64) -> Self {
        Self { clock, max_drift_ms, last: Mutex::new(last) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hlc> {
        // A poisoned lock only means another thread panicked while holding a
        // plain `Hlc`: the value is still a valid timestamp.
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The latest timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        *self.lock()
    }

    /// A new timestamp, strictly greater than every one issued or observed.
    pub fn tick(&self) -> Result<Hlc, HlcError> {
        let physical = self.clock.now_millis();
        let mut last = self.lock();
        let next = if physical > last.millis {
            Hlc { millis: physical, counter: 0 }
        } else {
            let counter = last.counter.checked_add(1).ok_or(HlcError::CounterOverflow)?;
            Hlc { millis: last.millis, counter }
        };
        *last = next;
        Ok(next)
    }

    /// Merges a timestamp received from another device, so that every later
    /// local timestamp is greater than it. Returns the merged timestamp.
    pub fn observe(&self, remote: Hlc) -> Result<Hlc, HlcError> {
        let physical = self.clock.now_millis();
        if remote.millis > physical.saturating_add(self.max_drift_ms) {
            return Err(HlcError::TooFarAhead {
                ahead_ms: remote.millis - physical,
                max_ms: self.max_drift_ms,
            });
        }
        let mut last = self.lock();
        let millis = physical.max(last.millis).max(remote.millis);
        let counter = if millis == last.millis && millis == remote.millis {
            last.counter.max(remote.counter).checked_add(1)
        } else if millis == last.millis {
            last.counter.checked_add(1)
        } else if millis == remote.millis {
            remote.counter.checked_add(1)
        } else {
            Some(0)
        }
        .ok_or(HlcError::CounterOverflow)?;
        let next = Hlc { millis, counter };
        *last = next;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use proptest::prelude::*;
    use std::sync::Arc;

    #[derive(Debug, Clone)]
    struct Shared(Arc<FixedClock>);
    impl Clock for Shared {
        fn now(&self) -> chrono::DateTime<chrono::Utc> {
            self.0.now()
        }
    }

    fn start() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
    }

    #[derive(Debug, Clone)]
    enum Step {
        Advance(i64),
        Tick,
        Observe(i64, u32),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (-10_000i64..10_000).prop_map(Step::Advance),
            Just(Step::Tick),
            ((-100_000i64..400_000), 0u32..5).prop_map(|(d, c)| Step::Observe(d, c)),
        ]
    }

    proptest! {
        /// Whatever the wall clock does (even going back), every issued or
        /// merged timestamp is strictly greater than the previous one, and
        /// a merged timestamp is greater than the remote one it merged.
        #[test]
        fn monotonic_and_merges(steps in proptest::collection::vec(step(), 1..200)) {
            let wall = Arc::new(FixedClock::at(start()));
            let hlc = HlcClock::new(Shared(wall.clone()), Hlc::default(), DEFAULT_MAX_DRIFT_MS);
            let mut prev = hlc.last();
            for s in steps {
                match s {
                    Step::Advance(ms) => wall.advance_millis(ms),
                    Step::Tick => {
                        let t = hlc.tick().unwrap();
                        prop_assert!(t > prev);
                        prop_assert!(t.millis >= wall.now_millis());
                        prev = t;
                    }
                    Step::Observe(delta, counter) => {
                        let now = wall.now_millis() as i64;
                        let remote = Hlc { millis: (now + delta).max(0) as u64, counter };
                        match hlc.observe(remote) {
                            Ok(t) => {
                                prop_assert!(t > prev);
                                prop_assert!(t > remote);
                                prev = t;
                            }
                            Err(HlcError::TooFarAhead { .. }) => {
                                prop_assert!(delta > DEFAULT_MAX_DRIFT_MS as i64);
                                prop_assert_eq!(hlc.last(), prev, "a refused clock changes nothing");
                            }
                            Err(e) => prop_assert!(false, "unexpected {e}"),
                        }
                    }
                }
            }
        }

        /// The text form sorts exactly like the timestamps.
        #[test]
        fn text_order_is_time_order(a in (0u64..1u64 << 47, any::<u32>()), b in (0u64..1u64 << 47, any::<u32>())) {
            let (a, b) = (Hlc { millis: a.0, counter: a.1 }, Hlc { millis: b.0, counter: b.1 });
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
            prop_assert_eq!(a.to_string().parse::<Hlc>().unwrap(), a);
        }
    }

    #[test]
    fn refuses_a_clock_three_days_ahead() {
        let wall = FixedClock::at(start());
        let now = wall.now_millis();
        let hlc = HlcClock::new(wall, Hlc::default(), DEFAULT_MAX_DRIFT_MS);
        let three_days = 3 * 24 * 3600 * 1000;
        let err = hlc.observe(Hlc { millis: now + three_days, counter: 0 }).unwrap_err();
        assert!(matches!(err, HlcError::TooFarAhead { ahead_ms, .. } if ahead_ms == three_days));
        assert!(hlc.tick().unwrap().millis < now + three_days);
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in ["", "zz", "000000000001-0000000g", "1-2", "000000000001_00000000"] {
            assert!(bad.parse::<Hlc>().is_err(), "{bad}");
        }
    }
}
