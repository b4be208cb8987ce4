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

use crate::model::{Category, Handling, Ticket, Urgency};

/// A 128-bit hash of a string: two SipHash runs with fixed, different keys.
/// Deterministic across runs and machines.
pub fn hash128(s: &str) -> u128 {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    0x5eed_u64.hash(&mut b);
    s.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
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

/// A map keyed by [`hash128`] values.
pub type Hash128Map<V> =
    std::collections::HashMap<u128, V, std::hash::BuildHasherDefault<PreHashed>>;

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
        ..Ticket::default()
    })
}

/// Tickets by call id, first ticket of a call kept.
pub struct TicketStore {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    file: Option<File>,
    offset: u64,
    index: Hash128Map<(u64, u32)>,
    buf: Vec<u8>,
}

impl TicketStore {
    /// A store whose scratch file lives in `dir` (removed when the store is dropped).
    pub fn create(dir: &Path) -> anyhow::Result<TicketStore> {
        let path = dir.join(".tickets-by-call.partial");
        let f = File::create(&path)
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
        Ok(TicketStore {
            path,
            writer: Some(BufWriter::with_capacity(256 * 1024, f)),
            file: None,
            offset: 0,
            index: Hash128Map::default(),
            buf: Vec::new(),
        })
    }

    /// Adds the ticket of a call, unless the call already has one.
    pub fn insert(&mut self, t: &Ticket) -> anyhow::Result<()> {
        let Some(call_id) = t.call_id.as_deref() else {
            return Ok(());
        };
        let key = hash128(call_id);
        if self.index.contains_key(&key) {
            return Ok(());
        }
        self.buf.clear();
        encode(t, &mut self.buf);
        if let Some(w) = self.writer.as_mut() {
            w.write_all(&self.buf)?;
        }
        self.index.insert(key, (self.offset, self.buf.len() as u32));
        self.offset += self.buf.len() as u64;
        Ok(())
    }

    /// Ends writing; the store can then be read from many threads.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush()?;
        }
        self.file = Some(
            File::open(&self.path)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", self.path.display()))?,
        );
        Ok(())
    }

    /// True when the call has a ticket.
    pub fn contains(&self, call_id: &str) -> bool {
        !self.index.is_empty() && self.index.contains_key(&hash128(call_id))
    }

    /// The call's ticket (the fields the norms read).
    pub fn get(&self, call_id: &str) -> Option<Ticket> {
        if self.index.is_empty() {
            return None;
        }
        let &(offset, len) = self.index.get(&hash128(call_id))?;
        let file = self.file.as_ref()?;
        let mut bytes = vec![0u8; len as usize];
        read_exact_at(file, &mut bytes, offset).ok()?;
        decode(&bytes).filter(|t| t.call_id.as_deref() == Some(call_id))
    }

    /// Number of calls with a ticket.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no call has a ticket.
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
        assert!(s.contains("C1") && !s.contains("C2"));
        let path = dir.path().join(".tickets-by-call.partial");
        drop(s);
        assert!(!path.exists());
    }
}
