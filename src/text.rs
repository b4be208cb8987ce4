//! Text normalisation shared by the norms.
//!
//! ASR output may or may not hold punctuation and spaces, and may write
//! ASCII in any case. Rules therefore match on a *clean* form (letters and
//! digits only, ASCII lower-cased) and map every hit back to the original
//! text so that the evidence shows what was really transcribed.

/// An utterance's text in clean form, with the way back to the original.
#[derive(Clone, Debug, Default)]
pub struct NormText {
    /// Letters and digits of the original, ASCII lower-cased.
    pub clean: String,
    /// For each char of `clean`: (byte offset in `clean`, byte offset in the
    /// original, the char). The char has the same length in both (only
    /// ASCII is lower-cased), so its end follows from the next char's
    /// offset. u32: an utterance is far below 4 GiB (lines are capped at
    /// 64 MiB), and 12 bytes a char instead of 24 is much of what scoring
    /// allocates. The char itself is what the lexicon scans turn into
    /// tokens, without decoding `clean` again.
    map: Vec<(u32, u32, char)>,
    /// See [`CleanText::may_hold_number`].
    number: bool,
    /// See [`CleanText::may_contain_all`].
    char_set: u64,
}

/// The bit that stands for `c` in a text's char set
/// ([`CleanText::may_contain_all`]): one of 64, by a multiplicative hash,
/// so that neighbouring ideographs get different bits.
#[inline]
pub fn char_bit(c: char) -> u64 {
    1 << ((c as u32).wrapping_mul(0x9E37_79B1) >> 26)
}

/// The numerals of [`is_numeral`] other than 〇, as bits over U+4E00..=U+9FFF
/// (every one of them is a CJK ideograph there).
static NUMERAL_BITS: [u64; 328] = {
    const NUMERALS: [char; 21] = [
        '零', '洞', '一', '幺', '壹', '二', '贰', '三', '叁', '四', '肆', '五', '伍', '六', '陆',
        '七', '柒', '八', '捌', '九', '玖',
    ];
    let mut bits = [0u64; 328];
    let mut i = 0;
    while i < NUMERALS.len() {
        let k = NUMERALS[i] as usize - 0x4E00;
        bits[k / 64] |= 1 << (k % 64);
        i += 1;
    }
    bits
};

/// Chinese numerals read digit by digit in phone numbers (幺三八, 洞洞七),
/// as `accuracy::chinese_digit` reads them.
#[inline]
pub fn is_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '洞'
            | '一'
            | '幺'
            | '壹'
            | '二'
            | '贰'
            | '三'
            | '叁'
            | '四'
            | '肆'
            | '五'
            | '伍'
            | '六'
            | '陆'
            | '七'
            | '柒'
            | '八'
            | '捌'
            | '九'
            | '玖'
    )
}

/// True for the characters that count: letters (CJK included) and digits.
/// Punctuation, symbols and white space do not count (spec §2: "Characters
/// are counted without punctuation and white space").
#[inline]
pub fn is_counted(c: char) -> bool {
    // CJK ideographs first: nearly every character of a transcript is one.
    if ('\u{4e00}'..='\u{9fff}').contains(&c) {
        return true;
    }
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    // The usual Chinese punctuation, without the Unicode tables' slow lookup.
    if matches!(
        c,
        '，' | '。'
            | '？'
            | '！'
            | '、'
            | '：'
            | '；'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '（'
            | '）'
            | '…'
            | '—'
            | '《'
            | '》'
            | '～'
    ) {
        return false;
    }
    c.is_alphanumeric()
}

/// The number of counted characters in `s`.
pub fn count_chars(s: &str) -> usize {
    s.chars().filter(|&c| is_counted(c)).count()
}

/// Appends the clean form of `original` to `clean` and its offset map to
/// `map` (offsets relative to where this text starts in `clean`). One pass
/// over the chars: CJK ideographs (nearly every character of a transcript)
/// and ASCII are handled without the Unicode tables, and the same pass
/// notes whether the text may hold a number (see
/// [`CleanText::may_hold_number`]) and which chars it holds, punctuation
/// included ([`CleanText::may_contain_all`]): the return value. The kept
/// chars are copied to `clean` a run at a time (the text between two
/// dropped or lower-cased chars), not one by one.
fn clean_into(original: &str, clean: &mut String, map: &mut Vec<(u32, u32, char)>) -> (bool, u64) {
    let mut number = false;
    let mut char_set = 0;
    // Beyond 4 GiB the offsets would not fit: such a text is left unmatched
    // (and no char is said to be absent).
    if u32::try_from(original.len()).is_err() {
        return (false, u64::MAX);
    }
    // `original[from..i]` is kept and not yet copied; `at` is where the
    // next kept char goes, relative to this text's start in `clean`.
    let mut from = 0;
    let mut at = 0u32;
    // Chinese numerals in a row (幺三八 read digit by digit).
    let mut run = 0u32;
    for (i, c) in original.char_indices() {
        char_set |= char_bit(c);
        let u = c as u32;
        if (0x4E00..=0x9FFF).contains(&u) {
            map.push((at, i as u32, c));
            at += 3;
            let k = (u - 0x4E00) as usize;
            if (NUMERAL_BITS[k / 64] >> (k % 64)) & 1 == 1 {
                run += 1;
                number |= run >= 3;
            } else {
                run = 0;
            }
            continue;
        }
        let (start, end) = (i, i + c.len_utf8());
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                let lower = c.to_ascii_lowercase();
                map.push((at, start as u32, lower));
                at += 1;
                if lower != c {
                    clean.push_str(&original[from..start]);
                    clean.push(lower);
                    from = end;
                }
                number |= c.is_ascii_digit();
            } else {
                clean.push_str(&original[from..start]);
                from = end;
            }
            run = 0;
            continue;
        }
        if c == '〇' {
            run += 1;
            number |= run >= 3;
        } else {
            run = 0;
            number |= ('０'..='９').contains(&c);
        }
        if is_counted(c) {
            map.push((at, start as u32, c));
            at += c.len_utf8() as u32;
        } else {
            clean.push_str(&original[from..start]);
            from = end;
        }
    }
    clean.push_str(&original[from..]);
    (number, char_set)
}

/// The clean form of `original` alone, without its map (the `clean` of
/// [`NormText::new`]), into `out`, which is cleared first: for the short
/// windows around a hit that are only compared or looked up.
pub fn clean_to(original: &str, out: &mut String) {
    out.clear();
    // As clean_into: beyond 4 GiB a text is left unmatched.
    if u32::try_from(original.len()).is_err() {
        return;
    }
    out.extend(
        original
            .chars()
            .filter(|&c| is_counted(c))
            .map(|c| c.to_ascii_lowercase()),
    );
}

impl NormText {
    /// Builds the clean form of `original`.
    pub fn new(original: &str) -> NormText {
        let mut clean = String::with_capacity(original.len());
        let mut map = Vec::with_capacity(original.len() / 3 + 4);
        let (number, char_set) = clean_into(original, &mut clean, &mut map);
        NormText {
            clean,
            map,
            number,
            char_set,
        }
    }

    /// Makes this the clean form of `original` (as [`NormText::new`]),
    /// reusing its buffers.
    pub fn refill(&mut self, original: &str) {
        self.clean.clear();
        self.map.clear();
        (self.number, self.char_set) = clean_into(original, &mut self.clean, &mut self.map);
    }

    /// The same text as a [`CleanText`].
    pub fn view(&self) -> CleanText<'_> {
        CleanText {
            clean: &self.clean,
            map: &self.map,
            number: self.number,
            char_set: self.char_set,
        }
    }
}

/// An utterance's clean form, borrowed: from a [`NormText`], or from the
/// buffers a call shares between all its utterances ([`CleanTexts`]).
#[derive(Clone, Copy, Debug)]
pub struct CleanText<'a> {
    /// Letters and digits of the original, ASCII lower-cased.
    pub clean: &'a str,
    /// See [`NormText`]'s map.
    map: &'a [(u32, u32, char)],
    number: bool,
    char_set: u64,
}

impl CleanText<'_> {
    /// The byte offset in `clean` where its `k`-th character starts (its
    /// length for `k` = the number of characters).
    pub fn clean_start_of_char(&self, k: usize) -> usize {
        self.map.get(k).map_or(self.clean.len(), |m| m.0 as usize)
    }

    /// False when the text surely holds no number: no ASCII or full-width
    /// digit and never three Chinese numerals in a row (what
    /// `accuracy::digit_runs` looks for). True means "look closer".
    pub fn may_hold_number(&self) -> bool {
        self.number
    }

    /// False when the original text surely lacks one of the chars whose
    /// [`char_bit`]s make up `bits` (punctuation included); true means
    /// "look closer". A few instructions for a regular expression's gate
    /// (`lexicon`), however many lexicons look at the text.
    #[inline]
    pub fn may_contain_all(&self, bits: u64) -> bool {
        self.char_set & bits == bits
    }

    /// Byte range in the original of the k-th counted char.
    fn span_of(&self, k: usize) -> (usize, usize) {
        let (c, o, _) = self.map[k];
        let next = self
            .map
            .get(k + 1)
            .map_or(self.clean.len(), |m| m.0 as usize);
        let len = next - c as usize;
        (o as usize, o as usize + len)
    }

    /// The chars of `clean`, in order, without decoding it.
    pub fn chars(&self) -> impl ExactSizeIterator<Item = char> + '_ {
        self.map.iter().map(|m| m.2)
    }

    /// Number of counted characters.
    pub fn char_len(&self) -> usize {
        self.map.len()
    }

    /// Maps a byte range of `clean` to the byte range it covers in the original.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let first = self.map.partition_point(|m| (m.0 as usize) < start);
        let last = self.map.partition_point(|m| (m.0 as usize) < end);
        if first >= self.map.len() || last == 0 || last <= first {
            let at = self
                .map
                .get(first)
                .map(|m| m.1 as usize)
                .unwrap_or_else(|| {
                    self.map
                        .len()
                        .checked_sub(1)
                        .map_or(0, |k| self.span_of(k).1)
                });
            return (at, at);
        }
        (self.span_of(first).0, self.span_of(last - 1).1)
    }

    /// Maps a char count of `clean` (the first `n` chars) to the byte offset
    /// in the original just after the n-th counted char.
    pub fn original_end_of_chars(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let k = (n - 1).min(self.map.len().saturating_sub(1));
        if self.map.is_empty() {
            0
        } else {
            self.span_of(k).1
        }
    }
}

/// The clean forms of all utterances of a call in two shared buffers
/// instead of two allocations per utterance.
#[derive(Clone, Debug, Default)]
pub struct CleanTexts {
    clean: String,
    map: Vec<(u32, u32, char)>,
    /// Per utterance: its part of `clean`, its part of `map`, may it hold
    /// a number, its char set.
    parts: Vec<(usize, usize, usize, usize, bool, u64)>,
}

impl CleanTexts {
    /// Cleans every text, in order.
    pub fn new<'t>(texts: impl ExactSizeIterator<Item = &'t str> + Clone) -> CleanTexts {
        let mut out = CleanTexts::default();
        out.refill(texts);
        out
    }

    /// Makes these the clean forms of `texts` (as [`CleanTexts::new`]),
    /// reusing the buffers.
    pub fn refill<'t>(&mut self, texts: impl ExactSizeIterator<Item = &'t str> + Clone) {
        let bytes: usize = texts.clone().map(str::len).sum();
        self.clean.clear();
        self.map.clear();
        self.parts.clear();
        self.clean.reserve(bytes);
        self.map.reserve(bytes / 3 + 4);
        self.parts.reserve(texts.len());
        for t in texts {
            let (c0, m0) = (self.clean.len(), self.map.len());
            let (number, char_set) = clean_into(t, &mut self.clean, &mut self.map);
            self.parts
                .push((c0, self.clean.len(), m0, self.map.len(), number, char_set));
        }
    }

    /// The bytes its buffers hold.
    pub fn capacity_bytes(&self) -> usize {
        self.clean.capacity()
            + self.map.capacity() * std::mem::size_of::<(u32, u32, char)>()
            + self.parts.capacity() * std::mem::size_of::<(usize, usize, usize, usize, bool, u64)>()
    }

    /// The clean form of text `i`.
    #[inline]
    pub fn get(&self, i: usize) -> CleanText<'_> {
        let (c0, c1, m0, m1, number, char_set) = self.parts[i];
        CleanText {
            clean: &self.clean[c0..c1],
            map: &self.map[m0..m1],
            number,
            char_set,
        }
    }

    /// Whether text `i` may hold a number ([`CleanText::may_hold_number`]).
    #[inline]
    pub fn may_hold_number(&self, i: usize) -> bool {
        self.parts[i].4
    }

    /// How many texts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// Cuts `text` to at most `max` chars around the byte range `start..end`
/// and marks that range with 【】, so that a reviewer sees the hit at once.
pub fn excerpt_marked(text: &str, start: usize, end: usize, max: usize) -> String {
    let start = floor_boundary(text, start.min(text.len()));
    let end = floor_boundary(text, end.clamp(start, text.len()));
    let before: Vec<char> = text[..start].chars().collect();
    let hit = &text[start..end];
    let after: Vec<char> = text[end..].chars().collect();
    let room = max.saturating_sub(hit.chars().count()).max(8);
    let keep_before = before.len().min(room / 2);
    let keep_after = after.len().min(room - keep_before);
    let keep_before = before.len().min(room - keep_after);
    let mut out = String::new();
    if keep_before < before.len() {
        out.push('…');
    }
    out.extend(&before[before.len() - keep_before..]);
    if !hit.is_empty() {
        out.push('【');
        out.push_str(hit);
        out.push('】');
    }
    out.extend(&after[..keep_after]);
    if keep_after < after.len() {
        out.push('…');
    }
    out
}

/// Cuts `text` to at most `max` chars, marking the cut with `…`.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Edit distance of `pattern` against the best *prefix* of `text`: how
/// many insertions, deletions and substitutions turn the pattern into
/// `text[..k]` for the best `k`. Returns (distance, k).
pub fn prefix_distance(pattern: &[char], text: &[char]) -> (usize, usize) {
    align(pattern, text, false)
}

/// Edit distance of `pattern` against the best *substring* of `text`
/// (semi-global alignment). Returns (distance, end char index of the
/// substring in `text`).
pub fn substring_distance(pattern: &[char], text: &[char]) -> (usize, usize) {
    align(pattern, text, true)
}

/// The edit distance of `pattern` against `text[..k]` (or, with
/// `free_start`, against any substring of `text` ending at k), minimal
/// over k, with the largest such k. Patterns of 1–64 chars (every phrase
/// and nearly every utterance) take Myers' bit-parallel algorithm, one
/// step per text char; longer ones walk the table ([`align_table`]). Both
/// give the same result (a property test checks it).
fn align(pattern: &[char], text: &[char], free_start: bool) -> (usize, usize) {
    if pattern.is_empty() || pattern.len() > 64 {
        return align_table(pattern, text, free_start);
    }
    // Which pattern positions hold each of its distinct chars.
    let mut peq = CharBits::default();
    for (i, &c) in pattern.iter().enumerate() {
        *peq.entry(c) |= 1 << i;
    }
    let m = pattern.len();
    let last = 1u64 << (m - 1);
    // The table's last column, as vertical deltas: +1 (pv) or -1 (mv) from
    // each row to the next; the first column is 0, 1, …, m.
    let (mut pv, mut mv) = (u64::MAX, 0u64);
    // The last row's value at text position 0, then 1, 2 …
    let mut score = m;
    let mut best = (score, 0);
    for (j, t) in text.iter().enumerate() {
        let eq = peq.get(*t);
        let xv = eq | mv;
        let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
        let ph = mv | !(xh | pv);
        let mh = pv & xh;
        if ph & last != 0 {
            score += 1;
        } else if mh & last != 0 {
            score -= 1;
        }
        // The first row: 0 everywhere with a free start, else j.
        let ph = (ph << 1) | u64::from(!free_start);
        let mh = mh << 1;
        pv = mh | !(xv | ph);
        mv = ph & xv;
        // Prefer the longest alignment among equals (see best_in_row).
        if score <= best.0 {
            best = (score, j + 1);
        }
    }
    best
}

/// A bit set for each of at most 64 distinct chars, in an open-addressing
/// table of 128 slots: a look-up is a multiplication and a probe or two.
struct CharBits {
    /// (char + 1, bits); 0 marks an empty slot.
    slots: [(u32, u64); 128],
}

impl Default for CharBits {
    fn default() -> Self {
        CharBits {
            slots: [(0, 0); 128],
        }
    }
}

impl CharBits {
    fn home(c: char) -> usize {
        ((c as u32).wrapping_mul(0x9E37_79B1) >> 25) as usize
    }

    /// The bits of `c`, added empty if new (at most 64 chars are added,
    /// so an empty slot is always found).
    fn entry(&mut self, c: char) -> &mut u64 {
        let key = c as u32 + 1;
        let mut k = Self::home(c);
        while self.slots[k].0 != key && self.slots[k].0 != 0 {
            k = (k + 1) % 128;
        }
        self.slots[k].0 = key;
        &mut self.slots[k].1
    }

    /// The bits of `c` (0 for a char not added).
    fn get(&self, c: char) -> u64 {
        let key = c as u32 + 1;
        let mut k = Self::home(c);
        loop {
            let (slot, bits) = self.slots[k];
            if slot == key {
                return bits;
            }
            if slot == 0 {
                return 0;
            }
            k = (k + 1) % 128;
        }
    }
}

/// The edit-distance table walked over the pattern; row j holds distances
/// for text[..j]. With `free_start` the alignment may begin anywhere in
/// `text` (the first row is all zeros), otherwise at its start.
fn align_table(pattern: &[char], text: &[char], free_start: bool) -> (usize, usize) {
    // One row, updated in place: before pattern char i it holds row i,
    // after it row i + 1 (`diag` keeps the cell of row i that row i + 1 needs).
    let mut row: Vec<usize> = if free_start {
        vec![0; text.len() + 1]
    } else {
        (0..=text.len()).collect()
    };
    for (i, &p) in pattern.iter().enumerate() {
        let mut diag = row[0];
        let mut left = i + 1;
        row[0] = left;
        for (cell, &t) in row[1..].iter_mut().zip(text) {
            let up = *cell;
            let d = (diag + usize::from(p != t)).min(up + 1).min(left + 1);
            diag = up;
            *cell = d;
            left = d;
        }
    }
    best_in_row(&row)
}

fn best_in_row(row: &[usize]) -> (usize, usize) {
    let mut best = (usize::MAX, 0);
    for (k, &d) in row.iter().enumerate() {
        // Prefer the longest alignment among equals so that trailing
        // characters of the phrase are not left out of the span.
        if d <= best.0 {
            best = (d, k);
        }
    }
    best
}

/// Length of the longest common subsequence of `a` and `b`: how many
/// characters of `a` appear in `b` in the same order, whatever else `b`
/// holds between them.
pub fn lcs_len(a: &[char], b: &[char]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for &x in a {
        for (j, &y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Extracts the digits of `s` (ASCII digits only).
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeral_bits_are_the_numerals() {
        for u in 0x4E00u32..=0x9FFF {
            let Some(c) = char::from_u32(u) else { continue };
            let k = (u - 0x4E00) as usize;
            assert_eq!(
                (NUMERAL_BITS[k / 64] >> (k % 64)) & 1 == 1,
                is_numeral(c),
                "{c}"
            );
        }
        assert!(is_numeral('〇') && !('\u{4e00}'..='\u{9fff}').contains(&'〇'));
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn clean_drops_punctuation_and_space_and_lowercases() {
        let t = NormText::new("您好！市长 热线，OK？");
        assert_eq!(t.clean, "您好市长热线ok");
        assert_eq!(t.view().char_len(), 8);
    }

    #[test]
    fn original_span_maps_back_over_punctuation() {
        let text = "喂，养";
        let t = NormText::new(text);
        assert_eq!(t.clean, "喂养");
        let (s, e) = t.view().original_span(0, t.clean.len());
        assert_eq!(&text[s..e], "喂，养");
    }

    #[test]
    fn excerpt_marks_the_hit() {
        let text = "好的哦，我知道了";
        let s = text.find('哦').unwrap_or(0);
        assert_eq!(excerpt_marked(text, s, s + 3, 40), "好的【哦】，我知道了");
    }

    /// The textbook two-row table, to check the in-place one against.
    fn align_two_rows(pattern: &[char], text: &[char], free_start: bool) -> (usize, usize) {
        let mut prev: Vec<usize> = if free_start {
            vec![0; text.len() + 1]
        } else {
            (0..=text.len()).collect()
        };
        let mut cur = vec![0; text.len() + 1];
        for (i, &p) in pattern.iter().enumerate() {
            cur[0] = i + 1;
            for (j, &t) in text.iter().enumerate() {
                let sub = prev[j] + usize::from(p != t);
                cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        best_in_row(&prev)
    }

    /// The clean form char by char, and whether it may hold a number, as
    /// `clean_into` found them before it copied runs: the reference it is
    /// checked against.
    fn clean_char_by_char(original: &str) -> (String, Vec<(u32, u32, char)>, bool) {
        let (mut clean, mut map, mut number, mut run) = (String::new(), Vec::new(), false, 0);
        for (i, c) in original.char_indices() {
            if is_numeral(c) {
                run += 1;
                number |= run >= 3;
            } else {
                run = 0;
                number |= c.is_ascii_digit() || ('０'..='９').contains(&c);
            }
            if is_counted(c) {
                let c = c.to_ascii_lowercase();
                map.push((clean.len() as u32, i as u32, c));
                clean.push(c);
            }
        }
        (clean, map, number)
    }

    proptest::proptest! {
        #[test]
        fn clean_texts_copy_runs_as_chars_would_be_copied(
            texts in proptest::collection::vec("[您好，市长 热线OKok1２3〇零幺八！？\u{00e9}\u{1f600}\u{3400}\u{4dc0}\u{4dff}\u{4e00}\u{9fff}\u{a000}·]{0,16}", 1..4),
        ) {
            let all = CleanTexts::new(texts.iter().map(String::as_str));
            // Refilled over other texts' buffers: the same.
            let mut reused = CleanTexts::new(["您好，ＯＫ 12345", "再见"].into_iter());
            reused.refill(texts.iter().map(String::as_str));
            proptest::prop_assert_eq!(reused.len(), all.len());
            for k in 0..texts.len() {
                proptest::prop_assert_eq!(reused.get(k).clean, all.get(k).clean);
                proptest::prop_assert_eq!(reused.get(k).map, all.get(k).map);
                proptest::prop_assert_eq!(reused.get(k).char_set, all.get(k).char_set);
                proptest::prop_assert_eq!(reused.may_hold_number(k), all.may_hold_number(k));
            }
            for (k, t) in texts.iter().enumerate() {
                let (clean, map, number) = clean_char_by_char(t);
                let view = all.get(k);
                proptest::prop_assert_eq!(view.clean, clean.as_str());
                proptest::prop_assert_eq!(view.map, map.as_slice());
                proptest::prop_assert_eq!(view.may_hold_number(), number, "{}", t);
                proptest::prop_assert_eq!(all.may_hold_number(k), number, "{}", t);
                // The char set: every char of the text, punctuation included.
                let set = t.chars().fold(0, |s, c| s | char_bit(c));
                proptest::prop_assert_eq!(view.char_set, set, "{}", t);
                proptest::prop_assert_eq!(NormText::new(t).char_set, set);
                let one = NormText::new(t);
                proptest::prop_assert_eq!(&one.clean, &clean);
                proptest::prop_assert_eq!(&one.map, &map);
                // Refilled over another text's buffers, and without the map.
                let mut again = NormText::new("您好，ＯＫ 12345");
                again.refill(t);
                proptest::prop_assert_eq!(&again.clean, &clean);
                proptest::prop_assert_eq!(&again.map, &map);
                proptest::prop_assert_eq!(again.number, number);
                proptest::prop_assert_eq!(again.char_set, set);
                let mut alone = String::from("x");
                clean_to(t, &mut alone);
                proptest::prop_assert_eq!(&alone, &clean);
            }
        }

        #[test]
        fn the_in_place_table_is_the_two_row_table(p in "[您好市长热线请问]{0,12}", t in "[您好市长热线请问1]{0,20}", free in proptest::bool::ANY) {
            let (p, t): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            proptest::prop_assert_eq!(align_table(&p, &t, free), align_two_rows(&p, &t, free));
        }

        #[test]
        fn the_bit_parallel_alignment_is_the_table(
            p in "[您好市长热线请问a]{0,70}",
            t in "[您好市长热线请问1]{0,40}",
            free in proptest::bool::ANY,
        ) {
            let (p, t): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            proptest::prop_assert_eq!(align(&p, &t, free), align_two_rows(&p, &t, free));
            // Of a pattern's own pieces, where ties are frequent.
            let piece = &p[p.len() / 3..p.len() * 2 / 3];
            proptest::prop_assert_eq!(align(piece, &p, free), align_two_rows(piece, &p, free));
            proptest::prop_assert_eq!(align(&p, piece, free), align_two_rows(&p, piece, free));
        }
    }

    #[test]
    fn prefix_distance_ignores_trailing_text() {
        let (d, k) = prefix_distance(&chars("您好市长热线"), &chars("您好市长热线我是三号"));
        assert_eq!((d, k), (0, 6));
        let (d, _) = prefix_distance(&chars("您好市长热线"), &chars("您好市场热线"));
        assert_eq!(d, 1);
    }

    #[test]
    fn lcs_ignores_inserted_words() {
        assert_eq!(
            lcs_len(&chars("您好市长热线"), &chars("您好市长热线工号为您服务")),
            6
        );
        assert_eq!(lcs_len(&chars("您好市长热线"), &chars("市长热线您好")), 4);
    }

    #[test]
    fn substring_distance_finds_phrase_inside() {
        let (d, end) =
            substring_distance(&chars("感谢您的来电再见"), &chars("好的感谢您的来电再见"));
        assert_eq!((d, end), (0, 10));
    }
}
