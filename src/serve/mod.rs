//! `hotline-qa serve`: the QA workbench, a web server in the same binary.
//!
//! - [`db`]: the SQLite file (accounts, sessions, audit log, imported
//!   calls and findings, reviews) and the import of `score` run folders.
//! - [`auth`]: roles, argon2 password hashes, sessions, the login rate limit.
//! - [`web`]: the single request entry point (session, CSRF and role
//!   checks, security headers) and the pages.
//! - [`detail`]: one call's dialogue read from the run's inputs and scored
//!   again with the workbench's reviews.
//! - [`appeals`]: the appeal chain (operator → team lead → QA lead) and the
//!   reviews export that carries it.
//! - [`queue`]: the review queue and the daily sampling plan.
//! - [`rank`]: the operator and team ranking on reviewed scores.
//! - [`sources`]: where each call's line and ticket are in those inputs,
//!   recorded at import, so that a call is opened without scanning them.
//! - [`list`]: a page of the call list, read by keyset.
//! - [`stats`]: the list's indexes and the per-day summary 概览 reads.

pub mod appeals;
pub mod auth;
pub mod db;
pub mod detail;
pub mod list;
pub mod queue;
pub mod rank;
pub mod sources;
pub mod stats;
pub mod web;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

pub use auth::Role;

/// Read-only database connections beside the one that writes.
const READERS: usize = 2;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The database file.
    pub db: PathBuf,
    /// The folder of `score` runs to watch.
    pub runs: Option<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Mark cookies `Secure` (behind a TLS reverse proxy).
    pub secure_cookies: bool,
    /// How often the runs folder is looked at.
    pub poll: Duration,
    /// Session idle timeout.
    pub idle: Duration,
    /// Session absolute lifetime.
    pub absolute: Duration,
    /// The appeal window and the daily sampling plan.
    pub workflow: appeals::Settings,
}

impl ServeOptions {
    /// The defaults for a database file.
    pub fn new(db: PathBuf) -> ServeOptions {
        ServeOptions {
            db,
            runs: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8345)),
            secure_cookies: false,
            poll: Duration::from_secs(30),
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            workflow: appeals::Settings::default(),
        }
    }
}

/// Creates an account from the command line. With `password` None a
/// one-time password is made (and returned, to be printed); the account
/// must change it at first login.
pub fn add_user(
    db_path: &Path,
    name: &str,
    role: Role,
    operator_id: &str,
    team: &str,
    password: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let conn = db::open(db_path)?;
    let (pw, otp) = match password {
        Some(p) => (p.to_string(), None),
        None => {
            let p = auth::one_time_password()?;
            (p.clone(), Some(p))
        }
    };
    auth::add_user(&conn, name, role, operator_id, team, &pw, otp.is_some())?;
    db::audit(
        &conn,
        "(命令行)",
        "user_created",
        "",
        &format!("{name} {}", role.key()),
        "local",
    )?;
    Ok(otp)
}

/// Imports the pending runs once, printing a line for each.
fn import_now(conn: &mut rusqlite::Connection, runs: &Path) {
    match db::import_pending(conn, runs) {
        Ok(lines) => {
            for l in lines {
                eprintln!("hotline-qa serve: {l}");
            }
        }
        Err(e) => eprintln!("hotline-qa serve: {e:#}"),
    }
}

/// Runs the server until it is stopped (Ctrl-C). Prints the address on
/// standard output once it is listening.
pub fn serve(opts: &ServeOptions) -> anyhow::Result<()> {
    let mut conn = db::open(&opts.db)?;
    let users: i64 = conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
    if users == 0 {
        anyhow::bail!(
            "数据库 {} 里还没有账号：请先建管理员账号：hotline-qa serve --db {} add-user 名字 --role 管理员（no accounts yet）",
            opts.db.display(),
            opts.db.display()
        );
    }
    if let Some(runs) = &opts.runs {
        if !runs.is_dir() {
            anyhow::bail!(
                "--runs {} 不是文件夹：请给出放 hotline-qa score 运行结果的文件夹（runs folder missing）",
                runs.display()
            );
        }
        // The first import happens before listening, so that the pages
        // show the runs already there from the first request.
        import_now(&mut conn, runs);
        let runs = runs.clone();
        let db_path = opts.db.clone();
        let poll = opts.poll;
        std::thread::Builder::new()
            .name("runs-watcher".into())
            .spawn(move || {
                let mut conn = match db::open(&db_path) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("hotline-qa serve: 不再导入新的运行：{e:#}");
                        return;
                    }
                };
                loop {
                    std::thread::sleep(poll);
                    import_now(&mut conn, &runs);
                }
            })
            .context("无法启动导入线程（cannot start the watcher）")?;
    }
    // The read-only connections, after the first import made the schema:
    // one per core, as many pages as can run at once.
    let readers = (0..READERS)
        .map(|_| db::open_reader(&opts.db).map(Mutex::new))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let app = Arc::new(web::App {
        db: Mutex::new(conn),
        readers,
        next_reader: std::sync::atomic::AtomicUsize::new(0),
        env: web::templates()?,
        limits: auth::SessionLimits {
            idle: opts.idle,
            absolute: opts.absolute,
        },
        rate: auth::RateLimit::new(Duration::from_secs(15 * 60), 5, 20),
        secure_cookies: opts.secure_cookies,
        runs: Mutex::new(std::collections::HashMap::new()),
        workflow: opts.workflow,
    });
    match appeals::backfill(&app) {
        Ok(0) => {}
        Ok(n) => eprintln!("hotline-qa serve: 已为排名补算 {n} 通复核过的电话的复核后结果"),
        Err(e) => eprintln!("hotline-qa serve: 补算复核后结果失败：{e:#}"),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .context("无法启动网络服务（cannot start the runtime）")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .with_context(|| {
                format!(
                    "无法监听 {}：端口可能已被占用，请用 --listen 换一个（cannot listen）",
                    opts.listen
                )
            })?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "质检工作台已启动：http://{addr}/ （按 Ctrl-C 停止；listening）"
            )?;
            out.flush()?;
        }
        let router = axum::Router::new().fallback(web::entry).with_state(app);
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("网络服务出错（server error）")?;
        anyhow::Ok(())
    })
}

/// `serve --demo`: scores `samples` into a fresh temporary folder, creates
/// one account per role with one-time passwords (printed), and serves.
pub fn demo(samples: &Path, listen: SocketAddr) -> anyhow::Result<()> {
    if !samples.join("calls.jsonl").is_file() {
        anyhow::bail!(
            "{} 里没有 calls.jsonl：请在仓库目录里运行，或用 --samples 指定样例文件夹（samples missing）",
            samples.display()
        );
    }
    let dir = std::env::temp_dir().join(format!(
        "hotline-qa-demo-{}-{}",
        std::process::id(),
        auth::random_hex(4)?
    ));
    let runs = dir.join("runs");
    std::fs::create_dir_all(&runs)
        .with_context(|| format!("无法建临时文件夹 {}", runs.display()))?;
    let exe = std::env::current_exe().context("找不到 hotline-qa 程序本身")?;
    let status = std::process::Command::new(exe)
        .arg("score")
        .arg(samples)
        .arg("--out")
        .arg(runs.join("samples"))
        .arg("--quiet")
        .arg("--no-reports")
        .stdout(std::process::Stdio::null())
        .status()
        .context("无法运行 hotline-qa score")?;
    if !status.success() {
        anyhow::bail!("给样例评分失败（score failed: {status}）");
    }
    let db_path = dir.join("workbench.sqlite");
    let mut conn = db::open(&db_path)?;
    import_now(&mut conn, &runs);
    let (op, team): (String, String) = conn
        .query_row(
            // An operator with a deduction, so that the demo's operator
            // has a finding to appeal.
            "SELECT c.operator_id, c.team FROM calls c WHERE EXISTS
               (SELECT 1 FROM findings f WHERE f.call_id = c.call_id AND f.points > 0)
             ORDER BY c.call_id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .context("样例里没有可用的通话")?;
    drop(conn);
    println!("演示数据在 {}（停止后可删除）", dir.display());
    println!("演示账号（一次性密码，只在这里显示）：");
    for (name, role, o, t) in [
        ("admin", Role::Admin, "", ""),
        ("qa", Role::Reviewer, "", ""),
        ("qalead", Role::QaLead, "", ""),
        ("manager", Role::Manager, "", ""),
        ("lead", Role::Lead, "", team.as_str()),
        ("operator", Role::Operator, op.as_str(), ""),
    ] {
        let pw = auth::one_time_password()?;
        let conn = db::open(&db_path)?;
        auth::add_user(&conn, name, role, o, t, &pw, false)?;
        let scope = match role {
            Role::Operator => format!("，工号 {o}"),
            Role::Lead => format!("，班组 {t}"),
            _ => String::new(),
        };
        println!("  {name:<9} {pw}  {}{scope}", role.name_zh());
    }
    let mut opts = ServeOptions::new(db_path);
    opts.runs = Some(runs);
    opts.listen = listen;
    // The samples are calls of 2026-11-27: with the usual window of a week
    // the demo's operator could not try an appeal.
    opts.workflow.appeal_days = 36500;
    println!("演示：申诉期限放宽为通话后 36500 天（正式使用默认 7 天，--appeal-days）");
    serve(&opts)
}
