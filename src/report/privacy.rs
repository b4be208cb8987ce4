//! Privacy and safety of what people open: callers' phone numbers and
//! names are masked (138****1234, 张**) unless `--show-pii`, the
//! directory's public numbers stay readable, and text that Excel would
//! take for a formula (= + - @ at the start) is made plain text.

use crate::lexicon::directory::Directory;
use crate::model::Ticket;

/// Masks a run of digits: keep the first 3 and last 4 of 11+ digits
/// (138****1234), the first 2 and last 2 otherwise.
pub fn mask_digits(d: &str) -> String {
    let n = d.chars().count();
    let (head, tail) = if n >= 11 {
        (3, 4)
    } else if n >= 7 {
        (2, 2)
    } else {
        (1, 1)
    };
    d.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// Masks a name: first character kept (张**).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks, in free text, every run of 7 or more digits that is not a
/// public number of the directory, and the ticket's caller name.
pub fn mask_text(text: &str, ticket: Option<&Ticket>, directory: &Directory) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    // Digits glued to ASCII letters are an id (GD20261127008), not a phone.
    let mut in_id = false;
    let flush = |run: &mut String, out: &mut String, in_id: bool| {
        if run.len() >= 7 && !in_id && !directory.contains_number(run) {
            out.push_str(&mask_digits(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    let mut prev = ' ';
    for c in text.chars() {
        if c.is_ascii_digit() {
            if run.is_empty() {
                in_id = prev.is_ascii_alphabetic();
            }
            run.push(c);
        } else {
            let glued = c.is_ascii_alphabetic();
            flush(&mut run, &mut out, in_id || glued);
            out.push(c);
        }
        prev = c;
    }
    flush(&mut run, &mut out, in_id);
    if let Some(t) = ticket {
        let name = t.caller_name.trim();
        if name.chars().count() >= 2 && name != "匿名" && out.contains(name) {
            out = out.replace(name, &mask_name(name));
        }
    }
    out
}

/// Makes a cell value safe to open in Excel: a value starting with
/// = + - @ (or a tab / carriage return) gets a leading apostrophe, so it is
/// shown as text and never run as a formula. Numbers (-3.5) are left alone.
pub fn excel_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && s.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_phone_numbers_but_not_directory_numbers() {
        let d = Directory::builtin();
        let t = mask_text("您的电话13912345678，自来水公司2618110，工号1024", None, &d);
        assert_eq!(t, "您的电话139****5678，自来水公司2618110，工号1024");
        let t = mask_text("工单 GD20261127008：缺少地点", None, &d);
        assert_eq!(t, "工单 GD20261127008：缺少地点");
    }

    #[test]
    fn masks_the_callers_name() {
        let d = Directory::builtin();
        let ticket = Ticket {
            caller_name: "张三丰".into(),
            ..Ticket::default()
        };
        assert_eq!(
            mask_text("张三丰先生您好", Some(&ticket), &d),
            "张**先生您好"
        );
        let anon = Ticket {
            caller_name: "匿名".into(),
            ..Ticket::default()
        };
        assert_eq!(mask_text("匿名反映", Some(&anon), &d), "匿名反映");
    }

    #[test]
    fn formulas_become_text() {
        assert_eq!(excel_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(excel_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(excel_safe("-3.5"), "-3.5");
        assert_eq!(excel_safe("您好"), "您好");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
    }
}
