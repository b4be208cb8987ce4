//! Repeat calls (重复来电) and first-call resolution (首呼解决率), issue #19.
//!
//! A *contact* is one ticket: the caller's number, when it was accepted,
//! when it was completed, the places it names and its matter. Contacts of
//! the same number about the same matter within the window are linked in
//! time order into a *chain*; the first contact of a chain is a *first
//! call*, and it was *resolved* when no repeat followed within the window.
//!
//! What counts as the same matter (同一诉求), as a 12345 centre counts it:
//! - both tickets name a place (the distinctive part of a place in
//!   event_location or content, read by [`crate::cues::place`]: 长青 of
//!   西城区长青小区): the same matter when they share one; two different
//!   places are two matters, whatever their categories;
//! - otherwise, when one of them names no place: the same category and the
//!   same, non-empty subcategory (诉求子类, e.g. 噪音扰民).
//!
//! The unit is not used: a caller whose matter went to the wrong unit and
//! who calls again is the textbook repeat, and it would be missed.
//!
//! Numbers are compared in a normal form ([`normalise_number`]) and stored
//! only as a keyed hash ([`link_key`]) and a masked form: never in clear.
//!
//! Pure: no I/O. Reading the runs' Parquet files is `report::repeats`'s job.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// The number in a normal form: digits only (full-width digits too), the
/// country code +86 / 0086 / 86 and the leading 0 of a mobile number
/// removed (0138… as some switchboards record it). None when fewer than
/// seven digits remain: that is no phone number.
///
/// A landline keeps its area code as written: 010-12345678 and 12345678
/// are two numbers, since the program cannot know the caller's city.
pub fn normalise_number(s: &str) -> Option<String> {
    let mut d: String = s
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_digit(c as u32 - '０' as u32, 10),
            _ => None,
        })
        .collect();
    let is_mobile = |x: &str| x.len() == 11 && x.starts_with('1');
    for prefix in ["0086", "86", "0"] {
        if let Some(rest) = d.strip_prefix(prefix) {
            if is_mobile(rest) {
                d = rest.to_string();
                break;
            }
        }
    }
    (d.len() >= 7).then_some(d)
}

/// The keyed hash of a normalised number: the first 16 bytes of
/// SHA-256(salt length, salt, number), in hex. Equal numbers give equal
/// keys under one salt, so runs can be linked; without the salt the key
/// does not give the number back, short of trying every number with the
/// salt — which is why a centre sets its own salt (`[privacy] link_salt`).
pub fn link_key(salt: &str, number: &str) -> String {
    let mut h = Sha256::new();
    h.update((salt.len() as u64).to_le_bytes());
    h.update(salt.as_bytes());
    h.update(number.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The link key of a raw number (ticket caller_phone or transcript
/// caller_number), empty when it holds no phone number.
pub fn link_key_of(salt: &str, raw: &str) -> String {
    normalise_number(raw)
        .map(|n| link_key(salt, &n))
        .unwrap_or_default()
}

/// The masked form of a raw number (138****5678), empty when it holds no
/// phone number.
pub fn masked_number(raw: &str) -> String {
    normalise_number(raw)
        .map(|n| crate::report::privacy::mask_digits(&n))
        .unwrap_or_default()
}

/// The places a ticket names (distinctive part and suffix: 长青小区),
/// sorted, without repeats. A building number alone (3 of 3号楼) is no
/// place: every estate has a building 3. A town or township (城关镇, 乡)
/// holds a great many matters: two tickets naming the same town are not
/// about the same place. The suffix stays in the key: 滨江路 and 滨江花园
/// share 滨江 and are two places.
pub fn place_keys(event_location: &str, content: &str) -> Vec<String> {
    let mut keys: Vec<String> = [event_location, content]
        .iter()
        .flat_map(|t| crate::cues::place::places(t))
        .filter(|p| !matches!(p.suffix.as_str(), "号楼" | "镇" | "乡"))
        .map(|p| p.distinctive + &p.suffix)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The matter of a ticket when it names no place: category and
/// subcategory, empty without a subcategory (a category alone, 投诉举报,
/// says nothing about the matter).
pub fn matter_key(category: &str, subcategory: &str) -> String {
    let (c, s) = (category.trim(), subcategory.trim());
    if s.is_empty() {
        String::new()
    } else {
        format!("{c}/{s}")
    }
}

/// One ticket as the linking sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contact {
    /// 工单编号.
    pub ticket_id: String,
    /// The ticket's call (empty: none).
    pub call_id: String,
    /// [`link_key`] of the caller's number (empty: no number, not linked).
    pub link: String,
    /// The number masked (138****5678).
    pub masked: String,
    /// When the ticket was accepted.
    pub at: NaiveDateTime,
    /// When it was completed (办结).
    pub completed_at: Option<NaiveDateTime>,
    /// [`place_keys`].
    pub places: Vec<String>,
    /// [`matter_key`].
    pub matter: String,
    /// Who accepted the ticket.
    pub operator_id: String,
    /// The operator's team, from the call (empty when unknown).
    pub team: String,
    /// 承办单位.
    pub unit: String,
    /// 诉求类别.
    pub category: String,
}

impl Contact {
    /// The contact of a ticket, None when it has no accepted_at (it cannot
    /// be placed in time). The number is the ticket's caller_phone; the
    /// team is not known from the ticket.
    pub fn from_ticket(t: &crate::model::Ticket, salt: &str) -> Option<Contact> {
        Some(Contact {
            ticket_id: t.ticket_id.clone(),
            call_id: t.call_id.clone().unwrap_or_default(),
            link: link_key_of(salt, &t.caller_phone),
            masked: masked_number(&t.caller_phone),
            at: t.accepted_at?,
            completed_at: t.completed_at,
            places: place_keys(&t.event_location, &t.content),
            matter: matter_key(&t.category_raw, &t.subcategory),
            operator_id: t.operator_id.clone(),
            team: String::new(),
            unit: t.unit.trim().to_string(),
            category: t.category_raw.clone(),
        })
    }
}

/// The key two contacts share, when they are about the same matter (see
/// the module docs).
pub fn same_matter(a: &Contact, b: &Contact) -> Option<String> {
    if !a.places.is_empty() && !b.places.is_empty() {
        return a
            .places
            .iter()
            .find(|p| b.places.binary_search(p).is_ok())
            .map(|p| format!("地点:{p}"));
    }
    (!a.matter.is_empty() && a.matter == b.matter).then(|| format!("诉求:{}", a.matter))
}

/// A chain of linked contacts, in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// `R-` and the first ticket's id: stable across runs and threads.
    pub id: String,
    /// Indices into [`Linked::contacts`], in time order.
    pub members: Vec<usize>,
    /// The place or matter the first repeat shares with the first call
    /// (地点:长青小区, 诉求:投诉举报/噪音扰民); empty for a chain of one.
    pub key: String,
}

/// Contacts linked into chains.
#[derive(Clone, Debug, Default)]
pub struct Linked {
    /// Every contact, by number then time then ticket id.
    pub contacts: Vec<Contact>,
    /// For each contact, the earlier one it repeats.
    pub prior: Vec<Option<usize>>,
    /// Every chain, one-contact ones too, by first contact's time then id.
    pub chains: Vec<Chain>,
    /// The window, in days.
    pub window_days: u32,
    /// The latest contact's time: a first call whose window ends after it
    /// cannot be judged resolved yet.
    pub data_end: Option<NaiveDateTime>,
}

/// Links contacts (see the module docs). A contact repeats the latest
/// earlier contact of its number about the same matter accepted at most
/// `window_days` before it; it joins that contact's chain. Contacts
/// without a number stay alone. The result depends only on the set of
/// contacts, not on their order (ties in time are broken by ticket id).
pub fn link(mut contacts: Vec<Contact>, window_days: u32) -> Linked {
    contacts.sort_by(|a, b| {
        (a.link.as_str(), a.at, a.ticket_id.as_str()).cmp(&(
            b.link.as_str(),
            b.at,
            b.ticket_id.as_str(),
        ))
    });
    let window = chrono::Duration::days(i64::from(window_days));
    let n = contacts.len();
    let mut prior = vec![None; n];
    let mut chain_of: Vec<usize> = vec![usize::MAX; n];
    let mut chains: Vec<Chain> = Vec::new();
    for i in 0..n {
        let c = &contacts[i];
        let mut found = None;
        if !c.link.is_empty() {
            let mut j = i;
            while j > 0 {
                j -= 1;
                let p = &contacts[j];
                if p.link != c.link || c.at - p.at > window {
                    break;
                }
                if let Some(key) = same_matter(p, c) {
                    found = Some((j, key));
                    break;
                }
            }
        }
        match found {
            Some((j, key)) => {
                prior[i] = Some(j);
                let k = chain_of[j];
                chain_of[i] = k;
                if let Some(ch) = chains.get_mut(k) {
                    if ch.key.is_empty() {
                        ch.key = key;
                    }
                    ch.members.push(i);
                }
            }
            None => {
                chain_of[i] = chains.len();
                chains.push(Chain {
                    id: format!("R-{}", c.ticket_id),
                    members: vec![i],
                    key: String::new(),
                });
            }
        }
    }
    chains.sort_by(|a, b| {
        let (x, y) = (&contacts[a.members[0]], &contacts[b.members[0]]);
        (x.at, x.ticket_id.as_str()).cmp(&(y.at, y.ticket_id.as_str()))
    });
    let data_end = contacts.iter().map(|c| c.at).max();
    Linked {
        contacts,
        prior,
        chains,
        window_days,
        data_end,
    }
}

/// First-call figures of one operator, team, unit or category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FirstCalls {
    /// First calls (with a ticket and a call) whose outcome is known: a
    /// repeat came, or the window is over within the data.
    pub first_calls: u64,
    /// Of those, the ones a repeat followed within the window.
    pub repeated: u64,
}

impl FirstCalls {
    /// 首呼解决率: the share of first calls without a repeat (None without
    /// first calls).
    pub fn rate(&self) -> Option<f64> {
        (self.first_calls > 0)
            .then(|| (self.first_calls - self.repeated) as f64 / self.first_calls as f64)
    }
}

/// First-call figures per operator, team, unit and category, and overall.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fcr {
    /// By operator id (who accepted the first ticket).
    pub operators: BTreeMap<String, FirstCalls>,
    /// By team (of the first call).
    pub teams: BTreeMap<String, FirstCalls>,
    /// By unit (of the first ticket; empty = not given).
    pub units: BTreeMap<String, FirstCalls>,
    /// By category (of the first ticket).
    pub categories: BTreeMap<String, FirstCalls>,
    /// Over all first calls.
    pub total: FirstCalls,
    /// First calls whose window is not over at the data's end and that no
    /// repeat followed yet: not counted.
    pub pending: u64,
}

impl Linked {
    /// The first-call figures. A first call is the first contact of a
    /// chain that has a call and a number (without a number no repeat
    /// could be seen, so it cannot be called resolved); it counts when a
    /// repeat followed, or when its window ended by the latest contact in
    /// the data (else it is pending: a call from yesterday cannot be
    /// called resolved yet).
    pub fn first_calls(&self) -> Fcr {
        let mut f = Fcr::default();
        let window = chrono::Duration::days(i64::from(self.window_days));
        for ch in &self.chains {
            let head = &self.contacts[ch.members[0]];
            if head.call_id.is_empty() || head.link.is_empty() {
                continue;
            }
            let repeated = ch.members.len() > 1;
            let over = self.data_end.is_some_and(|end| head.at + window <= end);
            if !repeated && !over {
                f.pending += 1;
                continue;
            }
            for (map, key) in [
                (&mut f.operators, &head.operator_id),
                (&mut f.teams, &head.team),
                (&mut f.units, &head.unit),
                (&mut f.categories, &head.category),
            ] {
                let e = map.entry(key.clone()).or_default();
                e.first_calls += 1;
                e.repeated += u64::from(repeated);
            }
            f.total.first_calls += 1;
            f.total.repeated += u64::from(repeated);
        }
        f
    }

    /// The earlier contact of each ticket that repeats one, by ticket id,
    /// as `Ticket.prior` holds it.
    pub fn prior_contacts(&self) -> std::collections::HashMap<String, crate::model::PriorContact> {
        self.priors()
            .map(|(c, p)| {
                (
                    c.ticket_id.clone(),
                    crate::model::PriorContact {
                        ticket_id: p.ticket_id.clone(),
                        call_id: (!p.call_id.is_empty()).then(|| p.call_id.clone()),
                        accepted_at: Some(p.at),
                        closed_before: closed_before(p, c),
                    },
                )
            })
            .collect()
    }

    /// The prior contact of each contact that repeats one, by ticket id.
    pub fn priors(&self) -> impl Iterator<Item = (&Contact, &Contact)> {
        self.prior
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|j| (&self.contacts[i], &self.contacts[j])))
    }
}

/// Whether the first ticket of a chain was completed before the first
/// repeat was accepted.
pub fn closed_before(first: &Contact, repeat: &Contact) -> bool {
    first.completed_at.is_some_and(|d| d <= repeat.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1)
            .and_then(|x| x.checked_add_days(chrono::Days::new(u64::from(d))))
            .and_then(|x| x.and_hms_opt(9, 0, 0))
            .unwrap_or_default()
    }

    fn contact(id: &str, phone: &str, day: u32, location: &str, sub: &str) -> Contact {
        Contact {
            ticket_id: id.into(),
            call_id: format!("C{id}"),
            link: link_key_of("salt", phone),
            masked: masked_number(phone),
            at: at(day),
            places: place_keys(location, ""),
            matter: matter_key("投诉举报", sub),
            operator_id: "1024".into(),
            ..Contact::default()
        }
    }

    /// (tickets: id, phone, day, location, subcategory), the chains of two
    /// or more expected (ticket ids in order).
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str, u32, &'static str, &'static str)],
        &'static [&'static [&'static str]],
    );

    const CASES: &[Case] = &[
        (
            "one number in different forms, same place",
            &[
                ("T1", "13812345678", 0, "西城区长青小区3号楼", "噪音扰民"),
                ("T2", "+86 138-1234-5678", 5, "长青小区", "噪音扰民"),
                ("T3", "008613812345678", 9, "长青小区东门", ""),
                ("T4", "013812345678", 12, "长青小区", "垃圾清运"),
            ],
            &[&["T1", "T2", "T3", "T4"]],
        ),
        (
            "different place: not linked, even with the same subcategory",
            &[
                ("T1", "13812345678", 0, "长青小区", "噪音扰民"),
                ("T2", "13812345678", 3, "建设路", "噪音扰民"),
            ],
            &[],
        ),
        (
            "outside the window: not linked",
            &[
                ("T1", "13812345678", 0, "长青小区", ""),
                ("T2", "13812345678", 31, "长青小区", ""),
            ],
            &[],
        ),
        (
            "thirty days exactly: linked",
            &[
                ("T1", "13812345678", 0, "长青小区", ""),
                ("T2", "13812345678", 30, "长青小区", ""),
            ],
            &[&["T1", "T2"]],
        ),
        (
            "three calls, one chain, the window running from the latest",
            &[
                ("T1", "13812345678", 0, "长青小区", ""),
                ("T3", "13812345678", 45, "长青小区", ""),
                ("T2", "13812345678", 20, "长青小区", ""),
            ],
            &[&["T1", "T2", "T3"]],
        ),
        (
            "different numbers: not linked",
            &[
                ("T1", "13812345678", 0, "长青小区", ""),
                ("T2", "13812345679", 1, "长青小区", ""),
            ],
            &[],
        ),
        (
            "no place on one side: the same subcategory links",
            &[
                ("T1", "010-62345678", 0, "", "噪音扰民"),
                ("T2", "01062345678", 2, "长青小区", "噪音扰民"),
            ],
            &[&["T1", "T2"]],
        ),
        (
            "no place and no subcategory: not linked",
            &[
                ("T1", "13812345678", 0, "", ""),
                ("T2", "13812345678", 2, "", ""),
            ],
            &[],
        ),
        (
            "no number: never linked",
            &[
                ("T1", "", 0, "长青小区", ""),
                ("T2", "无", 1, "长青小区", ""),
            ],
            &[],
        ),
        (
            "a building number alone is no shared place",
            &[
                ("T1", "13812345678", 0, "3号楼", ""),
                ("T2", "13812345678", 1, "3号楼", ""),
            ],
            &[],
        ),
    ];

    fn chains_of(l: &Linked) -> Vec<Vec<String>> {
        l.chains
            .iter()
            .filter(|c| c.members.len() > 1)
            .map(|c| {
                c.members
                    .iter()
                    .map(|&i| l.contacts[i].ticket_id.clone())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn repeats_are_linked_by_number_matter_and_window() {
        for (name, rows, want) in CASES {
            let contacts: Vec<Contact> = rows
                .iter()
                .map(|&(id, phone, day, loc, sub)| contact(id, phone, day, loc, sub))
                .collect();
            let mut reversed = contacts.clone();
            reversed.reverse();
            let got = chains_of(&link(contacts, 30));
            let want: Vec<Vec<String>> = want
                .iter()
                .map(|c| c.iter().map(|s| s.to_string()).collect())
                .collect();
            assert_eq!(got, want, "{name}");
            assert_eq!(
                chains_of(&link(reversed, 30)),
                want,
                "{name} (reversed input)"
            );
        }
    }

    #[test]
    fn numbers_are_normalised() {
        for (raw, want) in [
            ("13812345678", Some("13812345678")),
            ("+86 138 1234 5678", Some("13812345678")),
            ("0086-13812345678", Some("13812345678")),
            ("8613812345678", Some("13812345678")),
            ("013812345678", Some("13812345678")),
            ("１３８１２３４５６７８", Some("13812345678")),
            ("010-62345678", Some("01062345678")),
            ("62345678", Some("62345678")),
            ("12345", None),
            ("匿名", None),
            ("", None),
        ] {
            assert_eq!(normalise_number(raw).as_deref(), want, "{raw}");
        }
        assert_eq!(masked_number("+86 13812345678"), "138****5678");
        assert_eq!(masked_number("无"), "");
    }

    #[test]
    fn the_link_key_depends_on_the_salt_and_holds_no_digits_of_the_number() {
        let a = link_key("a", "13812345678");
        assert_eq!(a, link_key("a", "13812345678"));
        assert_ne!(a, link_key("b", "13812345678"));
        assert_ne!(a, link_key("a", "13812345679"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("5678"));
        assert_eq!(link_key_of("a", "+86 138-1234-5678"), a);
        assert_eq!(link_key_of("a", "无"), "");
    }

    #[test]
    fn first_call_resolution_counts_only_calls_whose_window_is_over() {
        let contacts = vec![
            // Repeated: counts, not resolved.
            contact("T1", "13812345678", 0, "长青小区", ""),
            contact("T2", "13812345678", 5, "长青小区", ""),
            // Alone, 40 days before the data's end: resolved.
            contact("T3", "13900000000", 0, "建设路", ""),
            // Alone, 10 days before the end: pending, not counted.
            contact("T4", "13700000000", 30, "和平街", ""),
            contact("T5", "13600000000", 40, "和平街", ""),
            // No number: no repeat could be seen, not counted.
            contact("T6", "", 0, "和平街", ""),
        ];
        let l = link(contacts, 30);
        let f = l.first_calls();
        assert_eq!(
            f.total,
            FirstCalls {
                first_calls: 2,
                repeated: 1
            }
        );
        assert_eq!(f.pending, 2);
        assert_eq!(f.total.rate(), Some(0.5));
        assert_eq!(f.operators.get("1024").map(|x| x.first_calls), Some(2));
        assert_eq!(FirstCalls::default().rate(), None);
    }

    #[test]
    fn closed_before_compares_completion_with_the_repeat() {
        let mut first = contact("T1", "13812345678", 0, "长青小区", "");
        let repeat = contact("T2", "13812345678", 5, "长青小区", "");
        assert!(!closed_before(&first, &repeat));
        first.completed_at = Some(at(3));
        assert!(closed_before(&first, &repeat));
        first.completed_at = Some(at(6));
        assert!(!closed_before(&first, &repeat));
    }
}
