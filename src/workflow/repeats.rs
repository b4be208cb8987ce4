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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
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

/// [`link_key_of`] and [`masked_number`] of one raw number, normalised once.
pub fn link_and_mask(salt: &str, raw: &str) -> (String, String) {
    match normalise_number(raw) {
        Some(n) => (link_key(salt, &n), crate::report::privacy::mask_digits(&n)),
        None => (String::new(), String::new()),
    }
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
        let at = t.accepted_at?;
        let (link, masked) = link_and_mask(salt, &t.caller_phone);
        Some(Contact {
            ticket_id: t.ticket_id.clone(),
            call_id: t.call_id.clone().unwrap_or_default(),
            link,
            masked,
            at,
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
pub fn same_matter(a: &ContactRef, b: &ContactRef) -> Option<String> {
    if !a.places.is_empty() && !b.places.is_empty() {
        // Both lists are sorted and joined by `;` (a place key holds letters,
        // digits and a suffix, never `;`): the first of a's that b holds.
        return a
            .places
            .split(';')
            .find(|p| b.places.split(';').any(|q| q == *p))
            .map(|p| format!("地点:{p}"));
    }
    (!a.matter.is_empty() && a.matter == b.matter).then(|| format!("诉求:{}", a.matter))
}

/// Where a string stands in a [`ContactBook`]'s text.
#[derive(Clone, Copy, Debug, Default)]
struct Str {
    start: u32,
    len: u32,
}

/// One contact as a [`ContactBook`] holds it: numbers and indices, no
/// allocation of its own.
#[derive(Clone, Copy, Debug)]
struct Row {
    /// The link key's 16 bytes ([`link_bytes`]); meaningful when `linked`.
    link: [u8; 16],
    linked: bool,
    at: NaiveDateTime,
    completed_at: Option<NaiveDateTime>,
    ticket_id: Str,
    call_id: Str,
    masked: Str,
    /// Interned: the place keys joined by `;`, the matter, who accepted
    /// it, the call's team, the unit, the category.
    places: u32,
    matter: u32,
    operator_id: u32,
    team: u32,
    unit: u32,
    category: u32,
}

/// The bytes of a link key: its 32 hex digits read back. A key that is not
/// 32 hex digits (none is, as [`link_key`] writes them) is hashed instead,
/// so that equal keys still give equal bytes. Bytes sort as the hex text
/// does, so contacts are in the same order as their keys'. None for an
/// empty key.
fn link_bytes(key: &str) -> Option<[u8; 16]> {
    if key.is_empty() {
        return None;
    }
    let mut out = [0u8; 16];
    let hex = key.as_bytes();
    let digit = |c: u8| (c as char).to_digit(16);
    if hex.len() == 32 {
        let mut ok = true;
        for (i, pair) in hex.chunks(2).enumerate() {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(h), Some(l)) => out[i] = (h * 16 + l) as u8,
                _ => ok = false,
            }
        }
        if ok {
            return Some(out);
        }
    }
    let digest = Sha256::digest(key.as_bytes());
    out.copy_from_slice(&digest[..16]);
    Some(out)
}

/// Contacts held compactly: a year of a large city's tickets (some 13
/// million) must fit in memory while they are linked, and a contact as a
/// [`Contact`] (nine strings and a list) takes about half a kilobyte.
/// Here a contact is one fixed-size row (about 90 bytes); its ids and
/// masked number sit in one shared text, and the few values many contacts
/// share (operators, teams, units, categories, matters, place lists) are
/// interned.
#[derive(Clone, Debug, Default)]
pub struct ContactBook {
    rows: Vec<Row>,
    text: String,
    names: Vec<Box<str>>,
    name_index: std::collections::HashMap<Box<str>, u32>,
    /// (hash of call id, row), sorted: filled by [`ContactBook::index_calls`].
    by_call: Vec<(u128, u32)>,
    /// The latest acceptance time of any contact pushed, linked or not.
    data_end: Option<NaiveDateTime>,
}

/// A contact as read from a [`ContactBook`] or a [`Linked`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContactRef<'a> {
    /// 工单编号.
    pub ticket_id: &'a str,
    /// The ticket's call (empty: none).
    pub call_id: &'a str,
    /// Whether it has a number to link by.
    pub linked: bool,
    /// The number masked (138****5678).
    pub masked: &'a str,
    /// When the ticket was accepted.
    pub at: NaiveDateTime,
    /// When it was completed (办结).
    pub completed_at: Option<NaiveDateTime>,
    /// [`place_keys`] joined by `;` (empty: none).
    pub places: &'a str,
    /// [`matter_key`].
    pub matter: &'a str,
    /// Who accepted the ticket.
    pub operator_id: &'a str,
    /// The operator's team, from the call (empty when unknown).
    pub team: &'a str,
    /// 承办单位.
    pub unit: &'a str,
    /// 诉求类别.
    pub category: &'a str,
}

impl ContactBook {
    /// How many contacts it holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn put(&mut self, s: &str) -> anyhow::Result<Str> {
        let start = u32::try_from(self.text.len());
        let len = u32::try_from(s.len());
        match (start, len) {
            (Ok(start), Ok(len)) if u32::try_from(self.text.len() + s.len()).is_ok() => {
                self.text.push_str(s);
                Ok(Str { start, len })
            }
            _ => anyhow::bail!(
                "工单太多，重复来电的工单编号超过 4 GB，请分批运行（too many contacts to link at once）"
            ),
        }
    }

    fn name(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.name_index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.into());
        self.name_index.insert(s.into(), i);
        i
    }

    fn str_of(&self, s: Str) -> &str {
        let start = s.start as usize;
        self.text.get(start..start + s.len as usize).unwrap_or("")
    }

    fn name_of(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", |s| s)
    }

    /// Adds a contact.
    pub fn push(&mut self, c: &Contact) -> anyhow::Result<()> {
        let link = link_bytes(&c.link);
        let row = Row {
            link: link.unwrap_or_default(),
            linked: link.is_some(),
            at: c.at,
            completed_at: c.completed_at,
            ticket_id: self.put(&c.ticket_id)?,
            call_id: self.put(&c.call_id)?,
            masked: self.put(&c.masked)?,
            places: self.name(&c.places.join(";")),
            matter: self.name(&c.matter),
            operator_id: self.name(&c.operator_id),
            team: self.name(&c.team),
            unit: self.name(&c.unit),
            category: self.name(&c.category),
        };
        self.data_end = self.data_end.max(Some(c.at));
        self.rows.push(row);
        Ok(())
    }

    /// Contact `i`.
    pub fn get(&self, i: usize) -> Option<ContactRef<'_>> {
        let r = self.rows.get(i)?;
        Some(ContactRef {
            ticket_id: self.str_of(r.ticket_id),
            call_id: self.str_of(r.call_id),
            linked: r.linked,
            masked: self.str_of(r.masked),
            at: r.at,
            completed_at: r.completed_at,
            places: self.name_of(r.places),
            matter: self.name_of(r.matter),
            operator_id: self.name_of(r.operator_id),
            team: self.name_of(r.team),
            unit: self.name_of(r.unit),
            category: self.name_of(r.category),
        })
    }

    /// Prepares [`ContactBook::set_call`]: indexes the contacts by call id.
    pub fn index_calls(&mut self) {
        let mut by_call: Vec<(u128, u32)> = Vec::with_capacity(self.rows.len());
        for (i, r) in self.rows.iter().enumerate() {
            if r.call_id.len > 0 {
                by_call.push((
                    crate::input::ticket_store::hash128(self.str_of(r.call_id)),
                    i as u32,
                ));
            }
        }
        by_call.sort_unstable();
        self.by_call = by_call;
    }

    /// What the scored call `call_id` adds to its tickets' contacts: its
    /// team, and, to a ticket without a number of its own, the number the
    /// call came from (its link key and masked form). After
    /// [`ContactBook::index_calls`]; a call without tickets costs one
    /// binary search.
    pub fn set_call(
        &mut self,
        call_id: &str,
        team: &str,
        link: &str,
        masked: &str,
    ) -> anyhow::Result<()> {
        let h = crate::input::ticket_store::hash128(call_id);
        let from = self.by_call.partition_point(|&(k, _)| k < h);
        let mut k = from;
        while let Some(&(key, row)) = self.by_call.get(k) {
            k += 1;
            if key != h {
                break;
            }
            let i = row as usize;
            if self
                .rows
                .get(i)
                .is_none_or(|r| self.str_of(r.call_id) != call_id)
            {
                continue;
            }
            let team = self.name(team);
            let own = self.rows[i].linked;
            let masked = if own || link.is_empty() {
                None
            } else {
                Some(self.put(masked)?)
            };
            let r = &mut self.rows[i];
            r.team = team;
            if let (Some(m), Some(l)) = (masked, link_bytes(link)) {
                r.link = l;
                r.linked = true;
                r.masked = m;
            }
        }
        Ok(())
    }

    /// Drops the fractions of a second from every time, as the runs'
    /// Parquet files hold them: `score` links a run's contacts from memory
    /// and `report` from those files, and both must link alike.
    pub fn truncate_to_seconds(&mut self) {
        use chrono::Timelike;
        let whole = |t: NaiveDateTime| t.with_nanosecond(0).unwrap_or(t);
        for r in &mut self.rows {
            r.at = whole(r.at);
            r.completed_at = r.completed_at.map(whole);
        }
        self.data_end = self.data_end.map(whole);
    }

    /// Links the contacts (see [`link`]).
    pub fn link(self, window_days: u32) -> Linked {
        link_book(self, window_days)
    }
}

/// A chain of linked contacts, in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// Where its members (indices into the contacts) are in
    /// [`Linked`]'s member list.
    members: (u32, u32),
    /// The place or matter the first repeat shares with the first call
    /// (地点:长青小区, 诉求:投诉举报/噪音扰民); empty for a chain of one.
    key: Box<str>,
}

impl Chain {
    /// How many contacts it links.
    pub fn len(&self) -> usize {
        self.members.1 as usize
    }

    /// Whether it is empty (never: a chain has its first call).
    pub fn is_empty(&self) -> bool {
        self.members.1 == 0
    }

    /// The place or matter that links it (empty for a chain of one).
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Contacts linked into chains.
#[derive(Clone, Debug, Default)]
pub struct Linked {
    book: ContactBook,
    /// For each contact, the earlier one it repeats.
    prior: Vec<Option<u32>>,
    /// Every chain, one-contact ones too, by first contact's time then id.
    chains: Vec<Chain>,
    /// The chains' members, chain after chain, each in time order.
    members: Vec<u32>,
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
///
/// Contacts that cannot be placed in a [`ContactBook`] (more than 4 GB of
/// ids) are not linked; `score` pushes into a book itself and reports it.
pub fn link(contacts: Vec<Contact>, window_days: u32) -> Linked {
    let mut book = ContactBook::default();
    for c in &contacts {
        if book.push(c).is_err() {
            break;
        }
    }
    drop(contacts);
    link_book(book, window_days)
}

fn link_book(book: ContactBook, window_days: u32) -> Linked {
    let n = book.rows.len();
    let rows = &book.rows;
    // By number (contacts without one first: they are never linked), then
    // time, then ticket id.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (&rows[a as usize], &rows[b as usize]);
        (x.linked, x.link, x.at, book.str_of(x.ticket_id)).cmp(&(
            y.linked,
            y.link,
            y.at,
            book.str_of(y.ticket_id),
        ))
    });
    let window = chrono::Duration::days(i64::from(window_days));
    let mut prior: Vec<Option<u32>> = vec![None; n];
    // The chain of each contact, and each chain's first contact and key.
    let mut chain_of: Vec<u32> = vec![u32::MAX; n];
    let mut heads: Vec<(u32, Box<str>, u32)> = Vec::new();
    for p in 0..n {
        let i = order[p] as usize;
        let c = &rows[i];
        let mut found = None;
        if c.linked {
            let mut q = p;
            while q > 0 {
                q -= 1;
                let j = order[q] as usize;
                let pr = &rows[j];
                if !pr.linked || pr.link != c.link || c.at - pr.at > window {
                    break;
                }
                if let (Some(a), Some(b)) = (book.get(j), book.get(i)) {
                    if let Some(key) = same_matter(&a, &b) {
                        found = Some((j, key));
                        break;
                    }
                }
            }
        }
        match found {
            Some((j, key)) => {
                prior[i] = Some(j as u32);
                let k = chain_of[j];
                chain_of[i] = k;
                if let Some(h) = heads.get_mut(k as usize) {
                    if h.1.is_empty() {
                        h.1 = key.into();
                    }
                    h.2 += 1;
                }
            }
            None => {
                chain_of[i] = heads.len() as u32;
                heads.push((i as u32, Box::from(""), 1));
            }
        }
    }
    // Chains by their first contact's time, then ticket id.
    let mut chain_order: Vec<u32> = (0..heads.len() as u32).collect();
    chain_order.sort_unstable_by(|&a, &b| {
        let (x, y) = (
            &rows[heads[a as usize].0 as usize],
            &rows[heads[b as usize].0 as usize],
        );
        (x.at, book.str_of(x.ticket_id)).cmp(&(y.at, book.str_of(y.ticket_id)))
    });
    let mut rank = vec![0u32; heads.len()];
    let mut chains = Vec::with_capacity(heads.len());
    let mut start = 0u32;
    for (r, &k) in chain_order.iter().enumerate() {
        rank[k as usize] = r as u32;
        let h = &mut heads[k as usize];
        chains.push(Chain {
            members: (start, h.2),
            key: std::mem::take(&mut h.1),
        });
        start += h.2;
    }
    drop(heads);
    // Members in the order contacts were visited, which is time order
    // within a number (and a chain is of one number).
    let mut members = vec![0u32; n];
    let mut fill: Vec<u32> = chains.iter().map(|c| c.members.0).collect();
    for &i in &order {
        let k = rank[chain_of[i as usize] as usize] as usize;
        members[fill[k] as usize] = i;
        fill[k] += 1;
    }
    let data_end = book.data_end;
    Linked {
        book,
        prior,
        chains,
        members,
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
    /// Every chain, one-contact ones too, by first contact's time then
    /// ticket id.
    pub fn chains(&self) -> &[Chain] {
        &self.chains
    }

    /// A chain's contacts, in time order.
    pub fn members<'a>(&'a self, ch: &Chain) -> impl Iterator<Item = ContactRef<'a>> + 'a {
        let (start, len) = (ch.members.0 as usize, ch.members.1 as usize);
        self.members
            .get(start..start + len)
            .unwrap_or(&[])
            .iter()
            .filter_map(|&i| self.book.get(i as usize))
    }

    /// A chain's first contact.
    pub fn head(&self, ch: &Chain) -> Option<ContactRef<'_>> {
        self.members(ch).next()
    }

    /// A chain's id: `R-` and the first ticket's id, stable across runs
    /// and threads.
    pub fn chain_id(&self, ch: &Chain) -> String {
        format!("R-{}", self.head(ch).map_or("", |c| c.ticket_id))
    }

    /// Gives the contacts back, to link them again once more is known of
    /// them (`score` links the tickets' own numbers before the calls are
    /// scored, and again with the calls' numbers and teams after).
    pub fn into_book(self) -> ContactBook {
        self.book
    }

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
            let Some(head) = self.head(ch) else {
                continue;
            };
            if head.call_id.is_empty() || !head.linked {
                continue;
            }
            let repeated = ch.len() > 1;
            let over = self.data_end.is_some_and(|end| head.at + window <= end);
            if !repeated && !over {
                f.pending += 1;
                continue;
            }
            for (map, key) in [
                (&mut f.operators, head.operator_id),
                (&mut f.teams, head.team),
                (&mut f.units, head.unit),
                (&mut f.categories, head.category),
            ] {
                // A key is allocated once per operator, team, unit or
                // category, not once per first call.
                if !map.contains_key(key) {
                    map.insert(key.to_string(), FirstCalls::default());
                }
                if let Some(e) = map.get_mut(key) {
                    e.first_calls += 1;
                    e.repeated += u64::from(repeated);
                }
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
                    c.ticket_id.to_string(),
                    crate::model::PriorContact {
                        ticket_id: p.ticket_id.to_string(),
                        call_id: (!p.call_id.is_empty()).then(|| p.call_id.to_string()),
                        accepted_at: Some(p.at),
                        closed_before: closed_before(&p, &c),
                    },
                )
            })
            .collect()
    }

    /// The prior contact of each contact that repeats one.
    pub fn priors(&self) -> impl Iterator<Item = (ContactRef<'_>, ContactRef<'_>)> {
        self.prior.iter().enumerate().filter_map(|(i, p)| {
            let p = (*p)?;
            Some((self.book.get(i)?, self.book.get(p as usize)?))
        })
    }
}

/// Whether the first ticket of a chain was completed before the first
/// repeat was accepted.
pub fn closed_before(first: &ContactRef, repeat: &ContactRef) -> bool {
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
            "a place whose name holds a stop char (和平街) links by the place",
            &[
                ("T1", "13900001111", 0, "和平街", "路灯"),
                ("T2", "13900001111", 6, "东城区和平街菜市场口", "环境卫生"),
                // Another number at the same place is another caller.
                ("T3", "13900002222", 7, "和平街", "路灯"),
            ],
            &[&["T1", "T2"]],
        ),
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
        l.chains()
            .iter()
            .filter(|c| c.len() > 1)
            .map(|c| l.members(c).map(|m| m.ticket_id.to_string()).collect())
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
    fn a_place_named_with_a_stop_char_is_a_place_key() {
        // 和 of 和平街 ended the name before, so 和平街 gave no key and the
        // matter key (category and subcategory) was used instead.
        assert_eq!(place_keys("和平街12号", ""), vec!["和平街".to_string()]);
        assert_eq!(
            place_keys("", "来电人反映和平街路灯损坏"),
            vec!["和平街".to_string()]
        );
        assert_eq!(place_keys("向阳小区", ""), vec!["向阳小区".to_string()]);
        // Must not: a conjunction 和 before a name is not part of it.
        assert_eq!(
            place_keys("长青小区和解放路", ""),
            vec!["解放路".to_string(), "长青小区".to_string()]
        );
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
        // The hex digits written by hand are the digest's, lower case.
        let mut h = Sha256::new();
        h.update(1u64.to_le_bytes());
        h.update(b"a");
        h.update(b"13812345678");
        let want: String = h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(a, want);
        assert_eq!(
            link_and_mask("a", "+86 138-1234-5678"),
            (a.clone(), "138****5678".to_string())
        );
        assert_eq!(link_and_mask("a", "无"), (String::new(), String::new()));
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
        let closed = |completed: Option<NaiveDateTime>| {
            let mut first = contact("T1", "13812345678", 0, "长青小区", "");
            first.completed_at = completed;
            let repeat = contact("T2", "13812345678", 5, "长青小区", "");
            let mut book = ContactBook::default();
            for c in [&first, &repeat] {
                assert!(book.push(c).is_ok());
            }
            match (book.get(0), book.get(1)) {
                (Some(f), Some(r)) => closed_before(&f, &r),
                _ => panic!("two contacts"),
            }
        };
        assert!(!closed(None));
        assert!(closed(Some(at(3))));
        assert!(!closed(Some(at(6))));
    }
}
