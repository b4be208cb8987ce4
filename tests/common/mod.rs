//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::Path;

/// The rows of a CSV file as maps column → value (BOM stripped).
#[allow(dead_code)] // Not every test binary uses both helpers.
pub fn table(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The header and rows of a CSV file written by hotline-qa, as text; the
/// file must start with the BOM the program writes for Excel.
#[allow(dead_code)] // Not every test binary uses both helpers.
pub fn header_and_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("{}: no BOM", path.display()));
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}
