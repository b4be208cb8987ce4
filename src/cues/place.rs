//! Proper place names the caller says (spec §2.1 `ticket.place_missing`):
//! a name ending in one of the suffixes of `lexicons/place_suffixes.txt`
//! (小区, 花园, 苑, 路, 街, 村, 医院, 号楼 …), with its distinctive part,
//! the chars before the suffix (长青 of 长青小区, 建设 of 建设路, 3 of
//! 3号楼), which a ticket that records the place must hold.
//!
//! The distinctive part is walked back from the suffix over letters and
//! digits, and stops at punctuation or a space, at a char that is rarely
//! part of a name (的, 在, 住, 是, 这, 那, 个, 条, 我, 们 …), at 区/市/县/省
//! (西城区长青小区 → 长青), and after a word that places a name rather
//! than being one (楼下, 附近, 旁边, 对面 …: 我们家楼下长青小区 → 长青). It
//! is kept when it has at least two chars (号楼: at least one digit), so
//! that 马路上, 这条路, 小区里, 进城, 学校的老师 name no place; the
//! suffix lexicon's exclusion contexts drop a suffix inside a common word
//! (城管, 城市, 政府, 路灯, 农村).

use std::sync::OnceLock;

use super::{builtin, counted_chars, find, Span};
use crate::lexicon::Lexicon;

pub(super) const SUFFIXES: &str = include_str!("../../lexicons/place_suffixes.txt");
pub(super) const NAME_WORDS: &str = include_str!("../../lexicons/place_names.txt");

/// A place name the caller says.
///
/// White space inside the name (长青 小区, as ASR may write it) is part of
/// the spans and left out of `distinctive`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The distinctive part, as said (长青, 建设, 3).
    pub distinctive: String,
    /// The suffix, as the lexicon writes it (小区, 路).
    pub suffix: String,
    /// Where the whole name stands in the original text.
    pub span: Span,
    /// Where the distinctive part stands in the original text.
    pub distinctive_span: Span,
}

fn suffix_lexicon() -> Option<&'static Lexicon> {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    builtin(&CELL, SUFFIXES, "place_suffixes.txt")
}

/// Words of a name that hold a stop char (和平, 向阳, 太平, 前进, 都市:
/// `lexicons/place_names.txt`): without them 和平街 read as 平街, one char
/// of name, and was dropped, so a ticket that left 和平街 out was not
/// caught and two tickets about 和平街 were linked by their matter only.
fn name_word_lexicon() -> Option<&'static Lexicon> {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    builtin(&CELL, NAME_WORDS, "place_names.txt")
}

/// Chars that end the walk back: they are rarely part of a name.
const STOP_CHARS: &[char] = &[
    '的', '在', '住', '是', '到', '去', '了', '个', '这', '那', '条', '段', '我', '你', '您', '他',
    '她', '它', '们', '从', '往', '就', '说', '和', '跟', '与', '对', '把', '被', '给', '向', '叫',
    '要', '想', '也', '都', '还', '又', '再', '很', '太', '啥', '哪', '么', '区', '市', '县', '省',
    '吗', '呢', '吧', '啊', '呀', '哦', '嗯', '有', '没', '不', '找',
    // Verbs before a common noun: 问问社区, 让车进小区, 已经送医院,
    // 拉到医院, 带孩子逛公园.
    '问', '让', '进', '送', '带', '拉', '抬', '搬', '逛',
    // Measure words after a numeral or 这/那: 一座桥, 一所学校.
    '座', '所',
];

/// Parts that are a kind of place, not a name: 健身广场, 街心公园,
/// 露天市场 name no place a unit could find. Only the whole part: 人民健身
/// 广场 keeps 人民健身.
const KIND_PARTS: &[&str] = &[
    "健身",
    "休闲",
    "露天",
    "临时",
    "停车",
    "街心",
    "步行",
    "地下",
    "附属",
    "私立",
    "公立",
    "民办",
    "立交",
    "人行",
    "过街",
    "人行天",
];

/// Words after which a name starts: they locate a place (楼下长青小区),
/// or say who, not where (孩子学校).
const STOP_WORDS: &[&str] = &[
    "楼下",
    "楼上",
    "附近",
    "周边",
    "周围",
    // One of a kind, not a name: 一家超市, 这家商场.
    "一家",
    "这家",
    "那家",
    "哪家",
    "旁边",
    "对面",
    "门口",
    "隔壁",
    "那边",
    "这边",
    "里面",
    "外面",
    "后面",
    "前面",
    "孩子",
    "小孩",
    "老人",
    "家里",
    "位于",
    "就是",
    "一下",
    "现在",
    "今天",
    "昨天",
    "刚才",
    // Kinds, not names: 老旧小区, 其他小区.
    "老旧",
    "高档",
    "新建",
    "普通",
    "别的",
    "其他",
    "同一",
    // How a ticket's content opens (来电人反映城东区…, 市民称…): who
    // reports, not where; without them the 城 of 城东区 read
    // 来电人反映 as a place's name and linked unrelated tickets.
    "来电人",
    "来电",
    "市民",
    "反映",
    "投诉",
    "举报",
    "咨询",
    "表示",
];

/// [`STOP_WORDS`] as chars, made once: every ticket's content is read
/// for places when repeat calls are linked.
fn stop_words() -> &'static [Vec<char>] {
    static CELL: OnceLock<Vec<Vec<char>>> = OnceLock::new();
    CELL.get_or_init(|| STOP_WORDS.iter().map(|w| w.chars().collect()).collect())
}

/// At most this many chars of distinctive part (东方明珠花园 holds 4).
const MAX_PART: usize = 8;

/// Every proper place name in `text`, in text order.
pub fn places(text: &str) -> Vec<Place> {
    places_at(text, find(suffix_lexicon(), text))
}

/// As [`places`], with `text`'s clean form already made (`clean` must be
/// the clean form of `text`, as [`crate::text::CleanTexts`] holds it).
pub fn places_clean(text: &str, clean: crate::text::CleanText<'_>) -> Vec<Place> {
    let hits = suffix_lexicon().map_or_else(Vec::new, |l| l.find_clean(text, clean));
    places_at(text, hits)
}

/// The place names that end in the suffixes `hits` found in `text`.
fn places_at(text: &str, hits: Vec<crate::lexicon::Hit<'static>>) -> Vec<Place> {
    if hits.is_empty() {
        return Vec::new();
    }
    let chars = counted_chars(text);
    // The bytes inside a name word (和平 of 和平街), where a stop char
    // does not end the name.
    let name_words: Vec<(usize, usize)> = find(name_word_lexicon(), text)
        .iter()
        .map(|w| (w.start, w.end))
        .collect();
    let in_name_word = |o: usize| name_words.iter().any(|&(a, b)| a <= o && o < b);
    let mut out = Vec::new();
    for h in hits {
        // The counted char where the suffix starts.
        let Ok(s) = chars.binary_search_by_key(&h.start, |&(o, _)| o) else {
            continue;
        };
        let numbered = h.entry == "号楼";
        let mut from = s;
        while from > 0 && s - from < MAX_PART {
            let (o, c) = chars[from - 1];
            // Punctuation between two counted chars ends a name; white
            // space does not (ASR may write 长青 小区).
            let po = chars[from].0;
            if text
                .get(o + c.len_utf8()..po)
                .is_none_or(|g| !g.chars().all(char::is_whitespace))
            {
                break;
            }
            // The end of a name read before ends this one: 青年路幸福巷 is
            // 青年路 and 幸福巷, not a place called 青年路幸福.
            if out
                .last()
                .is_some_and(|p: &Place| p.span.end == o + c.len_utf8())
            {
                break;
            }
            let fits = if numbered {
                c.is_ascii_digit()
                    || ('０'..='９').contains(&c)
                    || crate::text::is_numeral(c)
                    || matches!(c, '十' | '百' | '两')
            } else {
                c.is_alphanumeric() && (!STOP_CHARS.contains(&c) || in_name_word(o))
            };
            if !fits {
                break;
            }
            from -= 1;
        }
        // Cut after the last stop word inside the part.
        let part: Vec<char> = chars[from..s].iter().map(|&(_, c)| c).collect();
        let mut cut = 0;
        for w in stop_words() {
            for i in (0..part.len().saturating_sub(w.len() - 1)).rev() {
                if part[i..].starts_with(w) {
                    cut = cut.max(i + w.len());
                    break;
                }
            }
        }
        let from = from + cut;
        let len = s - from;
        if len < if numbered { 1 } else { 2 } {
            continue;
        }
        let whole: String = chars[from..s].iter().map(|&(_, c)| c).collect();
        if KIND_PARTS.contains(&whole.as_str()) {
            continue;
        }
        // 26路, 坐26路, 二十六路: a bus route, not a place (经三路, a
        // road named with a numeral, stays one).
        let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
        let route = h.entry == "路"
            && (s > 0 && digit(chars[s - 1].1)
                || chars[from..s].iter().all(|&(_, c)| {
                    digit(c) || crate::text::is_numeral(c) || matches!(c, '十' | '百' | '两')
                }));
        if route {
            continue;
        }
        let start = chars[from].0;
        out.push(Place {
            distinctive: text
                .get(start..h.start)
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect(),
            suffix: h.entry.to_string(),
            span: Span { start, end: h.end },
            distinctive_span: Span {
                start,
                end: h.start,
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, String)> {
        places(text)
            .into_iter()
            .map(|p| (p.distinctive, p.suffix))
            .collect()
    }

    #[test]
    fn proper_place_names_are_read_with_their_distinctive_part() {
        for (text, part, suffix) in [
            ("我住在长青小区", "长青", "小区"),
            ("建设路上有个坑", "建设", "路"),
            ("西城区长青小区3号楼", "长青", "小区"),
            ("我们家楼下长青小区门口", "长青", "小区"),
            ("阳光花园的路灯坏了", "阳光", "花园"),
            ("东方明珠花园", "东方明珠", "花园"),
            ("人民公园旁边", "人民", "公园"),
            ("解放大街", "解放", "大街"),
            ("王家村的村民", "王家", "村"),
            ("东门菜市场", "东门", "菜市场"),
            ("实验小学门口", "实验", "小学"),
            ("市第一人民医院", "第一人民", "医院"),
            ("万达广场", "万达", "广场"),
            ("锦绣苑", "锦绣", "苑"),
            ("长青社区医院", "长青", "社区医院"),
            ("我家住在 长青 小区", "长青", "小区"),
            // A name word holds a char that otherwise ends the name.
            ("和平街菜店门口", "和平", "街"),
            ("和平街", "和平", "街"),
            ("来电人反映和平街路灯损坏", "和平", "街"),
            ("我住向阳小区", "向阳", "小区"),
            ("太平路口", "太平", "路"),
            ("在前进路上", "前进", "路"),
            ("都市花园", "都市", "花园"),
            ("万和城", "万和", "城"),
            ("人民健身广场", "人民健身", "广场"),
            ("华联超市门口", "华联", "超市"),
            ("万达商场三楼", "万达", "商场"),
            ("城南火车站出站口", "城南", "火车站"),
            ("师范大学东门", "师范", "大学"),
            ("解放桥下面", "解放", "桥"),
        ] {
            let got = read(text);
            assert!(
                got.contains(&(part.to_string(), suffix.to_string())),
                "{text}: {got:?}"
            );
        }
    }

    #[test]
    fn a_building_number_is_the_distinctive_part_of_hao_lou() {
        let got = read("长青小区3号楼");
        assert!(got.contains(&("3".into(), "号楼".into())), "{got:?}");
        let got = read("住在十二号楼");
        assert!(got.contains(&("十二".into(), "号楼".into())), "{got:?}");
    }

    #[test]
    fn the_opening_of_a_tickets_content_is_no_place_name() {
        // 城 of 城东区 is a suffix; what stands before it is who reports.
        for text in [
            "来电人反映城东区和平里小区南门垃圾桶多日无人清运",
            "市民称城东区阳光新城8号楼电梯故障",
            "来电人投诉城西区烧烤油烟",
        ] {
            assert!(
                read(text).iter().all(|(d, _)| !d.contains("反映")
                    && !d.contains("来电")
                    && !d.contains("市民")
                    && !d.contains("投诉")),
                "{text}: {:?}",
                read(text)
            );
        }
        // Must still read: the name after the opening.
        assert!(read("来电人反映长青小区3号楼漏水")
            .iter()
            .any(|(d, s)| d == "长青" && s == "小区"));
    }

    #[test]
    fn words_that_name_no_place_are_not_read() {
        for text in [
            "马路上全是水",
            "这条路太堵了",
            "小区里没人管",
            "我们小区",
            "这个小区的物业",
            "城管不管",
            "城市管理",
            "他们城管来了",
            "文明城市",
            "学校的老师说",
            "孩子学校",
            "进城了",
            "区政府",
            "人民政府",
            "我家楼下的路灯坏了",
            "在医院",
            "去公园",
            "农村",
            "高速公路上",
            "附近的广场",
            "回家路上摔了",
            "老旧小区改造",
            "其他小区都有",
            "隔壁村的人",
            "社区医院",
            "几号楼",
            "我们 小区",
            "长青，小区",
            // A 街道 is an area like 区; a verb before a common noun.
            "临江区，在江南街道那边",
            "我去问问社区",
            "就是二十六路，从高新区到火车站的",
            "坐26路公交",
            // A verb and 路 (堵路, 修路) is what happens on a road; a verb
            // before a common noun (送医院); a kind of place (健身广场).
            "想反映一下学校门口接送车堵路",
            "我们准备明天去堵路",
            "前面在修路",
            "已经送医院了",
            "赶紧拉到医院",
            "翠湖那边的健身广场",
            "街心公园",
            "露天市场",
            "前面那个十字路口",
            "孩子考上大学了",
            "楼下超市",
            "去商场买东西",
            "立交桥底下",
            "人行天桥上",
            "附近有一家超市",
            "一座桥塌了",
            "周边小区都停水了",
            "所有小区都一样",
        ] {
            assert_eq!(read(text), Vec::<(String, String)>::new(), "{text}");
        }
        assert_eq!(read("经三路"), vec![("经三".to_string(), "路".to_string())]);
        assert_eq!(
            read("物业说不交就不让车进小区"),
            Vec::<(String, String)>::new()
        );
    }

    #[test]
    fn a_name_right_after_another_is_a_place_of_its_own() {
        for (text, want) in [
            ("青年路幸福巷口", vec![("青年", "路"), ("幸福", "巷")]),
            ("解放路人民医院门口", vec![("解放", "路"), ("人民", "医院")]),
            ("南京路步行街", vec![("南京", "路")]),
            ("建国路小学", vec![("建国", "路")]),
            // Must not: a suffix that made no name does not cut the next.
            ("古城村", vec![("古城", "村")]),
            ("长青小区3号楼", vec![("长青", "小区"), ("3", "号楼")]),
        ] {
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(read(text), want, "{text}");
        }
    }

    #[test]
    fn a_conjunction_before_a_name_is_not_part_of_it() {
        assert_eq!(
            read("长青小区和解放路"),
            vec![
                ("长青".to_string(), "小区".to_string()),
                ("解放".to_string(), "路".to_string())
            ]
        );
        assert_eq!(
            read("长青小区和和平街"),
            vec![
                ("长青".to_string(), "小区".to_string()),
                ("和平".to_string(), "街".to_string())
            ]
        );
    }

    #[test]
    fn spans_are_the_originals() {
        let text = "喂，我家住 长青小区，建设路那边";
        let got = places(text);
        assert_eq!(got[0].span.of(text), "长青小区");
        assert_eq!(got[0].distinctive_span.of(text), "长青");
        assert_eq!(got[1].span.of(text), "建设路");
    }
}
