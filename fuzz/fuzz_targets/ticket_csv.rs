//! Fuzzes the ticket reader: the input is a whole ticket CSV file (any
//! encoding), written to a scratch file because the reader takes a path.
//! Nothing may panic; every accepted row must carry the required fields.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use hotline_qa::input::tickets::read_file;
use hotline_qa::input::time::default_offset;
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    // One file per process: `cargo fuzz run -j N` runs N processes.
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("hotline-qa-fuzz-{}.csv", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("write the scratch file");
    // A file-level error (not a ticket table) is a defined outcome.
    let _ = read_file(path, None, default_offset(), &mut |row| match row {
        Ok(t) => {
            assert!(!t.ticket_id.is_empty() && !t.operator_id.is_empty());
            assert!(t.accepted_at.is_some());
            assert!(t.source.as_ref().is_some_and(|s| s.line >= 2));
        }
        Err(r) => assert!(!r.reason.is_empty()),
    });
});
