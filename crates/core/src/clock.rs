//! Time, injected.
//!
//! Logic never calls `now()` itself: it receives a [`Clock`]. The desktop app
//! and the CLI pass [`SystemClock`]; tests pass a [`FixedClock`] so that
//! deadlines, hybrid logical clocks and demo data are reproducible.

use chrono::{DateTime, NaiveDate, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Milliseconds since the Unix epoch (never negative).
    fn now_millis(&self) -> u64 {
        u64::try_from(self.now().timestamp_millis()).unwrap_or(0)
    }

    /// Today's date in France, where the deadlines are counted.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Europe::Paris).date_naive()
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests and reproducible demos.
#[derive(Debug)]
pub struct FixedClock {
    millis: AtomicI64,
}

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self { millis: AtomicI64::new(at.timestamp_millis()) }
    }

    /// Moves the clock by `millis` (may be negative: clocks do go back).
    pub fn advance_millis(&self, millis: i64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}
