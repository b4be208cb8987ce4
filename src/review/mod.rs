//! The QA reviewer's loop (issue #7): review decisions and appeals as data
//! ([`reviews`]), the run manifest that lets a run be re-scored
//! ([`manifest`]), and the tools a QA lead uses to trust, correct and
//! change the scorecard.

pub mod calibrate;
pub mod diff;
pub mod manifest;
pub mod rescore;
pub mod reviews;
mod run_table;
pub mod sample;
pub mod scored;
pub mod try_rule;
pub mod try_run;
