//! Repeat calls read back from the runs' Parquet files (issue #19): the
//! contacts of `tickets.parquet` (the caller's number only as a keyed hash
//! and masked), joined by call id with `calls.parquet` for the team and,
//! when the ticket has no number, the number the call came from; linked
//! by `workflow::repeats`. The same code serves `score` (one run) and
//! `report` (any number of runs, a ticket seen in several counted once,
//! the last run given winning), so a chain that spans days is found the
//! same way a chain inside one day is.

use std::path::PathBuf;

use polars::prelude::*;

use crate::report::aggregate::{dedupe_tickets, scan, scan_calls, strs};
use crate::workflow::repeats::{link, Contact, Linked};

fn time(s: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()
}

/// The runs' contacts, linked with a window of `window_days`.
pub fn load(runs: &[PathBuf], window_days: u32) -> anyhow::Result<Linked> {
    let Some(tickets) = scan(runs, "tickets.parquet")? else {
        return Ok(link(Vec::new(), window_days));
    };
    let tickets = dedupe_tickets(tickets, runs.len()).select([
        col("ticket_id"),
        col("call_id"),
        col("operator_id"),
        col("accepted_at"),
        col("completed_at"),
        col("unit"),
        col("category"),
        col("caller_link"),
        col("caller_masked"),
        col("places"),
        col("matter"),
    ]);
    let joined = match scan_calls(runs)?.calls {
        Some(calls) => {
            let calls = calls.select([
                col("call_id"),
                col("team"),
                col("caller_link").alias("call_link"),
                col("caller_number").alias("call_masked"),
            ]);
            tickets.join(
                calls,
                [col("call_id")],
                [col("call_id")],
                JoinArgs::new(JoinType::Left),
            )
        }
        None => tickets.with_columns([
            lit("").alias("team"),
            lit("").alias("call_link"),
            lit("").alias("call_masked"),
        ]),
    };
    // Only contacts with a number can be linked or counted as first
    // calls; the others matter only for the data's end, taken before they
    // are dropped, so that a million tickets without numbers are not read
    // into memory.
    let joined = joined.with_column(
        when(col("caller_link").eq(lit("")))
            .then(col("call_link"))
            .otherwise(col("caller_link"))
            .alias("link"),
    );
    let end = joined
        .clone()
        .filter(col("accepted_at").neq(lit("")))
        .select([col("accepted_at").max()])
        .collect()?;
    let data_end = strs(&end, "accepted_at")?.first().and_then(|s| time(s));
    let df = joined
        .filter(col("link").is_not_null().and(col("link").neq(lit(""))))
        .collect()?;
    let col_of = |n: &str| strs(&df, n);
    let (ids, calls, ops, accepted, completed, units, cats) = (
        col_of("ticket_id")?,
        col_of("call_id")?,
        col_of("operator_id")?,
        col_of("accepted_at")?,
        col_of("completed_at")?,
        col_of("unit")?,
        col_of("category")?,
    );
    let (links, masked, places, matters) = (
        col_of("caller_link")?,
        col_of("caller_masked")?,
        col_of("places")?,
        col_of("matter")?,
    );
    let (teams, call_links, call_masked) = (
        col_of("team")?,
        col_of("call_link")?,
        col_of("call_masked")?,
    );
    let mut contacts = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(at) = time(&accepted[i]) else {
            continue;
        };
        // The ticket's contact number first: it is what the ticket store
        // linked before the calls were scored (`ticket.repeat_omitted`);
        // the number the call came from when the ticket has none.
        let (link, masked) = if links[i].is_empty() {
            (call_links[i].clone(), call_masked[i].clone())
        } else {
            (links[i].clone(), masked[i].clone())
        };
        contacts.push(Contact {
            ticket_id: ids[i].clone(),
            call_id: calls[i].clone(),
            link,
            masked,
            at,
            completed_at: time(&completed[i]),
            places: places[i]
                .split(';')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            matter: matters[i].clone(),
            operator_id: ops[i].clone(),
            team: teams[i].clone(),
            unit: units[i].trim().to_string(),
            category: cats[i].clone(),
        });
    }
    let mut linked = link(contacts, window_days);
    linked.data_end = data_end.max(linked.data_end);
    Ok(linked)
}
