//! The phone directory of units and hotlines (name, phone, aliases) that
//! the accuracy norm checks every number an agent gives against.
//!
//! A unit is named in speech by other words than the directory's: a shorter
//! form (市自来水公司 → 自来水公司, 海州市人社局 → 人社局), the everyday name of
//! its kind (the water company is 自来水公司, 水务公司, 自来水厂 or 水司 whatever
//! the directory calls it), or a local name the directory file lists in its
//! optional `aliases` column. Each name therefore yields aliases: the name
//! without a leading 市/区/县/省 or city name (XX市), without a trailing
//! 热线/电话/中心/公司/集团, the official abbreviations ([`ABBREVIATIONS`]), the
//! everyday names of the unit's kind ([`EVERYDAY`]) and the file's aliases.
//! They go into one leftmost-longest automaton, so that 市公安局交警支队 names
//! the traffic police and not also 市公安局.
//!
//! Some aliases are also common nouns: 燃气 in 闻到燃气味, 自来水 in 自来水的问题,
//! 消防 in 消防通道. Such a *weak* alias (a bare name left after stripping
//! 公司/中心/热线 …, any alias of two characters, and the bare nouns of
//! [`EVERYDAY`]) names the unit only when a word that makes it one follows
//! ([`UNIT_CONTEXT`]: 的电话, 那边, 客服 …) or the number itself does
//! (拨打燃气2621234). Whether a number counts as given (a cue next to it)
//! still takes every alias, weak or not.

use std::collections::BTreeMap;
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
    /// Other names the directory file gives it (column `aliases` / 别名).
    pub aliases: Vec<String>,
}

/// An alias in the automaton: the entries it names and whether it is weak.
#[derive(Clone, Debug)]
struct Alias {
    owners: Vec<usize>,
    weak: bool,
}

/// A compiled directory.
#[derive(Clone, Debug)]
pub struct Directory {
    entries: Vec<Entry>,
    aliases: Vec<Alias>,
    automaton: Option<AhoCorasick>,
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
    ("医疗保障", "医保"),
    ("公安局", "公安"),
];

/// The everyday names of a kind of unit, whatever the directory calls it:
/// (words of the directory name that make a unit of the kind, names callers
/// and operators say for it, those of them that are also common nouns and
/// so weak). Markers are specific: 水务局 (the water bureau) is not the water
/// company, so 水务 alone is no marker.
pub(crate) const EVERYDAY: &[(&[&str], &[&str], &[&str])] = &[
    (
        &[
            "自来水",
            "供水",
            "供排水",
            "水务集团",
            "水务公司",
            "水务有限",
            "水业",
        ],
        &[
            "自来水公司",
            "自来水厂",
            "自来水集团",
            "水务公司",
            "水务集团",
            "供水公司",
            "供水集团",
            "水业公司",
            "水司",
        ],
        &["自来水", "供水"],
    ),
    (
        &["燃气", "煤气", "天然气"],
        &["燃气公司", "燃气集团", "煤气公司", "天然气公司"],
        &["燃气", "煤气", "天然气"],
    ),
    (
        &["供电", "电力", "电业局", "电网", "国网"],
        &[
            "供电公司",
            "供电局",
            "供电所",
            "电力公司",
            "电力局",
            "电业局",
            "国家电网",
            "电网公司",
            "国网",
        ],
        &["供电"],
    ),
    (
        &["热力", "供热", "供暖"],
        &["热力公司", "供热公司", "供暖公司", "暖气公司", "热力集团"],
        &["热力", "供热", "供暖"],
    ),
    (
        &["人社", "人力资源和社会保障", "人力资源社会保障"],
        &["人社局", "社保局", "劳动局", "人社部门"],
        &[],
    ),
    (
        &["医保", "医疗保障"],
        &["医保局", "医保中心", "医疗保障局", "医保部门"],
        &["医保"],
    ),
    (&["公积金"], &["公积金中心", "公积金管理中心"], &["公积金"]),
    (
        &["住建", "住房和城乡建设", "住房城乡建设"],
        &["住建局", "住建委", "建委", "建设局"],
        &[],
    ),
    (
        &["城管", "城市管理"],
        &["城管局", "城管委", "城管执法局", "城管部门"],
        &["城管"],
    ),
    (
        &["市场监管", "市场监督管理"],
        &["市场监管局", "市场监督管理局", "市监局", "工商局"],
        &[],
    ),
    (
        &["生态环境", "环境保护"],
        &["环保局", "生态环境局", "环境局"],
        &["环保"],
    ),
    (&["交通运输"], &["交通局", "交通运输局"], &[]),
    (&["税务"], &["税务局", "地税局", "国税局"], &[]),
    (&["教育局", "教育委员会", "教委"], &["教育局", "教委"], &[]),
    (
        &["卫健", "卫生健康", "卫生和计划生育"],
        &["卫健委", "卫健局", "卫生局"],
        &[],
    ),
    (
        &["交警", "交通警察"],
        &["交警支队", "交警大队", "交警队", "交警部门"],
        &["交警"],
    ),
    (&["信访"], &["信访局", "信访办", "信访部门"], &["信访"]),
    (&["民政"], &["民政局"], &[]),
    (&["自然资源"], &["自然资源局", "国土局", "国土资源局"], &[]),
    (
        &["不动产登记"],
        &["不动产登记中心", "不动产中心", "不动产登记处"],
        &[],
    ),
    (
        &["纪检", "纪委", "监察委"],
        &["纪委", "纪检委", "纪委监委", "纪检监察"],
        &[],
    ),
    (
        &["法律援助", "公共法律服务"],
        &[
            "法律援助热线",
            "法律援助中心",
            "法律服务热线",
            "公共法律服务热线",
            "法援热线",
        ],
        &["法律援助", "法援"],
    ),
    (
        &["市长热线", "政务服务便民热线"],
        &[
            "市长热线",
            "政务服务热线",
            "便民服务热线",
            "政务热线",
            "便民热线",
        ],
        &[],
    ),
    (
        &["火警"],
        &["火警电话", "消防救援", "消防队"],
        &["火警", "消防"],
    ),
    (&["急救"], &["急救中心", "急救电话", "急救站"], &["急救"]),
];

/// What may follow a weak alias for it to name the unit (in clean text,
/// after an optional 的): 燃气的电话, 自来水那边, 供电服务热线.
pub(crate) const UNIT_CONTEXT: &[&str] = &[
    "电话",
    "号码",
    "热线",
    "客服",
    "服务热线",
    "服务电话",
    "抢修",
    "报修",
    "那边",
    "这边",
    "部门",
    "值班",
    "联系方式",
];

/// The separators of the `aliases` column (水务公司、水司 or 水务公司|水司 …).
const ALIAS_SEPARATORS: &[char] = &['、', ';', '；', '|', '，', ',', '/', '／'];

/// (alias, weak) of a directory name: its derived forms and its kind's
/// everyday names. A name the file gives (an alias column entry) is strong.
fn aliases_of(name: &str) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    let mut variants = vec![name.to_string()];
    for (long, short) in ABBREVIATIONS {
        let v: Vec<String> = variants
            .iter()
            .filter(|n| n.contains(long))
            .map(|n| n.replace(long, short))
            .collect();
        variants.extend(v);
    }
    for v in &variants {
        for (a, weak) in aliases_of_one(v) {
            add_alias(&mut out, a, weak);
        }
    }
    let clean = NormText::new(name).clean;
    for (markers, names, weak_names) in EVERYDAY {
        if markers.iter().any(|m| clean.contains(m)) {
            for n in *names {
                add_alias(
                    &mut out,
                    (*n).to_string(),
                    n.chars().count() <= 2 && !STRONG_SHORT.contains(n),
                );
            }
            for n in *weak_names {
                add_alias(&mut out, (*n).to_string(), true);
            }
        }
    }
    out
}

/// Suffixes of a name that many units or lines share and that name none of
/// them (公共法律服务热线 → 服务热线, 纪检监察举报电话 → 举报电话): 供电服务热线 or
/// 价格举报电话 are not the legal-aid or the discipline line.
const GENERIC_TAILS: &[&str] = &[
    "服务热线",
    "服务电话",
    "举报电话",
    "举报热线",
    "投诉电话",
    "投诉热线",
    "客服电话",
    "客服热线",
    "热线电话",
    "人民政府",
    "管理中心",
    "服务中心",
    "管理局",
    "委员会",
    "办公室",
];

/// Two-character everyday names that only ever name the unit.
const STRONG_SHORT: &[&str] = &["水司", "国网", "建委", "纪委", "教委"];

/// Adds an alias; one that is strong in any of its forms is strong.
fn add_alias(out: &mut BTreeMap<String, bool>, alias: String, weak: bool) {
    let e = out.entry(alias).or_insert(weak);
    *e = *e && weak;
}

fn aliases_of_one(name: &str) -> BTreeMap<String, bool> {
    let clean = NormText::new(name).clean;
    let mut out = BTreeMap::new();
    let mut forms = vec![clean.clone()];
    for prefix in ["市", "省", "区", "县"] {
        if let Some(rest) = clean.strip_prefix(prefix) {
            forms.push(rest.to_string());
        }
    }
    // The name without the city's name in front (江城自来水公司 → 自来水公司):
    // every suffix of four or more characters, and what follows a city
    // name of two characters and 市 or 县 (海州市人社局 → 人社局).
    let chars: Vec<char> = clean.chars().collect();
    for k in 1..chars.len() {
        if chars.len() - k >= 4 {
            forms.push(chars[k..].iter().collect());
        }
    }
    if chars.len() >= 5 && matches!(chars[2], '市' | '县') {
        let rest: String = chars[3..].iter().collect();
        forms.push(rest.strip_prefix('市').unwrap_or(&rest).to_string());
        forms.push(rest);
    }
    // A generic tail is no name, nor is what is left of it (服务热线 → 服务).
    forms.retain(|f| !GENERIC_TAILS.contains(&f.as_str()));
    let mut stripped = Vec::new();
    for form in &forms {
        for suffix in ["热线", "电话", "中心", "公司", "集团"] {
            if let Some(rest) = form.strip_suffix(suffix) {
                stripped.push(rest.to_string());
            }
        }
    }
    for (f, weak) in forms
        .into_iter()
        .map(|f| (f, false))
        .chain(stripped.into_iter().map(|f| (f, true)))
    {
        let n = f.chars().count();
        if n >= 2 && !f.chars().all(|c| c.is_ascii_digit()) {
            let weak = weak || (n <= 2 && !STRONG_SHORT.contains(&f.as_str()));
            add_alias(&mut out, f, weak);
        }
    }
    out
}

/// Whether the clean text `after` a weak alias makes it a unit's name: a
/// word of [`UNIT_CONTEXT`] (after an optional 的), or the number itself.
fn weak_alias_named(after: &str) -> bool {
    let rest = after.strip_prefix('的').unwrap_or(after);
    rest.chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || crate::text::is_numeral(c))
        || UNIT_CONTEXT.iter().any(|w| rest.starts_with(w))
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
    /// Parses a `name,phone[,aliases]` CSV (header row required; the
    /// aliases column is optional); `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Directory, LexiconError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let err = |line: usize, message: String| LexiconError {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(crate::input::lines::LineCounted::new(text.as_bytes()));
        let headers = reader
            .headers()
            .map_err(|e| err(1, format!("读不了表头（cannot read the header: {e}）")))?
            .clone();
        let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
        let name_col = find(&["name", "名称", "单位", "单位名称"])
            .ok_or_else(|| err(1, "表头没有 name 列（单位名称），通讯录的表头应为 name,phone（the header has no `name` column）".into()))?;
        let phone_col = find(&["phone", "电话", "号码", "联系电话"])
            .ok_or_else(|| err(1, "表头没有 phone 列（电话），通讯录的表头应为 name,phone（the header has no `phone` column）".into()))?;
        let alias_col = find(&["aliases", "alias", "别名", "简称", "俗称"]);
        let mut entries = Vec::new();
        let mut rec = csv::StringRecord::new();
        loop {
            // The line the row starts on, right for CRLF files and rows
            // with quoted line breaks (see `input::lines`).
            match reader.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = reader.get_mut().line_of(e.position()) as usize;
                    return Err(err(line, format!("读不了这一行（cannot read the row: {e}）")));
                }
            }
            let line = reader.get_mut().line_of(rec.position()) as usize;
            let name = rec.get(name_col).unwrap_or("").trim();
            let phone_raw = rec.get(phone_col).unwrap_or("").trim();
            let alias_raw = alias_col.and_then(|c| rec.get(c)).unwrap_or("").trim();
            if name.is_empty() && phone_raw.is_empty() && alias_raw.is_empty() {
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
            let mut aliases = Vec::new();
            for a in alias_raw.split(ALIAS_SEPARATORS).map(str::trim) {
                if a.is_empty() {
                    continue;
                }
                let clean = NormText::new(a).clean;
                if clean.chars().count() < 2 || clean.chars().all(|c| c.is_ascii_digit()) {
                    return Err(err(
                        line,
                        format!(
                            "别名“{a}”太短或只有数字，单位的别名至少要两个字，请改掉或删去（alias \"{a}\" of field `aliases` is shorter than two characters or only digits）"
                        ),
                    ));
                }
                aliases.push(a.to_string());
            }
            entries.push(Entry {
                name: name.to_string(),
                phone,
                aliases,
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
        // alias -> (owners, weak), in a sorted map: the automaton's pattern
        // order, and so its answers, do not depend on the file's order.
        let mut map: BTreeMap<String, (Vec<usize>, bool)> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            let mut own = aliases_of(&e.name);
            for a in &e.aliases {
                // A name the file gives is taken as it is said, and with its
                // derived forms (水务集团 → 水务), as the unit's own name is.
                add_alias(&mut own, NormText::new(a).clean, false);
                for (d, weak) in aliases_of_one(a) {
                    add_alias(&mut own, d, weak);
                }
            }
            for (a, weak) in own {
                let slot = map.entry(a).or_insert_with(|| (Vec::new(), true));
                slot.0.push(i);
                slot.1 = slot.1 && weak;
            }
        }
        let mut patterns = Vec::with_capacity(map.len());
        let mut aliases = Vec::with_capacity(map.len());
        for (a, (owners, weak)) in map {
            patterns.push(a);
            aliases.push(Alias { owners, weak });
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        Directory {
            entries,
            aliases,
            automaton,
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

    /// The units named in a clean text, as (entry index, clean byte start,
    /// clean byte end), in the order they are named: the longest name at
    /// each place (市公安局交警支队 is the traffic police alone), a weak alias
    /// only where it names the unit (see the module's doc). An alias that
    /// several entries share names each of them.
    pub fn named_units(&self, clean: &str) -> Vec<(usize, usize, usize)> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let mut out: Vec<(usize, usize, usize)> = Vec::new();
        for m in ac.find_iter(clean) {
            let alias = &self.aliases[m.pattern().as_usize()];
            if alias.weak && !weak_alias_named(&clean[m.end()..]) {
                continue;
            }
            for &o in &alias.owners {
                if !out.iter().any(|x| x.0 == o) {
                    out.push((o, m.start(), m.end()));
                }
            }
        }
        out
    }

    /// Whether `clean` holds any alias of a unit, weak ones included: a
    /// unit's name next to a number is a cue that the number is given to
    /// call.
    pub fn names_a_unit(&self, clean: &str) -> bool {
        self.automaton.as_ref().is_some_and(|ac| ac.is_match(clean))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_drop_city_prefix_and_hotline_suffix() {
        let a = aliases_of("市自来水公司");
        assert!(a.contains_key("自来水公司"));
        let a = aliases_of("法律援助热线");
        assert!(a.contains_key("法律援助"));
        let a = aliases_of("江城自来水公司");
        assert!(a.contains_key("自来水公司") && a.contains_key("自来水"));
        let a = aliases_of("海州市公安局交通警察支队");
        assert!(a.contains_key("交警支队"), "{a:?}");
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

    fn named(d: &Directory, text: &str) -> Vec<String> {
        d.named_units(&NormText::new(text).clean)
            .into_iter()
            .map(|(i, _, _)| d.entries()[i].name.clone())
            .collect()
    }

    #[test]
    fn everyday_names_of_the_water_company_name_it() {
        // The directory calls it 海州市水务集团 or 市自来水公司; people say any of these.
        for dir in [
            "name,phone\n海州市水务集团,86123300\n海州市燃气公司,86334455\n",
            "name,phone\n市自来水公司,2618110\n市燃气公司,2621234\n",
        ] {
            let d = Directory::parse(dir, "d.csv").expect("directory");
            let water = &d.entries()[0].name;
            for t in [
                "自来水公司的电话",
                "水务公司的电话",
                "水务集团的电话",
                "自来水厂的电话",
                "水司的电话",
                "供水公司",
                "自来水那边",
                "自来水的电话",
            ] {
                assert_eq!(named(&d, t), vec![water.clone()], "{dir} {t}");
            }
            assert_eq!(named(&d, "煤气公司"), vec![d.entries()[1].name.clone()]);
        }
    }

    #[test]
    fn other_directory_names_of_the_utilities_are_recognised() {
        let d = Directory::parse(
            "name,phone\n江城市供排水有限公司,96116\n江城电力局,95598\n港华燃气,96777\n",
            "d.csv",
        )
        .expect("directory");
        assert_eq!(
            named(&d, "自来水公司的电话"),
            vec!["江城市供排水有限公司".to_string()]
        );
        assert_eq!(named(&d, "供电公司的电话"), vec!["江城电力局".to_string()]);
        assert_eq!(named(&d, "燃气公司的电话"), vec!["港华燃气".to_string()]);
    }

    #[test]
    fn everyday_names_of_other_kinds() {
        let d = Directory::builtin();
        for (t, unit) in [
            ("电力公司", "市供电公司"),
            ("供电局", "市供电公司"),
            ("国家电网", "市供电公司"),
            ("社保局", "市人社局"),
            ("劳动局", "市人社局"),
            ("工商局", "市市场监管局"),
            ("环保局", "市生态环境局"),
            ("交通局", "市交通运输局"),
            ("国土局", "市自然资源局"),
            ("信访办", "市信访局"),
            ("煤气公司", "市燃气公司"),
            ("天然气公司", "市燃气公司"),
        ] {
            assert_eq!(named(&d, t), vec![unit.to_string()], "{t}");
        }
    }

    #[test]
    fn common_nouns_are_not_units_without_a_word_that_makes_them_one() {
        let d = Directory::builtin();
        for t in [
            "闻到燃气味",
            "燃气泄漏",
            "自来水的问题",
            "自来水发黄",
            "供电不稳定",
            "消防通道被堵",
            "急救的时候",
            "水",
            "电",
            "停水停电",
            "水费电费",
        ] {
            assert_eq!(named(&d, t), Vec::<String>::new(), "{t}");
        }
        // The same words name the unit where a word that makes them one follows.
        assert_eq!(named(&d, "燃气的电话"), vec!["市燃气公司".to_string()]);
        assert_eq!(named(&d, "拨打燃气2621234"), vec!["市燃气公司".to_string()]);
        assert_eq!(named(&d, "供电服务热线"), vec!["市供电公司".to_string()]);
        // A tail many lines share names none of them.
        let d = Directory::parse(
            "name,phone\n公共法律服务热线,12348\n纪检监察举报电话,12388\n东城区人民政府,85201000\n",
            "d.csv",
        )
        .expect("directory");
        for t in ["服务热线", "价格举报电话", "人民政府", "供电服务热线"] {
            assert_eq!(named(&d, t), Vec::<String>::new(), "{t}");
        }
        assert_eq!(
            named(&d, "东城区人民政府"),
            vec!["东城区人民政府".to_string()]
        );
    }

    #[test]
    fn the_longest_name_wins_where_names_overlap() {
        let d = Directory::parse(
            "name,phone\n市公安局,2619110\n市公安局交警支队,2619122\n",
            "d.csv",
        )
        .expect("directory");
        assert_eq!(
            named(&d, "市公安局交警支队的电话"),
            vec!["市公安局交警支队".to_string()]
        );
        assert_eq!(
            named(&d, "交警大队的电话"),
            vec!["市公安局交警支队".to_string()]
        );
        assert_eq!(named(&d, "市公安局的电话"), vec!["市公安局".to_string()]);
    }

    #[test]
    fn a_city_name_before_a_short_name_is_dropped() {
        let d = Directory::parse(
            "name,phone\n海州市人力资源和社会保障局,87210012\n海州市医疗保障局,87368812\n",
            "d.csv",
        )
        .expect("directory");
        assert_eq!(
            named(&d, "人社局的电话"),
            vec!["海州市人力资源和社会保障局".to_string()]
        );
        assert_eq!(
            named(&d, "医保局的电话"),
            vec!["海州市医疗保障局".to_string()]
        );
    }

    #[test]
    fn the_aliases_column_names_the_unit() {
        for csv in [
            "name,phone,aliases\n江城水务,96655,江城自来水、老水厂|水司\n煤气站,96777,\n",
            "名称,电话,别名\n江城水务,96655,江城自来水;老水厂\n煤气站,96777,\n",
            "name,phone,aliases\n江城水务,96655,\"江城自来水,老水厂\"\n煤气站,96777\n",
        ] {
            let d = Directory::parse(csv, "d.csv").expect("directory");
            assert_eq!(d.entries()[0].phone, "96655");
            assert_eq!(
                named(&d, "老水厂的电话"),
                vec!["江城水务".to_string()],
                "{csv}"
            );
            assert_eq!(
                named(&d, "江城自来水电话"),
                vec!["江城水务".to_string()],
                "{csv}"
            );
        }
        // name,phone files keep working.
        let d = Directory::parse("name,phone\n江城水务,96655\n", "d.csv").expect("directory");
        assert_eq!(d.entries()[0].aliases, Vec::<String>::new());
    }

    #[test]
    fn a_one_character_alias_is_refused_with_its_line() {
        let e = Directory::parse(
            "name,phone,aliases\n甲单位,12345,\n乙单位,2618110,老乙、水\n",
            "d.csv",
        )
        .expect_err("too short");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("水"), "{}", e.message);
    }

    #[test]
    fn an_alias_two_units_share_names_both() {
        let d = Directory::parse(
            "name,phone\n法律援助热线,12348\n公共法律服务热线,12348\n",
            "d.csv",
        )
        .expect("directory");
        assert_eq!(named(&d, "法援热线").len(), 2);
    }

    #[test]
    fn bad_phone_names_line() {
        let e = Directory::parse("name,phone\n甲,12345\n乙,无\n", "d.csv").expect_err("bad");
        assert_eq!(e.line, 3);
    }

    /// Issue 17: line numbers counted records, not lines. A CRLF file (as
    /// Excel saves it), a blank line and a quoted name over two lines give
    /// the line the bad row starts on.
    #[test]
    fn crlf_blank_lines_and_quoted_breaks_give_the_right_line() {
        let lf = "name,phone\n甲,12345\n\n\"丙\n分部\",12346\n乙,无\n";
        for text in [lf.to_string(), lf.replace('\n', "\r\n")] {
            let e = Directory::parse(&text, "d.csv").expect_err("bad");
            assert_eq!(e.line, 6, "{text:?}");
        }
    }
}
