//! Reviews applied to scored calls: the scorer scores by the machine alone
//! ([`Scorer::score`]), and this stage applies a call's review rows to the
//! scored call — the review state of each finding, the reviewers'
//! additions, and the reviewed score beside the machine's.
//!
//! Invariant: the machine's score and each finding's machine `points`
//! never depend on the reviews (a reviewer's addition costs nothing in
//! the machine's count); without review rows the scored call is left as
//! the scorer made it.

use super::reviews::{apply, Review};
use crate::input::manual::ManualScore;
use crate::model::{Appeal, Call, Severity, Ticket, Verdict};
use crate::norms::{ScoredCall, Scorer};

impl Scorer {
    /// Scores a call and applies its review rows: the machine score and
    /// the reviewed score, side by side.
    pub fn score_reviewed(
        &self,
        call: &Call,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
        reviews: &[Review],
    ) -> ScoredCall {
        let mut s = self.score(call, ticket, manual);
        apply_reviews(self, call, &mut s, manual, reviews);
        s
    }

    /// As [`Scorer::score_reviewed`], taking the call: its ids and names
    /// move into the result instead of being copied.
    pub fn score_reviewed_owned(
        &self,
        call: Call<'_>,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
        reviews: &[Review],
    ) -> ScoredCall {
        self.score_reviewed_owned_then(call, ticket, manual, reviews, |_, _| {})
    }

    /// As [`Scorer::score_reviewed_owned`], with `then` run on the result
    /// (after the reviews) while the call is still there (the privacy
    /// masking reads its utterances:
    /// [`crate::report::privacy::Masker::mask_findings`]).
    pub fn score_reviewed_owned_then(
        &self,
        call: Call<'_>,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
        reviews: &[Review],
        then: impl FnOnce(&mut ScoredCall, &Call<'_>),
    ) -> ScoredCall {
        self.score_owned_then(call, ticket, manual, |s, c| {
            apply_reviews(self, c, s, manual, reviews);
            then(s, c);
        })
    }
}

/// Applies a call's review rows (oldest first) to its scored call: the
/// findings' review states and additions, then the reviewed tally, the
/// findings still waiting, the appeals and the rows that matched nothing.
pub fn apply_reviews(
    scorer: &Scorer,
    call: &Call,
    s: &mut ScoredCall,
    manual: &[ManualScore],
    reviews: &[Review],
) {
    if reviews.is_empty() {
        return;
    }
    let applied = apply(call, &mut s.findings, reviews);
    let config = scorer.config();
    let items = scorer.items();
    // The machine's tally assessed these items (or a manual score did,
    // which assesses an item in either tally alike); a finding a reviewer
    // added on an item the machine could not assess (accuracy without a
    // number) makes it assessed in the reviewed tally alone, so the
    // machine's score never depends on the reviews.
    let mut assessed: Vec<bool> = s.earned.iter().map(|e| e.is_some()).collect();
    for f in &mut s.findings {
        if f.rule == "taboo.insult" && config.norms.taboo.insult_is_red_line {
            f.severity = Severity::RedLine;
        }
        if f.verdict() == Some(Verdict::Added) {
            if let Some(p) = items.position(f.norm) {
                assessed[p] = true;
            }
        }
    }
    let costs_pending = config.review.needs_review_costs_points;
    let (score, red_line) = scorer.tally_reviewed(&mut s.findings, &assessed, manual, |f| {
        match (f.verdict(), f.appeal()) {
            // A successful appeal withdraws the finding, an added one too.
            (_, Some(Appeal::Overturned)) | (Some(Verdict::Dismissed), _) => false,
            (Some(Verdict::Confirmed | Verdict::Added), _) => true,
            (None, _) => costs_pending || !f.needs_review,
        }
    });
    let mut appeals = [0u32; 3];
    for f in &s.findings {
        match f.appeal() {
            Some(Appeal::Appealed) => appeals[0] += 1,
            Some(Appeal::Upheld) => appeals[1] += 1,
            Some(Appeal::Overturned) => appeals[2] += 1,
            None => {}
        }
    }
    s.reviewed_score = score;
    s.reviewed_passed = score >= config.pass_mark;
    s.reviewed_red_line = red_line;
    s.needs_review = s
        .findings
        .iter()
        .filter(|f| f.needs_review && f.verdict().is_none())
        .count() as u32;
    s.appeals = appeals;
    s.review_unmatched = applied.unmatched;
}
