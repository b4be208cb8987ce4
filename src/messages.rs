//! Messages for people who are not programmers: the Chinese wording of the
//! errors that come from the standard library and from serde, so that every
//! message a user sees is Chinese first, says what to do, and keeps the
//! original English in parentheses for the logs.
//!
//! The program's own messages are written in Chinese where they are raised;
//! this module only translates what other code (the operating system,
//! serde, toml) says.

use std::io;

/// What an I/O error means, in Chinese, with what to do, then the
/// original error in parentheses: `文件或文件夹不存在，请检查路径是否写对（No such file or directory (os error 2)）`.
pub fn io_zh(e: &io::Error) -> String {
    let what = match e.kind() {
        io::ErrorKind::NotFound => "文件或文件夹不存在，请检查路径是否写对",
        io::ErrorKind::PermissionDenied => "没有权限，请检查文件或文件夹的权限，或换一个位置",
        io::ErrorKind::AlreadyExists => "已经存在同名的文件或文件夹，请换一个名字或先移走它",
        io::ErrorKind::StorageFull => "磁盘已满，请清理磁盘空间或换一个输出位置后重试",
        io::ErrorKind::QuotaExceeded => "超过了磁盘配额，请清理空间或换一个输出位置后重试",
        io::ErrorKind::ReadOnlyFilesystem => "这个位置是只读的，请换一个可以写入的位置",
        io::ErrorKind::NotADirectory => "路径里有一段不是文件夹（是一个文件），请检查路径",
        io::ErrorKind::IsADirectory => "这是一个文件夹，这里需要的是文件，请给出文件的路径",
        io::ErrorKind::DirectoryNotEmpty => "文件夹不是空的",
        io::ErrorKind::InvalidData => "文件内容无法读取（编码不对或文件已损坏），请检查文件",
        io::ErrorKind::UnexpectedEof => "文件在中途断了（不完整或已损坏），请重新导出",
        io::ErrorKind::BrokenPipe => "接收输出的程序已经关闭",
        io::ErrorKind::Interrupted => "操作被中断，请重试",
        io::ErrorKind::OutOfMemory => "内存不足，请关闭其他程序后重试",
        io::ErrorKind::CrossesDevices => "不能跨磁盘改名，请把输出目录放在同一块磁盘上",
        io::ErrorKind::ResourceBusy => {
            "文件正被其他程序占用，请关闭它（例如在 Excel 里打开的表）后重试"
        }
        io::ErrorKind::ExecutableFileBusy => "文件正被其他程序占用，请关闭它后重试",
        io::ErrorKind::FileTooLarge => "文件太大，超过了文件系统允许的大小",
        _ => match e.raw_os_error() {
            // ENOSPC / EDQUOT / EROFS when the kind is not mapped on this platform.
            Some(28) => "磁盘已满，请清理磁盘空间或换一个输出位置后重试",
            Some(122) => "超过了磁盘配额，请清理空间或换一个输出位置后重试",
            Some(30) => "这个位置是只读的，请换一个可以写入的位置",
            Some(20) => "路径里有一段不是文件夹（是一个文件），请检查路径",
            Some(21) => "这是一个文件夹，这里需要的是文件，请给出文件的路径",
            Some(36) => "文件名太长，请换一个短一些的名字",
            _ => "读写文件时出错，请检查文件和磁盘",
        },
    };
    format!("{what}（{e}）")
}

/// An I/O error as an `anyhow` error whose text is Chinese first: `{path}：{doing}失败：{io_zh}`.
/// `doing` is what the program was trying, e.g. `创建输出文件夹`.
pub fn io_error(path: &std::path::Path, doing: &str, e: &io::Error) -> anyhow::Error {
    anyhow::anyhow!("{}：{doing}失败：{}", path.display(), io_zh(e))
}

/// A type name in serde's words (`u64`, `a string`, `a boolean`, `struct X`)
/// in the words of a scorecard author.
fn expected_zh(t: &str) -> String {
    let t = t.trim().trim_matches('`');
    let bare = t.trim_start_matches("a ").trim_start_matches("an ").trim();
    match bare {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            "不小于 0 的整数（不加引号，如 3）".into()
        }
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "integer" => {
            "整数（不加引号，如 3）".into()
        }
        "f32" | "f64" | "float" | "floating point" | "number" => "数字（不加引号，如 0.75）".into(),
        "string" | "borrowed string" | "str" | "char" | "path" | "path string" => {
            "文字（加英文双引号，如 \"2026-11\"）".into()
        }
        "boolean" | "bool" => "true 或 false（不加引号）".into(),
        "sequence" | "array" | "list" => "列表（如 [\"taboo.blame\"]）".into(),
        "map" => "一张表（[节名] 或 { 键 = 值 }）".into(),
        _ if bare.starts_with("struct ") => "一张表（[节名] 或 { 键 = 值 }）".into(),
        _ if bare.starts_with("map") => "一张表（[节名] 或 { 键 = 值 }）".into(),
        _ if bare.starts_with("sequence") => "列表（如 [\"a\", \"b\"]）".into(),
        _ => bare.to_string(),
    }
}

/// A value in serde's words (`string "3"`, `integer `3``, `boolean `true``)
/// in a scorecard author's words.
fn found_zh(v: &str) -> String {
    let v = v.trim();
    let (kind, rest) = v.split_once(' ').unwrap_or((v, ""));
    let rest = rest.trim().trim_matches('`');
    match kind {
        "string" => format!("文字 {rest}"),
        "integer" => format!("整数 {rest}"),
        "floating" => format!(
            "小数 {}",
            rest.trim_start_matches("point").trim().trim_matches('`')
        ),
        "boolean" => format!("布尔值 {rest}"),
        "sequence" => "列表".into(),
        "map" => "一张表".into(),
        "unit" => "空值".into(),
        "character" => format!("字符 {rest}"),
        _ => v.to_string(),
    }
}

/// serde's and toml's error messages in Chinese, the original kept in
/// parentheses: `invalid type: string "3", expected u64` becomes
/// `应为不小于 0 的整数（不加引号，如 3），写的是文字 "3"（invalid type: …）`.
pub fn serde_zh(message: &str) -> String {
    let m = message.trim();
    let first = m.lines().next().unwrap_or(m).trim();
    let zh = if let Some(rest) = first
        .strip_prefix("invalid type: ")
        .or_else(|| first.strip_prefix("invalid value: "))
    {
        match rest.rsplit_once(", expected ") {
            Some((found, expected)) => {
                format!("应为{}，写的是{}", expected_zh(expected), found_zh(found))
            }
            None => "值的类型不对".into(),
        }
    } else if let Some(rest) = first.strip_prefix("unknown field ") {
        let (name, known) = match rest.split_once(", expected ") {
            Some((n, k)) => (n, Some(k)),
            None => (rest, None),
        };
        let name = name.trim().trim_matches('`');
        match known {
            Some(k) => {
                let k = k.trim_start_matches("one of ").replace('`', "");
                format!("没有 {name} 这个键，请检查拼写（这里可以写的键：{k}）")
            }
            None => format!("没有 {name} 这个键，请检查拼写，或删掉这一行"),
        }
    } else if let Some(rest) = first.strip_prefix("unknown variant ") {
        let (name, known) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let known = known.trim_start_matches("one of ").replace('`', "");
        format!(
            "{} 不是可选的值（可选：{known}）",
            name.trim().trim_matches('`')
        )
    } else if let Some(rest) = first.strip_prefix("missing field ") {
        format!("缺少必填的键 {}", rest.trim().trim_matches('`'))
    } else if let Some(rest) = first.strip_prefix("duplicate field ") {
        format!("键 {} 写了两次，请删掉一个", rest.trim().trim_matches('`'))
    } else if first.starts_with("duplicate key") {
        "同一个键写了两次，请删掉一个".into()
    } else if first.starts_with("invalid length") {
        "列表的长度不对".into()
    } else {
        "TOML 格式不对（常见原因：文字没加英文双引号、少了 = 号、节名 [..] 写错），请对照 hotline-qa config 的写法修改".into()
    };
    format!("{zh}（{first}）")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_kinds_read_in_chinese() {
        let cases = [
            (io::ErrorKind::NotFound, "文件或文件夹不存在"),
            (io::ErrorKind::PermissionDenied, "没有权限"),
            (io::ErrorKind::AlreadyExists, "已经存在"),
            (io::ErrorKind::StorageFull, "磁盘已满"),
        ];
        for (kind, zh) in cases {
            let s = io_zh(&io::Error::from(kind));
            assert!(s.starts_with(zh), "{kind:?}: {s}");
        }
        // The raw OS error (disk full) is recognised even by number, and
        // the English is kept for the logs.
        let s = io_zh(&io::Error::from_raw_os_error(28));
        assert!(s.starts_with("磁盘已满"), "{s}");
        assert!(s.contains("os error 28"), "{s}");
        // Must not: an unknown kind still reads Chinese.
        let s = io_zh(&io::Error::other("boom"));
        assert!(s.starts_with("读写文件时出错"), "{s}");
    }

    #[test]
    fn serde_type_errors_read_in_chinese() {
        assert_eq!(
            serde_zh("invalid type: string \"3\", expected u64"),
            "应为不小于 0 的整数（不加引号，如 3），写的是文字 \"3\"（invalid type: string \"3\", expected u64）"
        );
        let s = serde_zh("invalid type: integer `80`, expected a string");
        assert!(s.starts_with("应为文字"), "{s}");
        assert!(s.contains("写的是整数 80"), "{s}");
        let s = serde_zh("unknown field `max_cmp`, expected one of `points`, `max_cpm`");
        assert!(s.starts_with("没有 max_cmp 这个键"), "{s}");
        assert!(s.contains("points, max_cpm"), "{s}");
        let s = serde_zh("invalid string\nexpected `\"`");
        assert!(s.starts_with("TOML 格式不对"), "{s}");
    }
}
