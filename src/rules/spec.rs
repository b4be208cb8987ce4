//! The rule language as the scorecard TOML writes it (`[[rules]]` tables):
//! plain data, read by serde and written back into run.json unchanged.
//!
//! Nothing here is checked beyond TOML types: every value a QA lead can
//! get wrong (an unknown operator, a bad pattern, a norm key) is checked
//! by [`super::RuleSet::compile`], which names the rule and the key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One rule a QA lead adds to the scorecard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// `norm.name`, e.g. `process.no_time_limit`: the part before the dot
    /// is the norm's key (reviews.csv and calibrate read the norm from it).
    /// For a built-in norm's rule (`op`), the norm's key or nothing.
    #[serde(default)]
    pub id: String,
    /// The norm (评分项) the rule's findings count against: its key
    /// (`process`) or its Chinese name (执行流程).
    pub norm: String,
    /// What the rule checks, in Chinese: shown with every finding and by
    /// `hotline-qa rules`.
    #[serde(default)]
    pub description: String,
    /// `deduct` (扣分), `critical` (重大风险) or `red_line` (红线，一票否决).
    #[serde(default = "deduct")]
    pub severity: String,
    /// The rule's findings cost this much once, up to what the norm has left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// Each of the rule's findings costs this much, up to what the norm has left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_finding: Option<f64>,
    /// The finding rests on recognised words: in an utterance the ASR was
    /// unsure of it waits for a reviewer (`needs_review`).
    #[serde(default)]
    pub words: bool,
    /// `must` (violated when `check` does not hold) or `must_not`
    /// (violated when it holds, once per piece of evidence). Not written
    /// for a built-in norm's rule (`op`).
    #[serde(default)]
    pub kind: String,
    /// A built-in norm's whole check (`op = "greeting"`, one of the eleven
    /// norm keys), its parameters in `[norms.KEY]`: the default scorecard
    /// lists the eleven norms this way. Such a rule has only `norm` and
    /// `op` (and, optionally, `id` = the norm key and a `description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// When the rule applies at all (e.g. a dispatched ticket); absent: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<CondSpec>,
    /// The condition (required unless the rule is an `op`).
    #[serde(default)]
    pub check: CondSpec,
}

fn deduct() -> String {
    "deduct".into()
}

/// A condition: exactly one source of evidence (phrases / a lexicon, a
/// metric, the ticket, a built-in operator, or all / any / not over other
/// conditions), narrowed by the filters (who, where, context, count).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CondSpec {
    /// Phrases, one lexicon line each: a literal, `!exclusion`, `re:pattern`
    /// or `!re:pattern`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    /// A lexicon file (relative to the scorecard) or a built-in lexicon key
    /// (`wait_requests`, `forbidden` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lexicon: Option<String>,
    /// `all`: every entry must be heard; `any` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<String>,
    /// At least this many different entries must be heard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<usize>,
    /// Literal entries also match with up to this many edits (ASR slips).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuzzy: Option<usize>,
    /// A measured value: speech_rate, confidence, gap, overlap,
    /// first_response, silence, duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// The metric holds when its value is above this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// The metric holds when its value is below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    /// A built-in operator by name (see `hotline-qa rules`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
    /// The built-in operator's parameters.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, toml::Value>,
    /// Every one of these holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<CondSpec>,
    /// At least one of these holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<CondSpec>,
    /// This does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<CondSpec>>,
    /// Who said it: agent (default for phrases), caller, unit, any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// Only the speaker's first N utterances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<usize>,
    /// Only the speaker's last N utterances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<usize>,
    /// Only utterances starting at or after this second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_s: Option<f64>,
    /// Only utterances starting at or before this second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// Only utterances reaching into the call's last S seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_s: Option<f64>,
    /// Only evidence that comes after evidence of this condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Box<CondSpec>>,
    /// Only evidence that comes before evidence of this condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Box<CondSpec>>,
    /// Only evidence that does not come after evidence of this condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Box<CondSpec>>,
    /// Only evidence that does not come before evidence of this condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Box<CondSpec>>,
    /// The context's window in utterances (0: the same utterance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<usize>,
    /// The context's window in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_s: Option<f64>,
    /// Holds only with at least this much evidence over the call (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The linked ticket's fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketSpec>,
}

/// One value or a list of accepted values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// `handling = "工单转办"`
    One(String),
    /// `category = ["求助", "咨询"]`
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values.
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Conditions on the linked ticket; every one given must hold (no ticket:
/// none holds).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TicketSpec {
    /// 诉求类别 is (one of) this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<OneOrMany>,
    /// 诉求子类 is (one of) this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<OneOrMany>,
    /// 办理方式 is (one of) this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling: Option<OneOrMany>,
    /// 紧急程度 is (one of) this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urgency: Option<OneOrMany>,
    /// A field for `equals`, `in`, `empty`, `shorter_than`, `longer_than`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field is exactly this (surrounding spaces ignored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// The field is one of these.
    #[serde(rename = "in", skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
    /// true: the field is empty; false: it is filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty: Option<bool>,
    /// The field has fewer counted characters than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shorter_than: Option<usize>,
    /// The field has more counted characters than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longer_than: Option<usize>,
}
