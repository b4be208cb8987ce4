//! Writers of every output. This is the only code that knows the output
//! formats: the CSV files of spec §4 (`calls.csv`, `findings.csv`,
//! `tickets.csv`, `units.csv`, `rejects.csv`), the terminal summary and the
//! `explain` view of one call.
//!
//! Every file is written to a temporary name and renamed when it is
//! complete ([`AtomicFile`]); the folders of a run are written whole into a
//! staging folder and switched in at the end by [`crate::outdir`], so an
//! interrupted run never leaves a report that looks complete, nor mixes
//! its files with an earlier run's.

use std::fs::File;
use std::io::{BufWriter, Write};

use std::path::{Path, PathBuf};

pub mod aggregate;
pub mod csv_out;
pub mod explain;
pub mod html;
pub mod parquet;
pub mod privacy;
pub mod repeats;
pub mod risk;
pub mod xlsx;

/// The language of sheet and column titles in the human-facing reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// Writes the aggregate reports of one or more runs into `out`:
/// operators.csv, teams.csv, norms.csv, daily.csv, trend_operators.csv,
/// trend_units.csv, report.xlsx, report.html (and units.csv when
/// `with_units`, for `hotline-qa report`). Returns the figures. The repeat
/// links of the runs are `linked` when the caller has them (`score` wrote
/// repeats.csv from them already), else read from the runs and written
/// to repeats.csv here.
pub fn build_reports(
    runs: &[PathBuf],
    out: &Path,
    config: &crate::config::Config,
    lang: Lang,
    with_units: bool,
    linked: Option<&crate::workflow::repeats::Linked>,
) -> anyhow::Result<aggregate::ReportData> {
    std::fs::create_dir_all(out).map_err(|e| {
        anyhow::anyhow!(
            "{}：无法创建输出文件夹：{}",
            out.display(),
            crate::messages::io_zh(&e)
        )
    })?;
    let t0 = std::time::Instant::now();
    let timing = std::env::var_os("HOTLINE_QA_TIMING").is_some();
    // report.xlsx's detail sheets are written on their own thread while
    // the figures are aggregated: each is about a third of the reports' time.
    let mut book = xlsx::Book::new()?;
    let blank = book.detail_sheets();
    let (data, details) = std::thread::scope(|s| {
        let details = std::thread::Builder::new()
            .name("hq-xlsx".into())
            .spawn_scoped(s, || xlsx::write_details(blank, runs, lang))
            .map_err(|e| anyhow::anyhow!("无法启动写报表的线程，请关闭其他程序后重试（cannot start the workbook thread: {e}）"))?;
        let data = aggregate::aggregate(
            runs,
            config,
            config.reports.min_calls_for_rank,
            config.reports.worst_calls,
        );
        if timing {
            eprintln!(
                "[timing]   aggregate: {:.2} s {}",
                t0.elapsed().as_secs_f64(),
                crate::run::peak_memory()
            );
        }
        let details = details.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "程序内部错误：写报表的线程崩溃，请把命令和输入报告给维护者（internal error: the workbook thread panicked）"
            ))
        });
        anyhow::Ok((data?, details?))
    })?;
    let mut data = data;
    data.first_calls = match linked {
        Some(l) => l.first_calls(),
        None => {
            let l = repeats::load(runs, config.repeats.window_days)?;
            csv_out::write_repeats(out, &l)?;
            l.first_calls()
        }
    };
    csv_out::write_report_csvs(out, &data, with_units)?;
    let (guard, writer) = AtomicFile::create(out, "report.xlsx")?;
    drop(writer);
    let tmp = guard.tmp.clone();
    book.finish(&tmp, &data, details, config, lang)?;
    if timing {
        eprintln!(
            "[timing]   xlsx: {:.2} s {}",
            t0.elapsed().as_secs_f64(),
            crate::run::peak_memory()
        );
    }
    guard.commit_existing()?;
    let (guard, mut writer) = AtomicFile::create(out, "report.html")?;
    writer.write_all(html::render(&data, config, lang).as_bytes())?;
    guard.commit(writer)?;
    Ok(data)
}

/// `hotline-qa report`: combines `runs` into the output folder `out`,
/// written whole or not at all ([`crate::outdir`]). `out` must not be,
/// hold or lie in one of the runs.
pub fn report_runs(
    runs: &[PathBuf],
    out: &Path,
    config: &crate::config::Config,
    lang: Lang,
) -> anyhow::Result<aggregate::ReportData> {
    let given: Vec<(&Path, &str)> = runs.iter().map(|r| (r.as_path(), "运行文件夹")).collect();
    crate::outdir::check_inputs(out, &given)?;
    let dir =
        crate::outdir::OutDir::begin(out, crate::outdir::RUN_FILES, crate::outdir::Mode::Replace)?;
    let data = build_reports(runs, dir.path(), config, lang, true, None)?;
    dir.commit()?;
    Ok(data)
}

/// A file written under a temporary name and renamed into place by
/// [`AtomicFile::commit`]; dropped without commit, the partial file is removed.
pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates `dir/.name.PID.partial` and returns a buffered writer to it
    /// (the PID: two processes writing the same file, such as two `sample`
    /// runs, never share a temporary file).
    pub fn create(dir: &Path, name: &str) -> anyhow::Result<(AtomicFile, BufWriter<File>)> {
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.{}.partial", std::process::id()));
        let file = File::create(&tmp).map_err(|e| {
            anyhow::anyhow!(
                "{}：无法写入：{}",
                tmp.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        Ok((
            AtomicFile {
                tmp,
                target,
                committed: false,
            },
            BufWriter::with_capacity(256 * 1024, file),
        ))
    }

    /// Flushes `writer` and renames the file to its final name.
    pub fn commit(self, mut writer: BufWriter<File>) -> anyhow::Result<PathBuf> {
        writer.flush().map_err(|e| {
            anyhow::anyhow!(
                "{}：无法写入：{}",
                self.tmp.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        drop(writer);
        self.commit_existing()
    }

    /// Renames the temporary file, written by another library, into place.
    pub fn commit_existing(mut self) -> anyhow::Result<PathBuf> {
        std::fs::rename(&self.tmp, &self.target).map_err(|e| {
            anyhow::anyhow!(
                "{}：无法改名为 {}：{}",
                self.tmp.display(),
                self.target.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Formats a number with at most two decimals and no trailing zeros
/// (100, 83.33, 2.5), the way every output writes scores and points.
pub fn num(x: f64) -> String {
    let mut out = String::new();
    num_to(x, &mut |s| out.push_str(s));
    out
}

/// Appends `x` as [`num`] prints it.
pub fn num_into(x: f64, out: &mut Vec<u8>) {
    num_to(x, &mut |s| out.extend_from_slice(s.as_bytes()));
}

/// Writes the decimal digits of `n` into `buf` so that they end just
/// before `end`, and returns where they start (`buf` must have room: 20
/// bytes hold any `u64`).
pub(crate) fn digits_before(buf: &mut [u8], mut end: usize, mut n: u64) -> usize {
    loop {
        end -= 1;
        buf[end] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return end;
        }
    }
}

fn num_to(x: f64, put: &mut dyn FnMut(&str)) {
    // Nearly every number written is whole or has at most two decimals
    // (points, scores rounded to 0.01, times to 0.1 s): printed from the
    // integer number of hundredths, exactly as `{:.2}` would, digit by
    // digit without the formatter. Anything else (83.3333) takes it.
    let cents = (x * 100.0).round();
    if cents.abs() < 1e15 && (cents / 100.0 - x).abs() < 1e-9 {
        let c = cents as i64;
        let (whole, frac) = (c.unsigned_abs() / 100, c.unsigned_abs() % 100);
        // "-", up to 13 digits, ".", 2 digits.
        let mut buf = [0u8; 24];
        let mut end = buf.len();
        if frac != 0 {
            if frac % 10 != 0 {
                end -= 1;
                buf[end] = b'0' + (frac % 10) as u8;
            }
            end -= 1;
            buf[end] = b'0' + (frac / 10) as u8;
            end -= 1;
            buf[end] = b'.';
        }
        end = digits_before(&mut buf, end, whole);
        if c < 0 {
            end -= 1;
            buf[end] = b'-';
        }
        put(std::str::from_utf8(&buf[end..]).unwrap_or("0"));
        return;
    }
    let s = format!("{:.2}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    put(if s == "-0" { "0" } else { s });
}

/// Formats a rate (0..1) with four decimals, or empty when undefined.
pub fn rate(x: Option<f64>) -> String {
    x.map(|v| format!("{:.4}", v)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(100.0), "100");
        assert_eq!(num(83.3333), "83.33");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-12.5), "-12.5");
        assert_eq!(num(-0.07), "-0.07");
        assert_eq!(num(1e13), "10000000000000");
    }

    proptest::proptest! {
        /// The digit-by-digit path prints what the float formatter prints.
        #[test]
        fn num_is_the_formatters_two_decimals(cents in -1_000_000_000_000i64..1_000_000_000_000, whole in proptest::bool::ANY) {
            let x = if whole { (cents / 100) as f64 } else { cents as f64 / 100.0 };
            let f = format!("{x:.2}");
            let f = f.trim_end_matches('0').trim_end_matches('.');
            let expect = if f == "-0" { "0" } else { f };
            proptest::prop_assert_eq!(num(x), expect);
        }
    }

    /// The formatter alone: what `num` must equal.
    fn num_reference(x: f64) -> String {
        let s = format!("{:.2}", x);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }

    #[test]
    fn the_fast_path_prints_what_the_formatter_prints() {
        let mut xs: Vec<f64> = vec![0.0, -0.0, 0.005, 0.015, 0.125, -0.125, 1e15, 1e17, f64::NAN];
        for k in -20_000..20_000 {
            xs.push(k as f64 / 100.0);
            xs.push(k as f64 / 10.0);
            xs.push(k as f64 / 3.0);
            xs.push(k as f64 * 0.07);
            xs.push(k as f64 / 100.0 + 0.005);
        }
        // Scores as the scorer rounds them.
        for got in 0..=100 {
            for possible in [60.0, 65.0, 75.0, 85.0, 100.0] {
                let s = got as f64 / possible * 100.0;
                xs.push((s * 100.0).round() / 100.0);
            }
        }
        for x in xs {
            assert_eq!(num(x), num_reference(x), "{x:?}");
        }
    }
}
