//! Lexicons: the word lists the norms match against, loaded and compiled
//! once per run.
//!
//! A lexicon is a plain UTF-8 text file, one entry a line (see
//! `lexicons/README.md`):
//!
//! ```text
//! # a comment
//! 喂养        <- no prefix: a literal, matched ignoring punctuation, spaces and ASCII case
//! !投喂       <- an exclusion context: a hit inside an occurrence of it does not count
//! re:说完了?没有   <- a regular expression over the original utterance text
//! !re:吵.{0,15}听不见  <- an exclusion context written as a regular expression
//! ```
//!
//! The defaults are embedded in the binary; the scorecard can point any of
//! them at another file. Literals are matched with Aho-Corasick automata,
//! so the cost of a scan does not grow with the number of entries: one per
//! lexicon ([`Lexicon::find`], for any text), and one over every lexicon
//! ([`Lexicons::scan`]) with which the norms scan each utterance once
//! (`CallView::find`), not once per lexicon.

use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;

use crate::text::{char_bit, CleanText, NormText};

pub mod directory;

/// A lexicon file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}{}：{message}", if *.line > 0 { format!(" 第 {} 行", .line) } else { String::new() })]
pub struct LexiconError {
    /// The file (or `built-in NAME`).
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

/// One hit of a lexicon entry in an utterance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The entry as written in the lexicon (borrowed from the lexicon: a
    /// hit costs no allocation, and no shared count that the scoring
    /// threads would all write).
    pub entry: &'a str,
    /// Byte range in the original utterance text.
    pub start: usize,
    /// End of the byte range in the original text.
    pub end: usize,
}

/// A compiled lexicon.
#[derive(Clone, Debug)]
pub struct Lexicon {
    entries: Vec<Box<str>>,
    /// The entries' clean forms, as the automaton holds them.
    clean_entries: Vec<String>,
    ascii_edges: Vec<(bool, bool)>,
    literals: Option<AhoCorasick>,
    exclusions: Option<AhoCorasick>,
    exclusion_regexes: Vec<Regex>,
    regexes: Vec<(Box<str>, Search, Gate)>,
}

/// What a text must hold for a regular expression to have a chance: the
/// regex runs only on the texts that pass, which spares most regex scans
/// (a search costs about as much as cleaning the text).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Gate {
    /// For each literal a match may start with ([`start_masks`]), the
    /// [`char_bit`]s of its chars: a text that lacks a char of every one of
    /// them holds no match. Empty: none known, every text passes.
    starts: Box<[u64]>,
    /// A char every match holds ([`required_literal`]): its bit, then the
    /// text itself, are checked.
    char: Option<char>,
}

impl Gate {
    fn of(pattern: &str) -> Gate {
        Gate {
            starts: start_masks(pattern).unwrap_or_default().into(),
            char: required_literal(pattern),
        }
    }

    /// Whether `original`, whose clean form is `norm`, may hold a match.
    #[inline]
    fn passes(&self, original: &str, norm: CleanText<'_>) -> bool {
        (self.starts.is_empty() || self.starts.iter().any(|&m| norm.may_contain_all(m)))
            && self
                .char
                .is_none_or(|c| norm.may_contain_all(char_bit(c)) && original.contains(c))
    }
}

/// For each literal that a match of `pattern` may start with, the bits of
/// its chars, when such literals are known: regex-syntax's prefix
/// extraction, whose contract is that every match starts with one of them
/// ([?？] → ?, ？; (?:听不[见到]|没听[见到]) → 听不见, 听不到, 没听见, 没听到;
/// 这是规定.{0,4}没办法 → 这是规定). None when a match may start with any
/// char (a large class, an anchor or an empty branch first).
fn start_masks(pattern: &str) -> Option<Vec<u64>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::parse(pattern).ok()?;
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() {
        return None;
    }
    let mut masks = literals
        .iter()
        .map(|literal| {
            let bytes = literal.as_bytes();
            // A literal may be cut inside a char: its whole chars count.
            let whole = match std::str::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
            };
            let bits = whole.chars().fold(0, |b, c| b | char_bit(c));
            (bits != 0).then_some(bits)
        })
        .collect::<Option<Vec<u64>>>()?;
    // A mask that holds another adds nothing (a text with all its chars has
    // the other's): 工号码为, 工号码, 工号 → 工号; 你说的 → 你的.
    masks.sort_unstable_by_key(|m| (m.count_ones(), *m));
    masks.dedup();
    let mut kept: Vec<u64> = Vec::with_capacity(masks.len());
    for m in masks {
        if !kept.iter().any(|&k| k & !m == 0) {
            kept.push(m);
        }
    }
    Some(kept)
}

/// How a `re:` entry is searched.
#[derive(Clone, Debug)]
enum Search {
    /// By the regex engine.
    Regex(Regex),
    /// A pattern that is one class of a few chars ([?？]): each occurrence
    /// of one of them is a match, as the regex engine would find it, without
    /// the engine's set-up for every text.
    Chars(Box<[char]>),
}

impl Search {
    fn new(re: Regex, pattern: &str) -> Search {
        use regex_syntax::hir::{Class, HirKind};
        if let Ok(hir) = regex_syntax::parse(pattern) {
            if let HirKind::Class(Class::Unicode(class)) = hir.kind() {
                let chars: Vec<char> = class
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .take(9)
                    .collect();
                if chars.len() <= 8 {
                    return Search::Chars(chars.into());
                }
            }
        }
        Search::Regex(re)
    }

    /// Each non-empty match in `text`, as (start, end), in order.
    fn each(&self, text: &str, mut f: impl FnMut(usize, usize)) {
        match self {
            Search::Regex(re) => {
                for m in re.find_iter(text) {
                    if m.start() < m.end() {
                        f(m.start(), m.end());
                    }
                }
            }
            Search::Chars(chars) => {
                for (i, c) in text.char_indices() {
                    if chars.contains(&c) {
                        f(i, i + c.len_utf8());
                    }
                }
            }
        }
    }
}

/// A plain CJK character that every match of `pattern` contains, when one
/// can be seen without parsing the pattern: the first CJK character outside
/// any group or class, not followed by a quantifier, in a pattern without a
/// top-level `|` (喂(?:…) → 喂; (?:^|[\p{P}\s])滚… → 滚; [你您]自己去… → 自).
/// The pattern then runs only on utterances holding that character, which
/// spares most regex scans.
fn required_literal(pattern: &str) -> Option<char> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut depth = 0i32;
    let mut in_class = false;
    let mut found = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            '|' if !in_class && depth == 0 => return None,
            _ if !in_class
                && depth == 0
                && found.is_none()
                && ('\u{4e00}'..='\u{9fff}').contains(&c) =>
            {
                let quantified = matches!(chars.get(i + 1), Some('?' | '*' | '{'));
                if !quantified {
                    found = Some(c);
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

fn is_ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

impl Lexicon {
    /// Parses and compiles a lexicon; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Lexicon, LexiconError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries = Vec::new();
        let mut clean_entries = Vec::new();
        let mut ascii_edges = Vec::new();
        let mut exclusions = Vec::new();
        let mut regexes = Vec::new();
        let mut exclusion_regexes = Vec::new();
        let err = |line: usize, message: String| LexiconError {
            source_name: source_name.to_string(),
            line,
            message,
        };
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(pattern) = line.strip_prefix("re:") {
                let pattern = pattern.trim();
                let re = Regex::new(pattern).map_err(|e| {
                    err(
                        i + 1,
                        format!("正则表达式 `{pattern}` 写错了，请改正（invalid regular expression: {e}）"),
                    )
                })?;
                regexes.push((pattern.into(), Search::new(re, pattern), Gate::of(pattern)));
            } else if let Some(pattern) = line.strip_prefix("!re:") {
                let pattern = pattern.trim();
                let re = Regex::new(pattern).map_err(|e| {
                    err(
                        i + 1,
                        format!("正则表达式 `{pattern}` 写错了，请改正（invalid regular expression: {e}）"),
                    )
                })?;
                exclusion_regexes.push(re);
            } else if let Some(ex) = line.strip_prefix('!') {
                let clean = NormText::new(ex.trim()).clean;
                if clean.is_empty() {
                    return Err(err(
                        i + 1,
                        format!("排除项 `{line}` 里没有汉字、字母或数字，请删掉这一行（exclusion has no letters or digits）"),
                    ));
                }
                exclusions.push(clean);
            } else {
                let clean = NormText::new(line).clean;
                if clean.is_empty() {
                    return Err(err(
                        i + 1,
                        format!("词条 `{line}` 里没有汉字、字母或数字，请删掉这一行（entry has no letters or digits）"),
                    ));
                }
                let first = clean.chars().next().is_some_and(is_ascii_word);
                let last = clean.chars().last().is_some_and(is_ascii_word);
                ascii_edges.push((first, last));
                entries.push(Box::from(line));
                clean_entries.push(clean);
            }
        }
        let build = |patterns: &[String], kind: MatchKind| {
            AhoCorasick::builder()
                .match_kind(kind)
                .kind(Some(AhoCorasickKind::DFA))
                .build(patterns)
                .map_err(|e| {
                    err(
                        0,
                        format!(
                            "词表无法编译，可能太大，请减少词条（cannot compile the lexicon: {e}）"
                        ),
                    )
                })
        };
        let literals = if clean_entries.is_empty() {
            None
        } else {
            Some(build(&clean_entries, MatchKind::LeftmostLongest)?)
        };
        let clean_entries_kept = clean_entries;
        let exclusions = if exclusions.is_empty() {
            None
        } else {
            Some(build(&exclusions, MatchKind::Standard)?)
        };
        Ok(Lexicon {
            entries,
            clean_entries: clean_entries_kept,
            ascii_edges,
            literals,
            exclusions,
            exclusion_regexes,
            regexes,
        })
    }

    /// Reads and compiles a lexicon file.
    pub fn load(path: &Path) -> Result<Lexicon, LexiconError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LexiconError {
            source_name: name.clone(),
            line: 0,
            message: format!("读不了词表文件：{}", crate::messages::io_zh(&e)),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| LexiconError {
            source_name: name.clone(),
            line: 0,
            message: format!("词表文件不是 UTF-8 编码，请另存为 UTF-8（not UTF-8 text: {e}）"),
        })?;
        Lexicon::parse(&text, &name)
    }

    /// The literal entries as written and their clean forms, in file
    /// order (the fuzzy match of the scorecard's rules aligns them).
    pub fn literals(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries
            .iter()
            .zip(&self.clean_entries)
            .map(|(e, c)| (&**e, c.as_str()))
    }

    /// Number of literal and pattern entries.
    pub fn len(&self) -> usize {
        self.entries.len() + self.regexes.len()
    }

    /// True when the lexicon has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every hit in `original` (whose clean form is `norm`), in text order,
    /// with exclusion contexts applied.
    pub fn find(&self, original: &str, norm: &NormText) -> Vec<Hit<'_>> {
        self.find_clean(original, norm.view())
    }

    /// As [`Lexicon::find`], with the clean form borrowed from a call's
    /// shared buffers (`CallView::texts`): the scorecard's own rules search
    /// with it, without cleaning the utterance again.
    pub fn find_clean(&self, original: &str, norm: CleanText<'_>) -> Vec<Hit<'_>> {
        let mut hits = Vec::new();
        if let Some(ac) = &self.literals {
            for m in ac.find_iter(norm.clean) {
                self.literal_hit(
                    m.pattern().as_usize(),
                    m.start(),
                    m.end(),
                    original,
                    norm,
                    &mut hits,
                );
            }
        }
        self.finish(original, norm, hits)
    }

    /// As [`Lexicon::find`], with the literal matches already found by
    /// [`Lexicons::scan`]: every occurrence of every entry (`(entry, start,
    /// end)` in the clean text), of which the leftmost-longest ones are
    /// taken, as this lexicon's own automaton would.
    pub fn find_scanned(
        &self,
        original: &str,
        norm: CleanText<'_>,
        all: &[ScanMatch],
    ) -> Vec<Hit<'_>> {
        let mut hits = Vec::new();
        let mut end = 0;
        // `all` is sorted by start, then longest first, then entry.
        for m in all {
            if (m.start as usize) < end {
                continue;
            }
            end = m.end as usize;
            self.literal_hit(
                m.entry as usize,
                m.start as usize,
                end,
                original,
                norm,
                &mut hits,
            );
        }
        self.finish(original, norm, hits)
    }

    /// A literal match at clean bytes `start..end`, kept unless an ASCII
    /// word goes on past its edge (OK in OKR).
    fn literal_hit<'a>(
        &'a self,
        idx: usize,
        start: usize,
        end: usize,
        original: &str,
        norm: CleanText<'_>,
        hits: &mut Vec<Hit<'a>>,
    ) {
        let (start, end) = norm.original_span(start, end);
        let (first_ascii, last_ascii) = self.ascii_edges[idx];
        if first_ascii
            && original[..start]
                .chars()
                .next_back()
                .is_some_and(is_ascii_word)
        {
            return;
        }
        if last_ascii && original[end..].chars().next().is_some_and(is_ascii_word) {
            return;
        }
        hits.push(Hit {
            entry: &self.entries[idx],
            start,
            end,
        });
    }

    /// The regular expressions, then the exclusion contexts, then order.
    fn finish<'a>(
        &'a self,
        original: &str,
        norm: CleanText<'_>,
        mut hits: Vec<Hit<'a>>,
    ) -> Vec<Hit<'a>> {
        for (pattern, search, gate) in &self.regexes {
            if gate.passes(original, norm) {
                search.each(original, |start, end| {
                    hits.push(Hit {
                        entry: pattern,
                        start,
                        end,
                    })
                });
            }
        }
        if hits.is_empty() {
            return hits;
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if let Some(ex) = &self.exclusions {
            spans.extend(
                ex.find_overlapping_iter(norm.clean)
                    .map(|m| norm.original_span(m.start(), m.end())),
            );
        }
        for re in &self.exclusion_regexes {
            spans.extend(re.find_iter(original).map(|m| (m.start(), m.end())));
        }
        if !spans.is_empty() {
            hits.retain(|h| !spans.iter().any(|&(s, e)| s <= h.start && h.end <= e));
        }
        hits.sort_by_key(|h| (h.start, h.end));
        hits.dedup_by(|a, b| a.start == b.start && a.end == b.end);
        hits
    }

    /// True when `original` has at least one hit.
    pub fn is_match(&self, original: &str, norm: &NormText) -> bool {
        !self.find(original, norm).is_empty()
    }
}

/// The lexicons a scorecard uses, by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexiconKind {
    /// Internet slang and over-casual words (courtesy).
    Slang,
    /// Addressing the caller as 你 (courtesy), with 你们 excluded.
    AddressNi,
    /// Forbidden phrases (taboo).
    Forbidden,
    /// Blaming, scolding, mocking the caller (taboo).
    Blame,
    /// Insults: red line (taboo).
    Insults,
    /// A caller asking to repeat / saying they cannot hear (clarity).
    RepeatRequests,
    /// An agent asking the caller to wait (attitude).
    WaitRequests,
    /// Question words (communication).
    Questions,
    /// Litigation, economic disputes, police/court matters in the caller's words (process).
    LegalMatters,
    /// The channels an agent points such callers to (process).
    LegalChannels,
    /// Cues that a number is a phone number to call (accuracy).
    PhoneCues,
    /// Contexts where a number is not a phone number to call (accuracy).
    NotPhone,
}

impl LexiconKind {
    /// The automaton this lexicon is scanned with: 0 for the lexicons the
    /// norms look for in the caller's words (every caller utterance is
    /// scanned for repeat requests), 1 for the rest, which are looked for
    /// in the agent's. Two small automata instead of one large one: a
    /// caller utterance is not run through the agent's 300 entries, and
    /// each automaton's table stays in the cache.
    pub fn scan_group(self) -> usize {
        match self {
            LexiconKind::RepeatRequests | LexiconKind::LegalMatters => 0,
            _ => 1,
        }
    }

    /// Every lexicon, in the order the config lists them.
    pub const ALL: [LexiconKind; 12] = [
        LexiconKind::Slang,
        LexiconKind::AddressNi,
        LexiconKind::Forbidden,
        LexiconKind::Blame,
        LexiconKind::Insults,
        LexiconKind::RepeatRequests,
        LexiconKind::WaitRequests,
        LexiconKind::Questions,
        LexiconKind::LegalMatters,
        LexiconKind::LegalChannels,
        LexiconKind::PhoneCues,
        LexiconKind::NotPhone,
    ];

    /// The config key under `[lexicons]`, and the file's stem.
    pub fn key(self) -> &'static str {
        match self {
            LexiconKind::Slang => "slang",
            LexiconKind::AddressNi => "address_ni",
            LexiconKind::Forbidden => "forbidden",
            LexiconKind::Blame => "blame",
            LexiconKind::Insults => "insults",
            LexiconKind::RepeatRequests => "repeat_requests",
            LexiconKind::WaitRequests => "wait_requests",
            LexiconKind::Questions => "questions",
            LexiconKind::LegalMatters => "legal_matters",
            LexiconKind::LegalChannels => "legal_channels",
            LexiconKind::PhoneCues => "phone_cues",
            LexiconKind::NotPhone => "not_phone",
        }
    }

    /// The built-in text of the lexicon.
    pub fn builtin(self) -> &'static str {
        match self {
            LexiconKind::Slang => include_str!("../../lexicons/slang.txt"),
            LexiconKind::AddressNi => include_str!("../../lexicons/address_ni.txt"),
            LexiconKind::Forbidden => include_str!("../../lexicons/forbidden.txt"),
            LexiconKind::Blame => include_str!("../../lexicons/blame.txt"),
            LexiconKind::Insults => include_str!("../../lexicons/insults.txt"),
            LexiconKind::RepeatRequests => include_str!("../../lexicons/repeat_requests.txt"),
            LexiconKind::WaitRequests => include_str!("../../lexicons/wait_requests.txt"),
            LexiconKind::Questions => include_str!("../../lexicons/questions.txt"),
            LexiconKind::LegalMatters => include_str!("../../lexicons/legal_matters.txt"),
            LexiconKind::LegalChannels => include_str!("../../lexicons/legal_channels.txt"),
            LexiconKind::PhoneCues => include_str!("../../lexicons/phone_cues.txt"),
            LexiconKind::NotPhone => include_str!("../../lexicons/not_phone.txt"),
        }
    }
}

/// One occurrence of a lexicon entry in an utterance's clean text, found
/// by [`Lexicons::scan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScanMatch {
    /// The lexicon (index in [`LexiconKind::ALL`]).
    pub kind: u8,
    /// Byte offset in the clean text.
    pub start: u32,
    /// End of the match in the clean text.
    pub end: u32,
    /// The entry's index in its lexicon.
    pub entry: u32,
}

/// All lexicons of a scorecard, compiled.
#[derive(Clone, Debug)]
pub struct Lexicons {
    items: Vec<Lexicon>,
    /// The literal entries of the lexicons of each scan group (see
    /// [`LexiconKind::scan_group`]) in one automaton, so that an utterance
    /// is scanned once per group instead of once per lexicon; pattern id →
    /// (lexicon, entry).
    combined: [Option<Combined>; SCAN_GROUPS],
}

/// One scan group's automaton, and pattern id → (lexicon, entry).
#[derive(Clone, Debug)]
struct Combined {
    ac: AhoCorasick,
    owners: Vec<(u8, u32)>,
    /// When the group's entries use at most 255 distinct characters, the
    /// automaton runs over one token per character instead of over UTF-8
    /// bytes (a third of the steps for Chinese text).
    tokens: Option<Tokens>,
}

/// Characters as one-byte tokens: 1–255 for the characters the entries
/// use, 0 for every other. An entry's characters each have their own
/// token and 0 is in no entry, so the entries match the token string
/// exactly where they match the text.
#[derive(Clone, Debug)]
struct Tokens {
    /// U+4E00..=U+9FFF (the CJK block; the bulk of the text).
    cjk: Box<[u8]>,
    /// ASCII.
    ascii: [u8; 128],
    /// Any other character of an entry, sorted.
    other: Vec<(char, u8)>,
}

impl Tokens {
    /// Tokens for the characters of `patterns`, or None beyond 255 of them.
    fn new(patterns: &[&str]) -> Option<Tokens> {
        let mut chars: Vec<char> = patterns.iter().flat_map(|p| p.chars()).collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.len() > 255 {
            return None;
        }
        let mut t = Tokens {
            cjk: vec![0; 0x9FFF - 0x4E00 + 1].into_boxed_slice(),
            ascii: [0; 128],
            other: Vec::new(),
        };
        for (i, &c) in chars.iter().enumerate() {
            let token = (i + 1) as u8;
            let u = c as usize;
            if (0x4E00..=0x9FFF).contains(&u) {
                t.cjk[u - 0x4E00] = token;
            } else if u < 128 {
                t.ascii[u] = token;
            } else {
                t.other.push((c, token));
            }
        }
        Some(t)
    }

    fn of(&self, c: char) -> u8 {
        let u = c as usize;
        if (0x4E00..=0x9FFF).contains(&u) {
            self.cjk[u - 0x4E00]
        } else if u < 128 {
            self.ascii[u]
        } else {
            self.other
                .binary_search_by_key(&c, |&(k, _)| k)
                .map_or(0, |i| self.other[i].1)
        }
    }

    /// `text` as tokens, with each character's byte offset (and the
    /// text's length after the last).
    fn encode(&self, text: &str, tokens: &mut Vec<u8>, offsets: &mut Vec<u32>) {
        tokens.clear();
        offsets.clear();
        for (i, c) in text.char_indices() {
            tokens.push(self.of(c));
            offsets.push(i as u32);
        }
        offsets.push(text.len() as u32);
    }

    /// `chars` as tokens (a clean text's chars, kept in its map when it
    /// was cleaned: no UTF-8 decoding, and one reservation).
    fn encode_chars(&self, chars: impl ExactSizeIterator<Item = char>, tokens: &mut Vec<u8>) {
        tokens.clear();
        tokens.extend(chars.map(|c| self.of(c)));
    }
}

impl Combined {
    /// The automaton of a group's clean entries; over tokens when `tokens`
    /// allows and the entries use at most 255 characters.
    fn new(
        patterns: &[&str],
        owners: Vec<(u8, u32)>,
        tokens: bool,
    ) -> Result<Combined, LexiconError> {
        let tokens = if tokens { Tokens::new(patterns) } else { None };
        let builder = {
            let mut b = AhoCorasick::builder();
            b.match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA));
            b
        };
        let built = match &tokens {
            Some(t) => builder.build(
                patterns
                    .iter()
                    .map(|p| p.chars().map(|c| t.of(c)).collect::<Vec<u8>>()),
            ),
            None => builder.build(patterns),
        };
        let ac = built.map_err(|e| LexiconError {
            source_name: "lexicons".into(),
            line: 0,
            message: format!("词表无法一起编译，可能太大，请减少词条（cannot compile the lexicons together: {e}）"),
        })?;
        Ok(Combined { ac, owners, tokens })
    }
}

thread_local! {
    /// The token string of the utterance being scanned, and its offsets.
    static TOKEN_BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// How many automata the lexicons are scanned with (see [`LexiconKind::scan_group`]).
pub const SCAN_GROUPS: usize = 2;

impl Lexicons {
    /// Compiles every lexicon: the file the config names, else the built-in one.
    pub fn load(
        paths: &dyn Fn(LexiconKind) -> Option<std::path::PathBuf>,
    ) -> Result<Lexicons, LexiconError> {
        let mut items = Vec::with_capacity(LexiconKind::ALL.len());
        for kind in LexiconKind::ALL {
            let lex = match paths(kind) {
                Some(path) => Lexicon::load(&path)?,
                None => Lexicon::parse(
                    kind.builtin(),
                    &format!("built-in lexicons/{}.txt", kind.key()),
                )?,
            };
            items.push(lex);
        }
        let combined = Self::combine(&items, true)?;
        Ok(Lexicons { items, combined })
    }

    /// One automaton per scan group (over tokens when `tokens` and the
    /// group's entries allow).
    fn combine(
        items: &[Lexicon],
        tokens: bool,
    ) -> Result<[Option<Combined>; SCAN_GROUPS], LexiconError> {
        let mut combined = [None, None];
        for (group, slot) in combined.iter_mut().enumerate() {
            let mut patterns = Vec::new();
            let mut owners = Vec::new();
            for (k, lex) in items.iter().enumerate() {
                if LexiconKind::ALL[k].scan_group() != group {
                    continue;
                }
                for (i, e) in lex.clean_entries.iter().enumerate() {
                    patterns.push(e.as_str());
                    owners.push((k as u8, i as u32));
                }
            }
            if patterns.is_empty() {
                continue;
            }
            *slot = Some(Combined::new(&patterns, owners, tokens)?);
        }
        Ok(combined)
    }

    /// Every occurrence in `clean` of every literal entry of every lexicon
    /// of scan group `group` (overlapping ones included), sorted by
    /// lexicon, then start, then longest first, then entry: for each
    /// lexicon, the order in which [`Lexicon::find_scanned`] picks the
    /// leftmost-longest matches. Lexicon `kind` takes its matches from the
    /// scan of group `kind.scan_group()` with [`Lexicons::of_kind`].
    pub fn scan(&self, group: usize, clean: &str) -> Vec<ScanMatch> {
        let mut out = Vec::new();
        self.scan_into(group, clean, &mut out);
        out
    }

    /// As [`Lexicons::scan`], appending to `out` (a call's utterances share
    /// one buffer); only the appended part is sorted.
    pub fn scan_into(&self, group: usize, clean: &str, out: &mut Vec<ScanMatch>) {
        self.scan_with(group, clean, None, out);
    }

    /// As [`Lexicons::scan_into`] on `text.clean`, taking the characters'
    /// offsets from the clean text's own map instead of computing them.
    pub fn scan_text_into(&self, group: usize, text: CleanText<'_>, out: &mut Vec<ScanMatch>) {
        self.scan_with(group, text.clean, Some(text), out);
    }

    fn scan_with(
        &self,
        group: usize,
        clean: &str,
        text: Option<CleanText<'_>>,
        out: &mut Vec<ScanMatch>,
    ) {
        let Some(Some(c)) = self.combined.get(group) else {
            return;
        };
        if clean.len() > u32::MAX as usize {
            return;
        }
        let from = out.len();
        let owner = |m: &aho_corasick::Match| c.owners[m.pattern().as_usize()];
        match &c.tokens {
            Some(tokens) => TOKEN_BUFFERS.with_borrow_mut(|(buf, offsets)| {
                let at: &dyn Fn(usize) -> u32 = match &text {
                    Some(t) => {
                        tokens.encode_chars(t.chars(), buf);
                        &|k| t.clean_start_of_char(k) as u32
                    }
                    None => {
                        tokens.encode(clean, buf, offsets);
                        &|k| offsets[k]
                    }
                };
                out.extend(c.ac.find_overlapping_iter(buf.as_slice()).map(|m| {
                    let (kind, entry) = owner(&m);
                    ScanMatch {
                        kind,
                        start: at(m.start()),
                        end: at(m.end()),
                        entry,
                    }
                }));
            }),
            None => out.extend(c.ac.find_overlapping_iter(clean).map(|m| {
                let (kind, entry) = owner(&m);
                ScanMatch {
                    kind,
                    start: m.start() as u32,
                    end: m.end() as u32,
                    entry,
                }
            })),
        }
        out[from..].sort_by_key(|m| (m.kind, m.start, std::cmp::Reverse(m.end), m.entry));
    }

    /// The matches of lexicon `kind` within a [`Lexicons::scan`] result.
    pub fn of_kind(scan: &[ScanMatch], kind: LexiconKind) -> &[ScanMatch] {
        let k = kind as u8;
        let from = scan.partition_point(|m| m.kind < k);
        let to = scan.partition_point(|m| m.kind <= k);
        &scan[from..to]
    }

    /// The built-in lexicons.
    pub fn builtin() -> Result<Lexicons, LexiconError> {
        Lexicons::load(&|_| None)
    }

    /// The lexicon for `kind`.
    pub fn get(&self, kind: LexiconKind) -> &Lexicon {
        // `items` is built from LexiconKind::ALL in order.
        &self.items[kind as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same lexicons, scanned over UTF-8 bytes.
    fn byte_scanning(l: &Lexicons) -> Lexicons {
        Lexicons {
            items: l.items.clone(),
            combined: Lexicons::combine(&l.items, false).expect("combine"),
        }
    }

    #[test]
    fn the_builtin_groups_scan_tokens_and_beyond_255_characters_bytes() {
        let l = Lexicons::builtin().expect("lexicons");
        for c in l.combined.iter().flatten() {
            assert!(c.tokens.is_some(), "{} entries", c.owners.len());
        }
        let many: Vec<String> = (0..300u32)
            .map(|i| char::from_u32(0x4E00 + i).expect("cjk").to_string())
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(Tokens::new(&refs).is_none());
        assert!(Tokens::new(&refs[..255]).is_some());
        // Outside the CJK block and ASCII: its own token; unknown: 0.
        let t = Tokens::new(&["α测", "ok"]).expect("tokens");
        assert!(t.of('α') != 0 && t.of('测') != 0 && t.of('o') != 0);
        assert_ne!(t.of('α'), t.of('测'));
        assert_eq!((t.of('β'), t.of('试'), t.of('x')), (0, 0, 0));
    }

    proptest::proptest! {
        /// Token and byte scans find the same matches at the same byte offsets.
        #[test]
        fn token_scan_equals_byte_scan(
            picks in proptest::collection::vec((0usize..400, 0usize..6, 0u8..8), 0..12),
            before in "[\u{4e00}-\u{4e30}a-zA-Z0-9α-ω１２，。 🙂]{0,12}",
            after in "[\u{4e00}-\u{4e30}a-zA-Z0-9α-ω１２，。 🙂]{0,12}",
        ) {
            let l = Lexicons::builtin().expect("lexicons");
            let bytes = byte_scanning(&l);
            let text = format!("{before}{}{after}", entry_soup(&picks, &l));
            let norm = NormText::new(&text);
            let clean = &norm.clean;
            for g in 0..SCAN_GROUPS {
                let tokens = l.scan(g, clean);
                proptest::prop_assert_eq!(&tokens, &bytes.scan(g, clean), "{}", text);
                // Offsets from the clean text's map, as a call's view scans.
                let mut from_map = Vec::new();
                l.scan_text_into(g, norm.view(), &mut from_map);
                proptest::prop_assert_eq!(&tokens, &from_map, "{}", text);
            }
        }
    }

    /// Text made of lexicon entries (overlapping, adjacent, split by
    /// punctuation) and filler: the shared scan must find exactly what
    /// each lexicon's own automaton finds.
    fn entry_soup(picks: &[(usize, usize, u8)], lexicons: &Lexicons) -> String {
        let all: Vec<&str> = LexiconKind::ALL
            .iter()
            .flat_map(|k| lexicons.get(*k).entries.iter().map(|e| &**e))
            .collect();
        let fillers = ["", "，", "的", "你们", "OK", "k", " ", "吗？", "喂养", "好"];
        let mut s = String::new();
        for &(e, f, cut) in picks {
            let entry = all[e % all.len()];
            // Sometimes only part of an entry, to make near-misses.
            let chars: Vec<char> = entry.chars().collect();
            let keep = if cut % 3 == 0 {
                chars.len().div_ceil(2)
            } else {
                chars.len()
            };
            s.extend(&chars[..keep]);
            s.push_str(fillers[f % fillers.len()]);
        }
        s
    }

    #[test]
    fn the_shared_scan_agrees_on_every_entry_back_to_back() {
        let lexicons = Lexicons::builtin().expect("lexicons");
        let n: usize = LexiconKind::ALL
            .iter()
            .map(|k| lexicons.get(*k).entries.len())
            .sum();
        let picks: Vec<(usize, usize, u8)> = (0..n).map(|e| (e, e % 3, 1)).collect();
        let text = entry_soup(&picks, &lexicons);
        let norm = NormText::new(&text);
        let mut total = 0;
        for kind in LexiconKind::ALL {
            let scan = lexicons.scan(kind.scan_group(), &norm.clean);
            let lex = lexicons.get(kind);
            let own = lex.find(&text, &norm);
            total += own.len();
            assert_eq!(
                own,
                lex.find_scanned(&text, norm.view(), Lexicons::of_kind(&scan, kind)),
                "{kind:?}"
            );
        }
        assert!(total > n / 2, "{total} hits for {n} entries");
    }

    proptest::proptest! {
        #[test]
        fn the_shared_scan_finds_what_each_lexicon_finds(
            picks in proptest::collection::vec((0usize..10_000, 0usize..10, 0u8..6), 0..12)
        ) {
            let lexicons = Lexicons::builtin().expect("lexicons");
            let text = entry_soup(&picks, &lexicons);
            let norm = NormText::new(&text);
            for kind in LexiconKind::ALL {
                let scan = lexicons.scan(kind.scan_group(), &norm.clean);
                let lex = lexicons.get(kind);
                proptest::prop_assert_eq!(
                    lex.find(&text, &norm),
                    lex.find_scanned(&text, norm.view(), Lexicons::of_kind(&scan, kind)),
                    "{:?} in {}", kind, text
                );
            }
        }
    }

    fn hits(lex: &Lexicon, text: &str) -> Vec<String> {
        lex.find(text, &NormText::new(text))
            .into_iter()
            .map(|h| text[h.start..h.end].to_string())
            .collect()
    }

    #[test]
    fn exclusion_context_removes_hit_inside_it() {
        let lex = Lexicon::parse("喂\n!喂养\n!投喂\n", "t").expect("valid");
        assert_eq!(hits(&lex, "喂，您好"), vec!["喂"]);
        assert!(hits(&lex, "小区有人投喂流浪猫").is_empty());
        assert!(hits(&lex, "喂养宠物要登记").is_empty());
    }

    #[test]
    fn required_literal_is_found_only_where_it_is_certain() {
        assert_eq!(required_literal("喂(?:$|x)"), Some('喂'));
        assert_eq!(required_literal("[你您]自己去.{0,20}?问吧"), Some('自'));
        assert_eq!(
            required_literal(r"(?:^|[\p{P}\s])滚(?:$|[吧开])"),
            Some('滚')
        );
        assert_eq!(required_literal("喂?好"), Some('好'));
        assert_eq!(required_literal("(?:听不见|没听见)"), None);
        assert_eq!(required_literal("说完了?没有|说完没有"), None);
        assert_eq!(required_literal("[?？]"), None);
        assert_eq!(required_literal(r"\d+号"), Some('号'));
    }

    #[test]
    fn start_masks_hold_the_chars_of_what_every_match_starts_with() {
        let bits = |s: &str| s.chars().fold(0, |b, c| b | char_bit(c));
        let sorted = |p: &str| {
            start_masks(p).map(|mut v| {
                v.sort_unstable();
                v.dedup();
                v
            })
        };
        let expect = |lits: &[&str]| {
            let mut v: Vec<u64> = lits.iter().map(|l| bits(l)).collect();
            v.sort_unstable();
            v.dedup();
            Some(v)
        };
        assert_eq!(sorted("[?？]"), expect(&["?", "？"]));
        assert_eq!(
            sorted("(?:听不[见到]|没听[见到])"),
            expect(&["听不见", "听不到", "没听见", "没听到"])
        );
        assert_eq!(sorted("这是规定.{0,4}没办法"), expect(&["这是规定"]));
        // Only the smallest: a text with every char of 工号码为 has 工号's.
        assert_eq!(
            sorted("(?:工号|工单号|订单)(?:码)?(?:是|为)?"),
            expect(&["工号", "订单"])
        );
        assert_eq!(sorted("(?i)ab"), expect(&["ab", "aB", "Ab", "AB"]));
        // A match may start with any char, or with nothing.
        assert_eq!(sorted(r"(?:^|[\p{P}\s])滚"), None);
        assert_eq!(sorted(".{0,3}好"), None);
        assert_eq!(sorted("好?"), None);
        assert_eq!(sorted(r"\d+号"), None);
    }

    #[test]
    fn a_gate_passes_the_texts_that_may_match_and_stops_the_rest() {
        let passes =
            |pattern: &str, text: &str| Gate::of(pattern).passes(text, NormText::new(text).view());
        assert!(passes("[?？]", "您说的是哪个小区？"));
        assert!(passes("[?？]", "what?"));
        assert!(!passes("[?？]", "好的，我记下了。"));
        let repeat = "(?:听不[见到]|没听[见到])";
        assert!(passes(repeat, "喂喂，我听不见"));
        assert!(passes(repeat, "刚才没听到"));
        // 没 and 听 alone are not enough: a start needs all its chars.
        assert!(!passes(repeat, "好的，谢谢"));
        assert!(!passes(repeat, "没有，你听我说"));
        // The exact char of a plain required literal, after the bits.
        assert_eq!(Gate::of("喂(?:$|x)").char, Some('喂'));
        assert!(!passes("喂(?:$|x)", "好的，谢谢"));
        // No gate: every text passes.
        assert_eq!(
            Gate::of(".{0,3}ok"),
            Gate {
                starts: Box::new([]),
                char: None
            }
        );
        assert!(passes(".{0,3}ok", "谢谢"));
    }

    #[test]
    fn a_class_of_a_few_chars_is_searched_without_the_regex_engine() {
        let search = |p: &str| Search::new(Regex::new(p).expect("regex"), p);
        assert!(matches!(search("[?？]"), Search::Chars(_)));
        assert!(matches!(search("[?？！]"), Search::Chars(_)));
        // Not one class, or a large one: the engine.
        assert!(matches!(search("[?？]吗"), Search::Regex(_)));
        assert!(matches!(search(r"\p{P}"), Search::Regex(_)));
        assert!(matches!(search("[0-9]"), Search::Regex(_)));
        let lex = Lexicon::parse("re:[?？]\n", "t").expect("valid");
        assert_eq!(hits(&lex, "您贵姓？住哪？what?"), vec!["？", "？", "?"]);
    }

    proptest::proptest! {
        /// A gate never stops a text on which its regular expression
        /// matches: every regex of every built-in lexicon, on texts made of
        /// the chars they look for, their neighbours and punctuation.
        #[test]
        fn builtin_gates_never_stop_a_match(
            text in "[？?，。 ：:听不见到没喂您你的留是为号码工单身份证车牌吧呢滚这规定办法自己去问联系手机电话a1]{0,24}",
        ) {
            let lexicons = Lexicons::builtin().expect("lexicons");
            let norm = NormText::new(&text);
            for kind in LexiconKind::ALL {
                for (pattern, search, gate) in &lexicons.get(kind).regexes {
                    let re = Regex::new(pattern).expect("regex");
                    let by_engine: Vec<(usize, usize)> = re
                        .find_iter(&text)
                        .filter(|m| m.start() < m.end())
                        .map(|m| (m.start(), m.end()))
                        .collect();
                    if !by_engine.is_empty() {
                        proptest::prop_assert!(gate.passes(&text, norm.view()), "{} stopped {}", pattern, text);
                    }
                    // However it is searched, the regex engine's matches.
                    let mut found = Vec::new();
                    search.each(&text, |s, e| found.push((s, e)));
                    proptest::prop_assert_eq!(found, by_engine, "{} in {}", pattern, text);
                }
            }
        }
    }

    #[test]
    fn regex_exclusion_context() {
        let lex = Lexicon::parse("听不见\n!re:吵.{0,15}听不见\n", "t").expect("valid");
        assert_eq!(hits(&lex, "喂，我听不见"), vec!["听不见"]);
        assert!(hits(&lex, "吵得我开着电视都听不见").is_empty());
    }

    #[test]
    fn ascii_entries_need_word_edges_and_ignore_case() {
        let lex = Lexicon::parse("OK\n", "t").expect("valid");
        assert_eq!(hits(&lex, "好的ok，没问题"), vec!["ok"]);
        assert_eq!(hits(&lex, "Ok的"), vec!["Ok"]);
        assert!(hits(&lex, "look at the token").is_empty());
    }

    #[test]
    fn literals_match_across_punctuation() {
        let lex = Lexicon::parse("这是规定我没办法\n", "t").expect("valid");
        assert_eq!(
            hits(&lex, "这是规定，我没办法。"),
            vec!["这是规定，我没办法"]
        );
    }

    #[test]
    fn regex_entries_match_the_original_text() {
        let lex = Lexicon::parse("re:你自己去.{0,20}?问吧\n", "t").expect("valid");
        assert_eq!(hits(&lex, "你自己去交警队问吧"), vec!["你自己去交警队问吧"]);
    }

    #[test]
    fn bad_regex_names_file_and_line() {
        let e = Lexicon::parse("# c\nre:(\n", "x.txt").expect_err("invalid");
        assert_eq!(e.line, 2);
        assert!(e
            .to_string()
            .starts_with("x.txt 第 2 行：正则表达式 `(` 写错了，请改正"));
    }

    #[test]
    fn every_builtin_lexicon_compiles() {
        let all = Lexicons::builtin().expect("built-in lexicons compile");
        for kind in LexiconKind::ALL {
            assert!(!all.get(kind).is_empty(), "{} is empty", kind.key());
        }
    }
}
