//! The wall clock, read in one place: commands pass `now` on to the pure planners and
//! formatters (`hoist_plan::keys::ago`) instead of reading it themselves.

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
