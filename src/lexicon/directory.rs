//! The phone directory of units and hotlines (name, phone) that the
//! accuracy norm checks every number an agent gives against.
//!
//! A unit may be named in speech by a shorter form than the directory's
//! (市自来水公司 → 自来水公司), so each name also yields aliases without a
//! leading 市/区/县/省 and without a trailing 热线/电话; all aliases of all
//! units go into one Aho-Corasick automaton.

use std::collections::BTreeSet;
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::lexicon::LexiconError;
use crate::text::{digits, NormText};

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The unit or hotline.
    pub name: String,
    /// Its number, digits only.
    pub phone: String,
}

/// A compiled directory.
#[derive(Clone, Debug)]
pub struct Directory {
    entries: Vec<Entry>,
    alias_owner: Vec<usize>,
    aliases: Option<AhoCorasick>,
}

/// The built-in directory (`lexicons/directory.csv`).
pub const BUILTIN: &str = include_str!("../../lexicons/directory.csv");

/// Official names and the short forms people say (交通警察支队 → 交警支队).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("交通警察", "交警"),
    ("人力资源和社会保障", "人社"),
    ("住房和城乡建设", "住建"),
    ("市场监督管理", "市场监管"),
    ("城市管理", "城管"),
    ("生态环境", "环保"),
    ("卫生健康委员会", "卫健委"),
    ("自然资源和规划", "自然资源"),
    ("住房公积金管理中心", "公积金中心"),
    ("公安局", "公安"),
];

fn aliases_of(name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut variants = vec![name.to_string()];
    for (long, short) in ABBREVIATIONS {
        let v: Vec<String> = variants
            .iter()
            .filter(|n| n.contains(long))
            .map(|n| n.replace(long, short))
            .collect();
        variants.extend(v);
    }
    for v in variants {
        out.extend(aliases_of_one(&v));
    }
    out
}

fn aliases_of_one(name: &str) -> BTreeSet<String> {
    let clean = NormText::new(name).clean;
    let mut out = BTreeSet::new();
    let mut forms = vec![clean.clone()];
    for prefix in ["市", "省", "区", "县"] {
        if let Some(rest) = clean.strip_prefix(prefix) {
            forms.push(rest.to_string());
        }
    }
    // The name without the city's name in front (江城自来水公司 → 自来水公司):
    // every suffix of four or more characters.
    let chars: Vec<char> = clean.chars().collect();
    for k in 1..chars.len() {
        if chars.len() - k >= 4 {
            forms.push(chars[k..].iter().collect());
        }
    }
    for form in forms.clone() {
        for suffix in ["热线", "电话", "中心", "公司", "集团"] {
            if let Some(rest) = form.strip_suffix(suffix) {
                forms.push(rest.to_string());
            }
        }
    }
    for f in forms {
        if f.chars().count() >= 2 && !f.chars().all(|c| c.is_ascii_digit()) {
            out.insert(f);
        }
    }
    out
}

/// Two numbers are the same line when their digits are equal, or when one
/// is the other with a leading area code (0571-2618110 and 2618110).
pub fn same_number(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    short.len() >= 7
        && long.starts_with('0')
        && long.ends_with(short)
        && (3..=4).contains(&(long.len() - short.len()))
}

impl Directory {
    /// Parses a `name,phone` CSV (header row required); `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Directory, LexiconError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let err = |line: usize, message: String| LexiconError {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(1, format!("读不了表头（cannot read the header: {e}）")))?
            .clone();
        let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
        let name_col = find(&["name", "名称", "单位", "单位名称"])
            .ok_or_else(|| err(1, "表头没有 name 列（单位名称），通讯录的表头应为 name,phone（the header has no `name` column）".into()))?;
        let phone_col = find(&["phone", "电话", "号码", "联系电话"])
            .ok_or_else(|| err(1, "表头没有 phone 列（电话），通讯录的表头应为 name,phone（the header has no `phone` column）".into()))?;
        let mut entries = Vec::new();
        for (i, rec) in reader.records().enumerate() {
            let line = i + 2;
            let rec =
                rec.map_err(|e| err(line, format!("读不了这一行（cannot read the row: {e}）")))?;
            let name = rec.get(name_col).unwrap_or("").trim();
            let phone_raw = rec.get(phone_col).unwrap_or("").trim();
            if name.is_empty() && phone_raw.is_empty() {
                continue;
            }
            if name.is_empty() {
                return Err(err(
                    line,
                    "name（单位名称）是空的，请填上或删掉这一行（field `name` is empty）".into(),
                ));
            }
            let phone = digits(phone_raw);
            if phone.len() < 3 {
                return Err(err(
                    line,
                    format!("phone（电话）“{phone_raw}”不是电话号码，请改正（not a phone number）"),
                ));
            }
            entries.push(Entry {
                name: name.to_string(),
                phone,
            });
        }
        Ok(Directory::from_entries(entries))
    }

    /// Reads a directory file.
    pub fn load(path: &Path) -> Result<Directory, LexiconError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LexiconError {
            source_name: name.clone(),
            line: 0,
            message: format!("读不了通讯录文件：{}", crate::messages::io_zh(&e)),
        })?;
        let text = crate::input::decode_text(&bytes);
        Directory::parse(&text, &name)
    }

    /// The built-in directory.
    pub fn builtin() -> Directory {
        Directory::parse(BUILTIN, "built-in lexicons/directory.csv")
            .unwrap_or_else(|_| Directory::from_entries(Vec::new()))
    }

    /// Builds a directory from entries.
    pub fn from_entries(entries: Vec<Entry>) -> Directory {
        let mut patterns = Vec::new();
        let mut alias_owner = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            for a in aliases_of(&e.name) {
                patterns.push(a);
                alias_owner.push(i);
            }
        }
        let aliases = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .ok()
        };
        Directory {
            entries,
            alias_owner,
            aliases,
        }
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Indexes of the entries whose number is `phone` (digits).
    pub fn owners_of(&self, phone: &str) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| same_number(&self.entries[i].phone, phone))
            .collect()
    }

    /// True when `phone` is a public directory number.
    pub fn contains_number(&self, phone: &str) -> bool {
        self.entries.iter().any(|e| same_number(&e.phone, phone))
    }

    /// The units named in a clean text, as (entry index, clean byte start, clean byte end).
    pub fn named_units(&self, clean: &str) -> Vec<(usize, usize, usize)> {
        let Some(ac) = &self.aliases else {
            return Vec::new();
        };
        let mut out: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(clean)
            .map(|m| (self.alias_owner[m.pattern().as_usize()], m.start(), m.end()))
            .collect();
        out.sort_unstable();
        out.dedup_by_key(|m| m.0);
        out
    }

    /// Whether `clean` names any unit: `!named_units(clean).is_empty()`
    /// without building the list.
    pub fn names_a_unit(&self, clean: &str) -> bool {
        self.aliases
            .as_ref()
            .is_some_and(|ac| ac.find_overlapping_iter(clean).next().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_drop_city_prefix_and_hotline_suffix() {
        let a = aliases_of("市自来水公司");
        assert!(a.contains("自来水公司"));
        let a = aliases_of("法律援助热线");
        assert!(a.contains("法律援助"));
        let a = aliases_of("江城自来水公司");
        assert!(a.contains("自来水公司") && a.contains("自来水"));
        let a = aliases_of("海州市公安局交通警察支队");
        assert!(a.contains("交警支队"), "{a:?}");
    }

    #[test]
    fn area_code_does_not_change_the_number() {
        assert!(same_number("05712618110", "2618110"));
        assert!(!same_number("2618111", "2618110"));
        assert!(!same_number("110", "2618110"));
    }

    #[test]
    fn builtin_directory_parses() {
        let d = Directory::parse(BUILTIN, "b").expect("built-in directory");
        assert!(d.contains_number("12345"));
        let units = d.named_units(&NormText::new("自来水公司的电话").clean);
        assert_eq!(units.len(), 1);
        assert_eq!(d.entries()[units[0].0].name, "市自来水公司");
    }

    #[test]
    fn bad_phone_names_line() {
        let e = Directory::parse("name,phone\n甲,12345\n乙,无\n", "d.csv").expect_err("bad");
        assert_eq!(e.line, 3);
    }
}
