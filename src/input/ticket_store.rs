//! Tickets kept for linking to their calls without holding them in memory:
//! the fields the norms read are written to a scratch file next to the
//! outputs, and only a map from a 128-bit hash of the call id to the
//! record's place stays in memory (about 40 bytes a ticket), so a day of a
//! million tickets costs tens of megabytes, not a gigabyte.
//!
//! A hash collision cannot mix two calls up: the stored record carries its
//! call id, which is compared on every look-up.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::model::{Category, Handling, PriorContact, Ticket, Urgency};
use crate::workflow::repeats::Linked;

/// A 128-bit hash of a string: two SipHash runs with fixed, different keys.
/// Deterministic across runs and machines.
pub fn hash128(s: &str) -> u128 {
    let mut b = std::collections::hash_map::DefaultHasher::new();
    0x5eed_u64.hash(&mut b);
    s.hash(&mut b);
    (u128::from(hash64(s)) << 64) | u128::from(b.finish())
}

/// A hasher for keys that are already hashes ([`hash128`]): it folds their
/// two halves instead of hashing them again with SipHash.
#[derive(Clone, Copy, Debug, Default)]
pub struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used for u128 keys; any other key is still spread out.
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= (n as u64) ^ ((n >> 64) as u64);
    }
}

/// A set of [`hash128`] values.
pub type Hash128Set = std::collections::HashSet<u128, std::hash::BuildHasherDefault<PreHashed>>;

fn put(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn take<'a>(bytes: &mut &'a [u8]) -> Option<&'a str> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let s = std::str::from_utf8(bytes.get(4..4 + len)?).ok()?;
    *bytes = &bytes[4 + len..];
    Some(s)
}

/// Encodes the fields of a ticket that the norms read.
fn encode(t: &Ticket, out: &mut Vec<u8>) {
    for s in [
        t.ticket_id.as_str(),
        t.call_id.as_deref().unwrap_or(""),
        &t.category_raw,
        &t.subcategory,
        &t.handling_raw,
        t.urgency.map(|u| u.zh()).unwrap_or(""),
        &t.caller_name,
        &t.caller_phone,
        &t.event_time,
        &t.event_location,
        &t.content,
        &t.complained_staff_name,
        &t.complained_staff_no,
        &t.unit,
        // process.risk_not_escalated reads it (spec §2.1).
        if t.hot_issue { "是" } else { "" },
    ] {
        put(out, s);
    }
}

fn decode(mut bytes: &[u8]) -> Option<Ticket> {
    let b = &mut bytes;
    let ticket_id = take(b)?.to_string();
    let call_id = take(b)?.to_string();
    let category_raw = take(b)?.to_string();
    let subcategory = take(b)?.to_string();
    let handling_raw = take(b)?.to_string();
    let urgency = Urgency::parse(take(b)?);
    Some(Ticket {
        ticket_id,
        call_id: Some(call_id),
        category: Category::parse(&category_raw),
        category_raw,
        subcategory,
        handling: Handling::parse(&handling_raw),
        handling_raw,
        urgency,
        caller_name: take(b)?.to_string(),
        caller_phone: take(b)?.to_string(),
        event_time: take(b)?.to_string(),
        event_location: take(b)?.to_string(),
        content: take(b)?.to_string(),
        complained_staff_name: take(b)?.to_string(),
        complained_staff_no: take(b)?.to_string(),
        unit: take(b)?.to_string(),
        hot_issue: take(b)? == "是",
        ..Ticket::default()
    })
}

/// A 64-bit hash of a string (SipHash with fixed keys, deterministic): the
/// high half of [`hash128`].
fn hash64(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Where one ticket's record is in the scratch file.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// [`hash64`] of the call id.
    key: u64,
    offset: u64,
    len: u32,
}

/// Tickets by call id, first ticket of a call kept.
///
/// The index is a sorted array of 24-byte entries (a million tickets in
/// 24 MB, where a hash map took about 70), found through a directory of
/// the keys' top bits. The keys are 64-bit hashes: two call ids may share
/// one, so a look-up reads the records under its key in file order and
/// takes the first whose call id is the one asked for — exact, whatever
/// the hashes.
pub struct TicketStore {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    file: Option<File>,
    offset: u64,
    index: Vec<Entry>,
    /// `starts[b]`: the first entry whose key's top `bits` bits are ≥ `b`
    /// (2^bits + 1 of them; filled by `finish`).
    starts: Vec<u32>,
    bits: u32,
    buf: Vec<u8>,
    /// The earlier contact of each ticket that repeats one, by ticket id
    /// ([`TicketStore::set_links`]): only repeats are held.
    priors: std::collections::HashMap<String, PriorContact>,
}

impl TicketStore {
    /// A store whose scratch file lives in `dir` (removed when the store is dropped).
    pub fn create(dir: &Path) -> anyhow::Result<TicketStore> {
        let path = dir.join(".tickets-by-call.partial");
        let f = File::create(&path).map_err(|e| {
            anyhow::anyhow!("{}：无法写入临时文件（cannot write: {e}）", path.display())
        })?;
        Ok(TicketStore {
            path,
            writer: Some(BufWriter::with_capacity(256 * 1024, f)),
            file: None,
            offset: 0,
            index: Vec::new(),
            starts: Vec::new(),
            bits: 0,
            buf: Vec::new(),
            priors: std::collections::HashMap::new(),
        })
    }

    /// Adds the ticket of a call (a later ticket of the same call is kept
    /// on disk but never returned: the first one wins).
    pub fn insert(&mut self, t: &Ticket) -> anyhow::Result<()> {
        let Some(call_id) = t.call_id.as_deref() else {
            return Ok(());
        };
        self.buf.clear();
        encode(t, &mut self.buf);
        let len = u32::try_from(self.buf.len()).map_err(|_| {
            anyhow::anyhow!(
                "工单 {}：这一条超过 4 GB，无法处理（record over 4 GB）",
                t.ticket_id
            )
        })?;
        if let Some(w) = self.writer.as_mut() {
            w.write_all(&self.buf)?;
        }
        self.index.push(Entry {
            key: hash64(call_id),
            offset: self.offset,
            len,
        });
        self.offset += u64::from(len);
        Ok(())
    }

    /// Ends writing and sorts the index; the store can then be read from
    /// many threads.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush()?;
        }
        self.file = Some(File::open(&self.path).map_err(|e| {
            anyhow::anyhow!(
                "{}：无法读取临时文件（cannot read: {e}）",
                self.path.display()
            )
        })?);
        // By key, then file order (offsets grow): the first ticket of a call comes first.
        self.index.sort_unstable_by_key(|e| (e.key, e.offset));
        self.index.shrink_to_fit();
        let n = self.index.len();
        if u32::try_from(n).is_err() {
            anyhow::bail!("关联通话的工单超过 40 亿张，请分批运行（more than 4 billion tickets with a call id）");
        }
        // About two entries per directory slot.
        self.bits = (usize::BITS - (n / 2).leading_zeros()).min(32);
        let slots = 1usize << self.bits;
        self.starts = Vec::with_capacity(slots + 1);
        let mut i = 0;
        for b in 0..slots {
            while i < n && self.slot(self.index[i].key) < b {
                i += 1;
            }
            self.starts.push(i as u32);
        }
        self.starts.push(n as u32);
        Ok(())
    }

    fn slot(&self, key: u64) -> usize {
        if self.bits == 0 {
            0
        } else {
            (key >> (64 - self.bits)) as usize
        }
    }

    /// The call's ticket (the fields the norms read).
    pub fn get(&self, call_id: &str) -> Option<Ticket> {
        if self.index.is_empty() {
            return None;
        }
        let key = hash64(call_id);
        let b = self.slot(key);
        let (lo, hi) = (
            *self.starts.get(b)? as usize,
            *self.starts.get(b + 1)? as usize,
        );
        let range = self.index.get(lo..hi)?;
        let first = range.partition_point(|e| e.key < key);
        let file = self.file.as_ref()?;
        range[first..]
            .iter()
            .take_while(|e| e.key == key)
            .find_map(|e| {
                let mut bytes = vec![0u8; e.len as usize];
                read_exact_at(file, &mut bytes, e.offset).ok()?;
                decode(&bytes).filter(|t| t.call_id.as_deref() == Some(call_id))
            })
            .map(|mut t| {
                t.prior = self.priors.get(&t.ticket_id).cloned();
                t
            })
    }

    /// Takes the repeat links of every ticket (linked before any call is
    /// scored, so that `ticket.repeat_omitted` sees the history): a
    /// ticket returned by [`TicketStore::get`] carries its earlier contact
    /// in `prior`.
    pub fn set_links(&mut self, linked: &Linked) {
        self.priors = linked.prior_contacts();
    }

    /// True when no ticket has a call id.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n =
            std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        done += n;
    }
    Ok(())
}

impl Drop for TicketStore {
    fn drop(&mut self) {
        self.writer = None;
        self.file = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hot_issue_flag_survives_the_store() {
        // process.risk_not_escalated reads it: lost, every escalated
        // ticket looked like an ordinary one.
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = TicketStore::create(dir.path()).expect("store");
        for (call, hot) in [("C1", true), ("C2", false)] {
            s.insert(&Ticket {
                ticket_id: format!("T{call}"),
                call_id: Some(call.into()),
                hot_issue: hot,
                ..Ticket::default()
            })
            .expect("insert");
        }
        s.finish().expect("finish");
        assert!(s.get("C1").is_some_and(|t| t.hot_issue));
        assert!(s.get("C2").is_some_and(|t| !t.hot_issue));
    }

    #[test]
    fn round_trip_and_first_ticket_wins() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = TicketStore::create(dir.path()).expect("store");
        let t = Ticket {
            ticket_id: "T1".into(),
            call_id: Some("C1".into()),
            category_raw: "求助".into(),
            category: Some(Category::Help),
            handling_raw: "工单转办".into(),
            handling: Some(Handling::Dispatch),
            urgency: Some(Urgency::Emergency),
            content: "内容，含逗号与换行\n".into(),
            caller_phone: "13900001111".into(),
            ..Ticket::default()
        };
        s.insert(&t).expect("insert");
        s.insert(&Ticket {
            ticket_id: "T2".into(),
            ..t.clone()
        })
        .expect("insert");
        s.finish().expect("finish");
        let got = s.get("C1").expect("found");
        assert_eq!(got.ticket_id, "T1");
        assert_eq!(got.category, Some(Category::Help));
        assert_eq!(got.urgency, Some(Urgency::Emergency));
        assert_eq!(got.content, t.content);
        assert!(s.get("C2").is_none());
        assert!(s.get("C1x").is_none());
        let path = dir.path().join(".tickets-by-call.partial");
        drop(s);
        assert!(!path.exists());
    }

    fn ticket(id: &str, call: &str) -> Ticket {
        Ticket {
            ticket_id: id.into(),
            call_id: Some(call.into()),
            ..Ticket::default()
        }
    }

    /// A call id whose hash another call id shares still finds its own
    /// ticket: here every record is filed under the hash of "A", the first
    /// being another call's.
    #[test]
    fn colliding_keys_are_told_apart_by_the_call_id() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = TicketStore::create(dir.path()).expect("store");
        for (t, c) in [("T1", "B"), ("T2", "A"), ("T3", "A"), ("T4", "C")] {
            s.insert(&ticket(t, c)).expect("insert");
        }
        for e in &mut s.index {
            e.key = hash64("A");
        }
        s.finish().expect("finish");
        assert_eq!(s.get("A").map(|t| t.ticket_id).as_deref(), Some("T2"));
        assert_eq!(s.get("D").map(|t| t.ticket_id), None);
    }

    /// A repeat ticket comes back from the store with its earlier contact
    /// (same number in another form, same place), so that
    /// `ticket.repeat_omitted` sees the history; the first ticket and one
    /// about another place have none.
    #[test]
    fn a_repeat_ticket_carries_its_prior_contact() {
        use crate::workflow::repeats::{link, Contact};
        let at = |d: u32, h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, d).and_then(|x| x.and_hms_opt(h, 0, 0))
        };
        let t = |id: &str, phone: &str, day: u32, place: &str, done: Option<u32>| Ticket {
            ticket_id: id.into(),
            call_id: Some(format!("C{id}")),
            caller_phone: phone.into(),
            accepted_at: at(day, 9),
            completed_at: done.and_then(|d| at(d, 12)),
            event_location: place.into(),
            ..Ticket::default()
        };
        let tickets = [
            t("T1", "13812345678", 2, "西城区长青小区", Some(4)),
            t("T2", "+86 138-1234-5678", 7, "长青小区", None),
            t("T3", "13812345678", 8, "建设路", None),
        ];
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = TicketStore::create(dir.path()).expect("store");
        for x in &tickets {
            s.insert(x).expect("insert");
        }
        s.finish().expect("finish");
        let contacts: Vec<Contact> = tickets
            .iter()
            .filter_map(|x| Contact::from_ticket(x, "salt"))
            .collect();
        s.set_links(&link(contacts, 30));
        assert_eq!(s.get("CT1").and_then(|x| x.prior), None);
        assert_eq!(
            s.get("CT2").and_then(|x| x.prior),
            Some(PriorContact {
                ticket_id: "T1".into(),
                call_id: Some("CT1".into()),
                accepted_at: at(2, 9),
                closed_before: true,
            })
        );
        assert_eq!(s.get("CT3").and_then(|x| x.prior), None);
    }

    proptest::proptest! {
        /// Against a map of first tickets per call, for any number of tickets
        /// (the directory's size follows the count).
        #[test]
        fn finds_the_first_ticket_of_every_call(calls in proptest::collection::vec(0u16..400, 0..900)) {
            let dir = tempfile::tempdir().expect("tmp");
            let mut s = TicketStore::create(dir.path()).expect("store");
            let mut first = std::collections::HashMap::new();
            for (i, c) in calls.iter().enumerate() {
                let (t, c) = (format!("T{i}"), format!("C{c}"));
                s.insert(&ticket(&t, &c)).expect("insert");
                first.entry(c).or_insert(t);
            }
            s.finish().expect("finish");
            for c in 0..400u16 {
                let c = format!("C{c}");
                proptest::prop_assert_eq!(s.get(&c).map(|t| t.ticket_id), first.get(&c).cloned());
            }
        }
    }
}
