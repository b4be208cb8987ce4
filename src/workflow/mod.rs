//! Ticket workflow: the official working-day calendar and the timeliness
//! rules of spec §3 (due, urge, supervise, callback).
//!
//! Invariant: no I/O beyond loading a calendar override file; everything
//! is computed from a [`crate::model::Ticket`], the calendar and an as-of time.

pub mod calendar;
pub mod repeats;
pub mod timeliness;
pub mod units;
