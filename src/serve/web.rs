//! The HTTP side: one entry point that every request passes through, so
//! that the session, the CSRF token and the role are checked in one place
//! before any page runs, and the security headers are set on every answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use minijinja::Environment;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::auth::{self, Role, SessionLimits, User};
use super::detail;

// The 工单时效 and 规则 pages live in their own files, declared here so
// that they share this module's request context and role checks.
#[path = "rules_page.rs"]
pub(crate) mod rules_page;
#[path = "units.rs"]
pub(crate) mod units;

/// The Content-Security-Policy of every page: nothing inline, nothing
/// from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

const SESSION_COOKIE: &str = "hq_session";
const LOGIN_COOKIE: &str = "hq_login";
const PAGE_SIZE: i64 = 50;
/// The call list counts its matches up to this many.
const COUNT_CAP: i64 = 10_000;
const MAX_BODY: usize = 64 * 1024;

/// The server's shared state.
pub struct App {
    /// The database connection that writes (SQLite serialises writes
    /// anyway), and reads where a page also writes.
    pub db: Mutex<Connection>,
    /// Read-only connections for the pages that only read ([`reader`]);
    /// empty: those pages use `db` as well.
    pub readers: Vec<Mutex<Connection>>,
    /// Where [`reader`] starts looking for a free reader.
    pub next_reader: std::sync::atomic::AtomicUsize,
    /// Templates, escaping HTML by default.
    pub env: Environment<'static>,
    /// Session lifetimes.
    pub limits: SessionLimits,
    /// Failed-login limits.
    pub rate: auth::RateLimit,
    /// Cookies get `Secure` (served over TLS, or behind a TLS proxy).
    pub secure_cookies: bool,
    /// Scorers and inputs of the runs opened so far, by run id.
    pub runs: Mutex<HashMap<i64, Arc<detail::RunCtx>>>,
    /// The appeal window and the daily sampling plan's size.
    pub workflow: super::appeals::Settings,
}

/// The templates, built into the binary.
pub fn templates() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    // Auto-escaping is on for names ending in .html (minijinja's default);
    // said again here so that no change of default can turn it off.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    for (name, text) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        ("message.html", include_str!("templates/message.html")),
        ("overview.html", include_str!("templates/overview.html")),
        ("calls.html", include_str!("templates/calls.html")),
        ("call.html", include_str!("templates/call.html")),
        ("finding.html", include_str!("templates/finding.html")),
        ("conflict.html", include_str!("templates/conflict.html")),
        ("password.html", include_str!("templates/password.html")),
        ("users.html", include_str!("templates/users.html")),
        ("audit.html", include_str!("templates/audit.html")),
        ("units.html", include_str!("templates/units.html")),
        (
            "unit_tickets.html",
            include_str!("templates/unit_tickets.html"),
        ),
        ("rules.html", include_str!("templates/rules.html")),
        (
            "rules_result.html",
            include_str!("templates/rules_result.html"),
        ),
    ] {
        env.add_template(name, text)
            .map_err(|e| anyhow::anyhow!("模板 {name} 有错（template error）：{e}"))?;
    }
    super::appeals::add_templates(&mut env)?;
    Ok(env)
}

/// One request, as the pages see it.
pub struct Req {
    /// GET or POST.
    pub method: Method,
    /// The path without the query.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// Form fields of a POST.
    pub form: Vec<(String, String)>,
    /// Cookies.
    pub cookies: HashMap<String, String>,
    /// The client's address.
    pub addr: String,
}

impl Req {
    /// A query parameter, trimmed ("" when absent).
    pub fn q(&self, k: &str) -> String {
        first(&self.query, k)
    }
    /// A form field, trimmed ("" when absent).
    pub fn f(&self, k: &str) -> String {
        first(&self.form, k)
    }
}

fn first(pairs: &[(String, String)], k: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// An answer before the common headers are added.
pub struct Resp {
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(header::HeaderName, String)>,
}

impl Resp {
    pub(super) fn html(status: StatusCode, body: String) -> Resp {
        Resp {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            headers: Vec::new(),
        }
    }
    pub(super) fn redirect(to: &str) -> Resp {
        Resp {
            status: StatusCode::SEE_OTHER,
            content_type: "text/plain; charset=utf-8",
            body: Vec::new(),
            headers: vec![(header::LOCATION, to.to_string())],
        }
    }
    fn with_cookie(mut self, c: String) -> Resp {
        self.headers.push((header::SET_COOKIE, c));
        self
    }
}

/// The axum entry point: reads the request, runs it on a blocking thread
/// (the pages use SQLite and read transcript files) and adds the headers.
pub async fn entry(
    State(app): State<Arc<App>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let query = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default();
    let mut cookies = HashMap::new();
    for v in parts.headers.get_all(header::COOKIE) {
        if let Ok(v) = v.to_str() {
            for c in v.split(';') {
                if let Some((k, val)) = c.trim().split_once('=') {
                    cookies
                        .entry(k.to_string())
                        .or_insert_with(|| val.to_string());
                }
            }
        }
    }
    let form = if parts.method == Method::POST {
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&b).unwrap_or_default(),
            Err(_) => {
                return finish(message(
                    &app,
                    None,
                    "",
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "提交的内容太大",
                    "提交的内容超过 64 KB，请缩短备注后重试（request body too large）",
                ));
            }
        }
    } else {
        Vec::new()
    };
    let r = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query,
        form,
        cookies,
        addr: addr.ip().to_string(),
    };
    let app2 = app.clone();
    let resp = tokio::task::spawn_blocking(move || handle(&app2, &r))
        .await
        .unwrap_or_else(|_| {
            Resp::html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>出错</title><p>服务器内部错误，请稍后重试并告知管理员（internal error）</p>"
                    .to_string(),
            )
        });
    finish(resp)
}

/// Adds the headers every answer carries.
fn finish(r: Resp) -> Response {
    let mut resp = Response::new(Body::from(r.body));
    *resp.status_mut() = r.status;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.append(k, v);
        }
    };
    set(h, header::CONTENT_TYPE, r.content_type);
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    for (k, v) in r.headers {
        set(h, k, &v);
    }
    resp
}

fn cookie(app: &App, name: &str, value: &str, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(s) = max_age {
        c.push_str(&format!("; Max-Age={s}"));
    }
    if app.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

/// The user as the templates see them.
fn user_value(u: &User) -> Value {
    json!({
        "name": u.name,
        "role_zh": u.role.name_zh(),
        "sees_calls": u.role.sees_calls(),
        "exports": matches!(u.role, Role::Reviewer | Role::QaLead | Role::Manager),
        "admin": u.role == Role::Admin,
        "audit": matches!(u.role, Role::Admin | Role::QaLead),
        "units": units::allowed(u.role),
        "rules": rules_page::allowed(u.role),
        "queue": u.role.reviews(),
    })
}

fn render(app: &App, name: &str, ctx: Value) -> Result<String, Resp> {
    app.env
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
        .map_err(|e| {
            Resp::html(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "<!DOCTYPE html><title>出错</title><p>页面无法显示，请告知管理员（template {}: {}）</p>",
                    crate::report::privacy::html_escape(name),
                    crate::report::privacy::html_escape(&e.to_string())
                ),
            )
        })
}

fn page(app: &App, status: StatusCode, name: &str, ctx: Value) -> Resp {
    match render(app, name, ctx) {
        Ok(s) => Resp::html(status, s),
        Err(r) => r,
    }
}

fn message(
    app: &App,
    user: Option<&User>,
    csrf: &str,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Resp {
    page(
        app,
        status,
        "message.html",
        json!({
            "user": user.map(user_value),
            "csrf": csrf,
            "title": title,
            "message": text,
            "kind": if status.is_success() { "ok" } else { "error" },
            "back": if user.is_some() { "/" } else { "/login" },
        }),
    )
}

pub(super) fn db(app: &App) -> std::sync::MutexGuard<'_, Connection> {
    match app.db.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// A read-only connection: a free one of [`App::readers`] if there is one,
/// else the next in turn (waiting for it). With 50 users clicking, the
/// list and the overview used to queue on the single connection (p95
/// 1.5 s in the load test while each page took milliseconds).
pub(super) fn reader(app: &App) -> std::sync::MutexGuard<'_, Connection> {
    let n = app.readers.len();
    if n == 0 {
        return db(app);
    }
    let start = app
        .next_reader
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    for k in 0..n {
        match app.readers[(start + k) % n].try_lock() {
            Ok(g) => return g,
            Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
    }
    match app.readers[start % n].lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Every request: static files and the login page without a session,
/// everything else only with a live one, and every POST only with that
/// session's CSRF token.
pub fn handle(app: &App, r: &Req) -> Resp {
    match handle_inner(app, r) {
        Ok(resp) => resp,
        Err(e) => message(
            app,
            None,
            "",
            StatusCode::INTERNAL_SERVER_ERROR,
            "出错了",
            &format!("服务器出错，请稍后重试；仍不行请告知管理员：{e:#}"),
        ),
    }
}

fn handle_inner(app: &App, r: &Req) -> anyhow::Result<Resp> {
    let get = r.method == Method::GET || r.method == Method::HEAD;
    let post = r.method == Method::POST;
    if !get && !post {
        return Ok(message(
            app,
            None,
            "",
            StatusCode::METHOD_NOT_ALLOWED,
            "不支持的请求",
            "只支持 GET 和 POST（method not allowed）",
        ));
    }
    match (get, r.path.as_str()) {
        (true, "/static/app.css") => {
            return Ok(Resp {
                status: StatusCode::OK,
                content_type: "text/css; charset=utf-8",
                body: include_bytes!("static/app.css").to_vec(),
                headers: Vec::new(),
            })
        }
        (true, "/favicon.ico") => {
            return Ok(Resp {
                status: StatusCode::NOT_FOUND,
                content_type: "text/plain; charset=utf-8",
                body: Vec::new(),
                headers: Vec::new(),
            })
        }
        (true, "/login") => return login_page(app, r, None, StatusCode::OK),
        (false, "/login") => return login(app, r),
        _ => {}
    }
    let token = r.cookies.get(SESSION_COOKIE).cloned().unwrap_or_default();
    let session = if token.is_empty() {
        None
    } else {
        auth::session(&db(app), &token, app.limits)?
    };
    let Some((user, csrf)) = session else {
        if get {
            return Ok(Resp::redirect("/login"));
        }
        return Ok(message(
            app,
            None,
            "",
            StatusCode::FORBIDDEN,
            "请先登录",
            "没有登录或登录已过期，请重新登录后再提交（not signed in）",
        ));
    };
    if post && !auth::same(&r.f("csrf"), &csrf) {
        let _ = super::db::audit(&db(app), &user.name, "csrf_refused", "", &r.path, &r.addr);
        return Ok(message(
            app,
            Some(&user),
            &csrf,
            StatusCode::FORBIDDEN,
            "请求被拒绝",
            "这次提交没有带有效的 CSRF 令牌，没有保存：请回到页面刷新后重新提交（CSRF token missing or wrong）",
        ));
    }
    let ctx = Ctx {
        app,
        r,
        user: &user,
        csrf: &csrf,
        token: &token,
    };
    if user.must_change && r.path != "/password" && r.path != "/logout" {
        return Ok(Resp::redirect("/password"));
    }
    match (post, r.path.as_str()) {
        (false, "/") => Ok(Resp::redirect(if user.role.sees_calls() {
            "/overview"
        } else {
            "/admin/users"
        })),
        (true, "/logout") => logout(&ctx),
        (false, "/password") => Ok(password_page(&ctx, None)),
        (true, "/password") => change_password(&ctx),
        (false, "/overview") => ctx.calls_role().and_then(|()| overview(&ctx)),
        (false, "/calls") => ctx.calls_role().and_then(|()| calls(&ctx)),
        (false, "/call") => ctx.calls_role().and_then(|()| call(&ctx, false)),
        (true, "/reveal") => ctx.review_role().and_then(|()| reveal(&ctx)),
        (true, "/review") => ctx.review_role().and_then(|()| review(&ctx)),
        (false, "/export/reviews.csv") => ctx.export_role().and_then(|()| export(&ctx)),
        (false, "/admin/users") => ctx.admin_role().and_then(|()| users(&ctx, None, None)),
        (true, "/admin/users") => ctx.admin_role().and_then(|()| create_user(&ctx)),
        (true, "/admin/disable") => ctx.admin_role().and_then(|()| disable_user(&ctx)),
        (false, "/audit") => ctx.audit_role().and_then(|()| audit_page(&ctx)),
        (false, "/units") => units::page(&ctx),
        (false, "/units/tickets") => units::tickets(&ctx),
        (false, "/units/units.csv") => units::csv(&ctx),
        (false, "/rules") => rules_page::page(&ctx),
        (true, "/rules/try") => rules_page::try_rule(&ctx),
        (true, "/rules/preview") => rules_page::preview(&ctx),
        (true, "/rules/adopt") => rules_page::adopt(&ctx),
        (false, "/rules/scorecard.toml") => rules_page::download(&ctx),
        (false, "/appeals") => ctx.calls_role().and_then(|()| super::appeals::list(&ctx)),
        (true, "/appeal") => super::appeals::file(&ctx),
        (true, "/appeal/act") => super::appeals::act(&ctx),
        (false, "/queue") => ctx.review_role().and_then(|()| super::queue::page(&ctx)),
        (true, "/queue/done") => ctx.review_role().and_then(|()| super::queue::done(&ctx)),
        (false, "/rank") => ctx.calls_role().and_then(|()| super::rank::page(&ctx)),
        _ => Ok(ctx.msg(
            StatusCode::NOT_FOUND,
            "找不到页面",
            "没有这个页面，请从上方的菜单进入（not found）",
        )),
    }
    .or_else(|e| match e.downcast::<Refused>() {
        Ok(refused) => Ok(refused.0),
        Err(e) => Err(e),
    })
}

/// A page refused to this user: carried as an error so that `?` ends the
/// handler at once.
struct Refused(Resp);

impl std::fmt::Debug for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}
impl std::error::Error for Refused {}

/// A signed-in request.
pub(super) struct Ctx<'a> {
    pub(super) app: &'a App,
    pub(super) r: &'a Req,
    pub(super) user: &'a User,
    pub(super) csrf: &'a str,
    token: &'a str,
}

impl Ctx<'_> {
    pub(super) fn msg(&self, status: StatusCode, title: &str, text: &str) -> Resp {
        message(self.app, Some(self.user), self.csrf, status, title, text)
    }

    pub(super) fn refuse(&self, what: &str) -> anyhow::Result<()> {
        let _ = self.audit("refused", "", &format!("{} {}", self.r.path, what));
        Err(Refused(self.msg(
            StatusCode::FORBIDDEN,
            "没有权限",
            &format!(
                "您的角色（{}）不能{what}；如确有需要，请找管理员调整账号（forbidden）",
                self.user.role.name_zh()
            ),
        ))
        .into())
    }

    pub(super) fn calls_role(&self) -> anyhow::Result<()> {
        if self.user.role.sees_calls() {
            Ok(())
        } else {
            self.refuse("查看通话")
        }
    }
    pub(super) fn review_role(&self) -> anyhow::Result<()> {
        if self.user.role.reviews() {
            Ok(())
        } else {
            self.refuse("复核扣分或显示来电人信息")
        }
    }
    fn export_role(&self) -> anyhow::Result<()> {
        if matches!(
            self.user.role,
            Role::Reviewer | Role::QaLead | Role::Manager
        ) {
            Ok(())
        } else {
            self.refuse("导出复核结论")
        }
    }
    fn admin_role(&self) -> anyhow::Result<()> {
        if self.user.role == Role::Admin {
            Ok(())
        } else {
            self.refuse("管理账号")
        }
    }
    fn audit_role(&self) -> anyhow::Result<()> {
        if matches!(self.user.role, Role::Admin | Role::QaLead) {
            Ok(())
        } else {
            self.refuse("查看操作日志")
        }
    }

    pub(super) fn audit(&self, action: &str, call_id: &str, detail: &str) -> anyhow::Result<()> {
        super::db::audit(
            &db(self.app),
            &self.user.name,
            action,
            call_id,
            detail,
            &self.r.addr,
        )
    }

    fn base(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("user".into(), user_value(self.user));
        m.insert("csrf".into(), Value::from(self.csrf));
        m
    }

    pub(super) fn page(&self, name: &str, extra: Value) -> Resp {
        self.page_status(StatusCode::OK, name, extra)
    }

    pub(super) fn page_status(&self, status: StatusCode, name: &str, extra: Value) -> Resp {
        let mut m = self.base();
        if let Value::Object(e) = extra {
            m.extend(e);
        }
        page(self.app, status, name, Value::Object(m))
    }

    /// The SQL condition (on table `calls`) limiting calls to what this
    /// user may see, with its parameter. Enforced in every query that
    /// reads calls.
    pub(super) fn scope(&self) -> (&'static str, String) {
        match self.user.role {
            Role::Operator => ("calls.operator_id = ?", self.user.operator_id.clone()),
            Role::Lead => ("calls.team = ?", self.user.team.clone()),
            Role::Admin => ("0 = ?", String::new()),
            _ => ("'' = ?", String::new()),
        }
    }

    pub(super) fn scope_label(&self) -> String {
        match self.user.role {
            Role::Operator => format!("只含工号 {} 的通话", self.user.operator_id),
            Role::Lead => format!("只含班组 {} 的通话", self.user.team),
            _ => String::new(),
        }
    }
}

fn login_page(app: &App, r: &Req, error: Option<&str>, status: StatusCode) -> anyhow::Result<Resp> {
    // The login form's own CSRF token, tied to a short-lived cookie: a
    // page elsewhere cannot sign a browser into an account of its choosing.
    // A token the browser already holds is kept: otherwise a second login
    // page (another tab, or a browser's own request for /favicon.ico sent
    // to the login page) would make the first form's token stale.
    let held = r
        .cookies
        .get(LOGIN_COOKIE)
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let t = match held {
        Some(t) => t.clone(),
        None => auth::random_hex(16)?,
    };
    Ok(page(
        app,
        status,
        "login.html",
        json!({ "login_csrf": t, "error": error }),
    )
    .with_cookie(cookie(app, LOGIN_COOKIE, &t, Some(1800))))
}

fn login(app: &App, r: &Req) -> anyhow::Result<Resp> {
    let pre = r.cookies.get(LOGIN_COOKIE).cloned().unwrap_or_default();
    if pre.is_empty() || !auth::same(&pre, &r.f("csrf")) {
        return login_page(
            app,
            r,
            Some("登录页已过期，请重新输入账号和密码（login form expired）"),
            StatusCode::FORBIDDEN,
        );
    }
    let name = r.f("name");
    let password = first(&r.form, "password");
    if app.rate.blocked(&name, &r.addr) {
        let _ = super::db::audit(&db(app), &name, "login_rate_limited", "", "", &r.addr);
        return login_page(
            app,
            r,
            Some("登录失败次数太多，已暂时锁定：请 15 分钟后再试，或请管理员帮忙（too many failed logins）"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let found = auth::find_user(&db(app), &name)?;
    // The hash is checked outside the database lock: argon2 takes a
    // moment and the other pages need not wait for it.
    let ok = match &found {
        Some((u, hash)) => auth::verify_password(&password, hash).then(|| u.clone()),
        None => {
            auth::verify_password(&password, auth::dummy_hash());
            None
        }
    };
    let Some(user) = ok else {
        app.rate.failed(&name, &r.addr);
        let _ = super::db::audit(&db(app), &name, "login_failed", "", "", &r.addr);
        return login_page(
            app,
            r,
            Some("账号或密码不对，请重新输入（wrong name or password）"),
            StatusCode::UNAUTHORIZED,
        );
    };
    let conn = db(app);
    let (token, _) = auth::start_session(&conn, user.id, &r.addr)?;
    super::db::audit(&conn, &user.name, "login", "", "", &r.addr)?;
    Ok(Resp::redirect("/")
        .with_cookie(cookie(app, SESSION_COOKIE, &token, None))
        .with_cookie(cookie(app, LOGIN_COOKIE, "", Some(0))))
}

fn logout(c: &Ctx) -> anyhow::Result<Resp> {
    auth::end_session(&db(c.app), c.token)?;
    c.audit("logout", "", "")?;
    Ok(Resp::redirect("/login").with_cookie(cookie(c.app, SESSION_COOKIE, "", Some(0))))
}

fn password_page(c: &Ctx, error: Option<&str>) -> Resp {
    c.page(
        "password.html",
        json!({ "must": c.user.must_change, "error": error }),
    )
}

fn change_password(c: &Ctx) -> anyhow::Result<Resp> {
    let current = first(&c.r.form, "current");
    let new = first(&c.r.form, "new");
    let again = first(&c.r.form, "again");
    let hash = auth::find_user(&db(c.app), &c.user.name)?.map(|(_, h)| h);
    if !hash.is_some_and(|h| auth::verify_password(&current, &h)) {
        return Ok(password_page(c, Some("现在的密码不对，请重新输入")));
    }
    if new != again {
        return Ok(password_page(c, Some("两次输入的新密码不一样，请重新输入")));
    }
    if let Some(p) = auth::password_problem(&new) {
        return Ok(password_page(c, Some(p)));
    }
    let conn = db(c.app);
    conn.execute(
        "UPDATE users SET hash = ?2, must_change = 0 WHERE id = ?1",
        params![c.user.id, auth::hash_password(&new)?],
    )?;
    // Every other session of the account ends with the old password.
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2",
        params![c.user.id, auth::token_hash(c.token)],
    )?;
    super::db::audit(&conn, &c.user.name, "password_changed", "", "", &c.r.addr)?;
    Ok(Resp::redirect("/"))
}

fn fmt1(x: Option<f64>) -> String {
    x.map(crate::report::num).unwrap_or_else(|| "—".into())
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// A mean score from a sum of scores over `calls` calls, as the reports
/// compute it: the scores are summed as whole hundredths (each score has
/// two decimals), then divided. Dividing the float sum instead put some
/// days' means 0.01 away from the ranking's trend and `score`'s daily.csv
/// (89.585 printed as 89.59 here, 89.58 there).
const MEAN_SQL: &str = "ROUND(SUM({col}) * 100) / 100.0 / SUM(calls.calls)";

fn mean_sql(col: &str) -> String {
    MEAN_SQL.replace("{col}", col)
}

fn overview(c: &Ctx) -> anyhow::Result<Resp> {
    // Read from the per-day summary (`stats::SCHEMA`, kept by triggers),
    // named `calls` so that the role's scope condition applies unchanged.
    let (cond, p) = c.scope();
    let conn = reader(c.app);
    let figures = |r: &rusqlite::Row| -> rusqlite::Result<Value> {
        Ok(json!({
            "calls": r.get::<_, i64>(0)?,
            "mean": fmt1(r.get(1)?),
            "reviewed_mean": fmt1(r.get(2)?),
            "pass_rate": pct(r.get(3)?),
            "red_lines": r.get::<_, Option<i64>>(4)?.unwrap_or(0),
            "critical": r.get::<_, Option<i64>>(5)?.unwrap_or(0),
            "needs_review": r.get::<_, Option<i64>>(6)?.unwrap_or(0),
            "first": r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            "last": r.get::<_, Option<String>>(8)?.unwrap_or_default(),
            "days": r.get::<_, i64>(9)?,
        }))
    };
    let select = format!(
        "SELECT COALESCE(SUM(calls.calls), 0), {}, {},
           SUM(passed) * 1.0 / SUM(calls.calls), SUM(red_line), SUM(critical), SUM(needs_review),
           MIN(day), MAX(day), COUNT(DISTINCT day)
         FROM day_stats AS calls WHERE {cond} AND calls.calls > 0",
        mean_sql("score"),
        mean_sql("reviewed_score")
    );
    let s = conn.query_row(&select, [&p], figures)?;
    // The latest day on its own ("today": the last night's run), beside
    // the whole range.
    let last = s["last"].as_str().unwrap_or_default().to_string();
    let latest = conn.query_row(&format!("{select} AND day = ?"), [&p, &last], figures)?;
    let mut st = conn.prepare(&format!(
        "SELECT day, SUM(calls.calls), {}, SUM(passed) * 1.0 / SUM(calls.calls),
           SUM(red_line), SUM(needs_review)
         FROM day_stats AS calls WHERE {cond} AND calls.calls > 0 GROUP BY day ORDER BY day DESC LIMIT 31",
        mean_sql("reviewed_score")
    ))?;
    let days: Vec<Value> = st
        .query_map([&p], |r| {
            Ok(json!({
                "day": r.get::<_, String>(0)?,
                "calls": r.get::<_, i64>(1)?,
                "mean": fmt1(r.get(2)?),
                "pass_rate": pct(r.get(3)?),
                "red_lines": r.get::<_, i64>(4)?,
                "needs_review": r.get::<_, i64>(5)?,
            }))
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    drop(conn);
    Ok(c.page(
        "overview.html",
        json!({ "s": s, "latest": latest, "days": days, "scope": c.scope_label() }),
    ))
}

fn calls(c: &Ctx) -> anyhow::Result<Resp> {
    let r = c.r;
    let (cond, scope_p) = c.scope();
    let mut wh = vec![cond.to_string()];
    let mut ps: Vec<String> = vec![scope_p];
    let mut add = |sql: &str, v: String| {
        wh.push(sql.to_string());
        ps.push(v);
    };
    let day = r.q("day");
    if !day.is_empty() {
        add("day = ?", day.clone());
    }
    let operator = r.q("operator");
    if !operator.is_empty() {
        add("operator_id = ?", operator.clone());
    }
    let team = r.q("team");
    if !team.is_empty() {
        add("team = ?", team.clone());
    }
    let norm = r.q("norm");
    if !norm.is_empty() {
        add(
            super::list::finding_filter(&reader(c.app), "norm", &norm)?,
            norm.clone(),
        );
    }
    let rule = r.q("rule");
    if !rule.is_empty() {
        add(
            super::list::finding_filter(&reader(c.app), "rule", &rule)?,
            rule.clone(),
        );
    }
    let min = r.q("min");
    if let Ok(v) = min.parse::<f64>() {
        add("reviewed_score >= CAST(? AS REAL)", v.to_string());
    }
    let max = r.q("max");
    if let Ok(v) = max.parse::<f64>() {
        add("reviewed_score <= CAST(? AS REAL)", v.to_string());
    }
    let needs = r.q("needs_review") == "1";
    if needs {
        add("needs_review > CAST(? AS INTEGER)", "0".into());
    }
    let appealed = r.q("appealed") == "1";
    if appealed {
        add(
            "call_id IN (SELECT call_id FROM appeals) AND '' = ?",
            String::new(),
        );
    }
    // The columns given exactly, for the choice of index.
    let mut equal: Vec<&str> = Vec::new();
    match c.user.role {
        Role::Operator => equal.push("operator_id"),
        Role::Lead => equal.push("team"),
        _ => {}
    }
    for (k, col) in [
        ("day", "day"),
        ("operator", "operator_id"),
        ("team", "team"),
    ] {
        if !r.q(k).is_empty() {
            equal.push(col);
        }
    }
    let sort = super::list::sort(&r.q("sort"));
    let page_no = r.q("page").parse::<i64>().unwrap_or(1).max(1);
    let where_sql = wh.join(" AND ");
    let started = std::time::Instant::now();
    let data_version: i64 = db(c.app).query_row("PRAGMA data_version", [], |r| r.get(0))?;
    let mut conn = reader(c.app);
    let locked = started.elapsed();
    let total = super::list::count_at(
        &mut conn,
        data_version,
        &where_sql,
        &ps,
        COUNT_CAP,
        std::time::Duration::from_millis(60),
    )?;
    let counted = started.elapsed();
    // A link names the page by the row it starts after (or ends before);
    // a bare page number (typed, or an old link) is counted from the top.
    let list = super::list::page(
        &conn,
        &where_sql,
        &ps,
        sort,
        &r.q("after"),
        &r.q("before"),
        (page_no - 1).saturating_mul(PAGE_SIZE),
        PAGE_SIZE,
        super::list::plan(total, sort, &equal),
    )?;
    drop(conn);
    // HOTLINE_QA_TIMING: where a list page's time went (BENCHMARKS.md).
    if std::env::var_os("HOTLINE_QA_TIMING").is_some() {
        eprintln!(
            "hotline-qa serve: 通话列表 {}：等数据库 {:?}，计数 {:?} 用 {:?}，共 {:?}（list page timing）",
            r.query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
            locked,
            total,
            counted,
            started.elapsed()
        );
    }
    let rows = list.rows;
    let pages = total.pages(PAGE_SIZE);
    let link = |p: i64, key: &str, cursor: &str| {
        let mut q: Vec<(String, String)> = r
            .query
            .iter()
            .filter(|(k, _)| k != "page" && k != "after" && k != "before")
            .cloned()
            .collect();
        q.push(("page".into(), p.to_string()));
        q.push((key.into(), cursor.into()));
        format!(
            "/calls?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    };
    // The built-in norms and any centre's own items (issue #18).
    let norms: Vec<Value> = crate::model::NormId::ALL
        .into_iter()
        .chain(crate::model::NormId::customs())
        .map(|n| json!({"key": n.key(), "name": n.name_zh()}))
        .collect();
    let sorts: Vec<Value> = super::list::SORTS
        .iter()
        .map(|s| json!({"key": s.key, "name": s.label}))
        .collect();
    Ok(c.page(
        "calls.html",
        json!({
            "scope": c.scope_label(),
            "f": {"day": day, "operator": operator, "team": team, "norm": norm, "rule": rule,
                  "min": min, "max": max, "needs_review": needs, "appealed": appealed, "sort": sort.key},
            "norms": norms, "sorts": sorts,
            "calls": rows, "total": total.label(), "page": page_no, "pages": pages,
            "prev": list.prev.map(|k| link((page_no - 1).max(1), "before", &k)),
            "next": list.next.map(|k| link(page_no + 1, "after", &k)),
        }),
    ))
}

/// The call row, if this user may see it (None both for a call that does
/// not exist and for one out of scope: the answer does not tell which).
pub(super) fn scoped_call(c: &Ctx, id: &str) -> anyhow::Result<Option<detail::CallRow>> {
    let (cond, p) = c.scope();
    let conn = reader(c.app);
    Ok(conn
        .query_row(
            &format!(
                "SELECT calls.call_id, calls.run_id, runs.path, started_at, operator_id, operator_name, team, score, reviewed_score
                 FROM calls JOIN runs ON runs.id = calls.run_id WHERE calls.call_id = ? AND {cond}"
            ),
            params![id, p],
            |r| {
                Ok(detail::CallRow {
                    call_id: r.get(0)?,
                    run_id: r.get(1)?,
                    run_path: PathBuf::from(r.get::<_, String>(2)?),
                    started_at: r.get(3)?,
                    operator_id: r.get(4)?,
                    operator_name: r.get(5)?,
                    team: r.get(6)?,
                    score: r.get(7)?,
                    reviewed_score: r.get(8)?,
                })
            },
        )
        .optional()?)
}

pub(super) fn not_found(c: &Ctx) -> Resp {
    c.msg(
        StatusCode::NOT_FOUND,
        "找不到这通电话",
        "找不到这通电话，或您无权查看：请从通话列表进入（call not found）",
    )
}

fn call(c: &Ctx, revealed: bool) -> anyhow::Result<Resp> {
    let id = if revealed {
        c.r.f("call_id")
    } else {
        c.r.q("id")
    };
    let Some(row) = scoped_call(c, &id)? else {
        if !id.is_empty() {
            c.audit("refused", &id, "call not found or out of scope")?;
        }
        return Ok(not_found(c));
    };
    let view = detail::view(c.app, &row, revealed)?;
    let mut v = view.json;
    if let Value::Object(m) = &mut v {
        m.insert("can_review".into(), Value::from(c.user.role.reviews()));
        m.insert("can_reveal".into(), Value::from(c.user.role.reviews()));
        m.insert("revealed".into(), Value::from(revealed));
        m.insert("appeal".into(), super::appeals::panel(c, &row)?);
    }
    if !revealed {
        c.audit("view", &row.call_id, "")?;
    }
    Ok(c.page("call.html", v))
}

fn reveal(c: &Ctx) -> anyhow::Result<Resp> {
    let reason = c.r.f("reason");
    let id = c.r.f("call_id");
    if reason.chars().count() < 2 {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "要写理由",
            "显示来电人的号码和姓名要写理由（会记入操作日志），请返回填写（reason required）",
        ));
    }
    if scoped_call(c, &id)?.is_none() {
        return Ok(not_found(c));
    }
    // Logged before anything is shown: a failed log write shows nothing.
    c.audit("reveal_pii", &id, &reason)?;
    call(c, true)
}

fn review(c: &Ctx) -> anyhow::Result<Resp> {
    let id = c.r.f("call_id");
    let Some(row) = scoped_call(c, &id)? else {
        return Ok(not_found(c));
    };
    let verdict = c.r.f("verdict");
    let verdict_zh = match verdict.as_str() {
        "confirmed" => "确认",
        "dismissed" => "误判",
        _ => {
            return Ok(c.msg(
                StatusCode::BAD_REQUEST,
                "结论不对",
                "复核结论只能是「确认」或「误判」，请返回重新选择（verdict must be confirmed or dismissed）",
            ))
        }
    };
    let comment: String = c.r.f("comment").chars().take(500).collect();
    let fid: i64 = c.r.f("fid").parse().unwrap_or(-1);
    let version: i64 = c.r.f("version").parse().unwrap_or(-1);
    let offset = detail::run_offset(c.app, &row)?;
    let at = chrono::Utc::now()
        .with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut conn = db(c.app);
    let tx = conn.transaction()?;
    let current = tx
        .query_row(
            "SELECT rule, utterance_index, version, verdict, reviewer, comment FROM findings WHERE id = ?1 AND call_id = ?2",
            params![fid, row.call_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((rule, utt, cur_version, cur_verdict, cur_reviewer, cur_comment)) = current else {
        drop(tx);
        drop(conn);
        return Ok(c.msg(
            StatusCode::NOT_FOUND,
            "找不到这条扣分",
            "这通电话里没有这条扣分，请回到通话页面重新打开（finding not found）",
        ));
    };
    if cur_version != version {
        // Someone decided since this page was opened: nothing is written,
        // the reviewer is shown what changed and decides again.
        let at: String = tx
            .query_row(
                "SELECT reviewed_at FROM reviews WHERE finding_id = ?1 ORDER BY id DESC LIMIT 1",
                [fid],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
        drop(tx);
        drop(conn);
        return Ok(c.page_status(
            StatusCode::CONFLICT,
            "conflict.html",
            json!({
                "call_id": row.call_id, "fid": fid, "version": cur_version, "rule": rule,
                "other": {"reviewer": cur_reviewer, "at": at, "verdict": verdict_label(&cur_verdict), "comment": cur_comment},
                "mine": {"key": verdict, "verdict": verdict_zh, "comment": comment},
            }),
        ));
    }
    let n = tx.execute(
        "UPDATE findings SET verdict = ?3, reviewer = ?4, comment = ?5, version = version + 1 WHERE id = ?1 AND version = ?2",
        params![fid, version, verdict, c.user.name, comment],
    )?;
    if n != 1 {
        anyhow::bail!("这条扣分同时被修改，请刷新页面后重试（concurrent update）");
    }
    tx.execute(
        "INSERT INTO reviews(finding_id, call_id, rule, utterance_index, verdict, reviewer, comment, reviewed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![fid, row.call_id, rule, utt, verdict, c.user.name, comment, at],
    )?;
    tx.execute(
        "INSERT INTO audit(at, user, action, call_id, detail, addr) VALUES (?1, ?2, 'review', ?3, ?4, ?5)",
        params![
            super::db::now_utc(),
            c.user.name,
            row.call_id,
            format!("finding {fid} {rule} {} → {verdict}：{comment}", utt.map(|u| u.to_string()).unwrap_or_default()),
            c.r.addr
        ],
    )?;
    tx.commit()?;
    drop(conn);
    // The stored reviewed score follows (for the list pages); the detail
    // page always computes it afresh.
    if let Err(e) = detail::refresh_reviewed(c.app, &row) {
        eprintln!(
            "hotline-qa serve: 通话 {} 的复核后得分未能更新：{e:#}",
            row.call_id
        );
    }
    Ok(Resp::redirect(&format!(
        "/call?id={}#f{fid}",
        urlencode(&row.call_id)
    )))
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|q| q.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// The Chinese label of a stored verdict.
pub fn verdict_label(v: &str) -> &'static str {
    match v {
        "confirmed" => "确认",
        "dismissed" => "误判",
        "added" => "新增",
        _ => "未复核",
    }
}

fn export(c: &Ctx) -> anyhow::Result<Resp> {
    // Reviews and the appeal chain's steps, in the order the workbench
    // applies them (by time, reviews before appeal steps at the same
    // second), which is the order score --reviews applies the rows in.
    let rows = super::appeals::export_rows(&db(c.app))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(super::appeals::EXPORT_COLUMNS)?;
    let mut n = 0u64;
    for cells in rows {
        // Comments are typed by people: a leading = must not become a
        // formula when the file is opened in Excel (score --reviews reads
        // the apostrophe back off).
        w.write_record(
            cells
                .iter()
                .map(|s| crate::report::privacy::excel_safe(s).into_owned()),
        )?;
        n += 1;
    }
    let body = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    c.audit("export_reviews", "", &format!("{n} rows"))?;
    Ok(Resp {
        status: StatusCode::OK,
        content_type: "text/csv; charset=utf-8",
        body,
        headers: vec![(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"reviews.csv\"".into(),
        )],
    })
}

fn users(c: &Ctx, created: Option<Value>, error: Option<&str>) -> anyhow::Result<Resp> {
    let conn = db(c.app);
    let mut st =
        conn.prepare("SELECT id, name, role, operator_id, team, disabled FROM users ORDER BY id")?;
    let rows: Vec<Value> = st
        .query_map([], |r| {
            let role: String = r.get(2)?;
            let id: i64 = r.get(0)?;
            Ok(json!({
                "id": id,
                "name": r.get::<_, String>(1)?,
                "role": Role::parse(&role).map_or("?", |x| x.name_zh()),
                "operator_id": r.get::<_, String>(3)?,
                "team": r.get::<_, String>(4)?,
                "disabled": r.get::<_, bool>(5)?,
                "me": id == c.user.id,
            }))
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    drop(conn);
    let roles: Vec<Value> = Role::ALL
        .iter()
        .map(|r| json!({"key": r.key(), "name": r.name_zh()}))
        .collect();
    Ok(c.page(
        "users.html",
        json!({"users": rows, "roles": roles, "created": created, "error": error}),
    ))
}

fn create_user(c: &Ctx) -> anyhow::Result<Resp> {
    let name = c.r.f("name");
    let Some(role) = Role::parse(&c.r.f("role")) else {
        return users(c, None, Some("角色不对，请从列表里选"));
    };
    let password = auth::one_time_password()?;
    let res = auth::add_user(
        &db(c.app),
        &name,
        role,
        &c.r.f("operator_id"),
        &c.r.f("team"),
        &password,
        true,
    );
    match res {
        Ok(_) => {
            c.audit("user_created", "", &format!("{name} {}", role.key()))?;
            users(c, Some(json!({"name": name, "password": password})), None)
        }
        Err(e) => users(c, None, Some(&format!("{e}"))),
    }
}

fn disable_user(c: &Ctx) -> anyhow::Result<Resp> {
    let id: i64 = c.r.f("id").parse().unwrap_or(-1);
    if id == c.user.id {
        return users(c, None, Some("不能停用自己的账号"));
    }
    let conn = db(c.app);
    let name: Option<String> = conn
        .query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    conn.execute("UPDATE users SET disabled = 1 WHERE id = ?1", [id])?;
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    drop(conn);
    c.audit("user_disabled", "", &name.unwrap_or_default())?;
    users(c, None, None)
}

fn audit_page(c: &Ctx) -> anyhow::Result<Resp> {
    let conn = db(c.app);
    let mut st = conn.prepare(
        "SELECT at, user, action, call_id, detail, addr FROM audit ORDER BY id DESC LIMIT 500",
    )?;
    let rows: Vec<Value> = st
        .query_map([], |r| {
            Ok(json!({
                "at": r.get::<_, String>(0)?, "user": r.get::<_, String>(1)?,
                "action": r.get::<_, String>(2)?, "call_id": r.get::<_, String>(3)?,
                "detail": r.get::<_, String>(4)?, "addr": r.get::<_, String>(5)?,
            }))
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    drop(conn);
    Ok(c.page("audit.html", json!({"rows": rows})))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overview's mean of a day whose scores sum to a half hundredth
    /// (87.5 and 91.67: 89.585): the float sum said 89.59, the ranking's
    /// trend and `score`'s daily.csv (whole hundredths summed) 89.58.
    #[test]
    fn overview_day_mean_is_the_reports_mean_of_whole_hundredths() {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = super::super::db::open(&dir.path().join("a.sqlite")).expect("open");
        conn.execute_batch(
            "INSERT INTO runs(id, path, imported_at, calls, findings, duplicates, seconds) VALUES (1, '/r', 'x', 4, 0, 0, 0);
             INSERT INTO calls(call_id, run_id, day, started_at, operator_id, operator_name, team, score, passed, red_line, reviewed_score, needs_review, critical, findings)
               VALUES ('c1', 1, '2026-11-22', '2026-11-22T09:00:00+08:00', '1001', '丁', 'A班', 87.5, 1, 0, 87.5, 0, 0, 0),
                      ('c2', 1, '2026-11-22', '2026-11-22T10:00:00+08:00', '1001', '丁', 'A班', 91.67, 1, 0, 91.67, 0, 0, 0),
                      ('c3', 1, '2026-11-23', '2026-11-23T10:00:00+08:00', '1001', '丁', 'A班', 90, 1, 0, 90, 0, 0, 0),
                      ('c4', 1, '2026-11-23', '2026-11-23T11:00:00+08:00', '1001', '丁', 'A班', 80, 1, 0, 80, 0, 0, 0);",
        )
        .expect("rows");
        let mean = |day: &str| -> String {
            let x: Option<f64> = conn
                .query_row(
                    &format!(
                        "SELECT {} FROM day_stats AS calls WHERE day = ?1",
                        mean_sql("reviewed_score")
                    ),
                    [day],
                    |r| r.get(0),
                )
                .expect("mean");
            fmt1(x)
        };
        // As crate::report::aggregate computes it: cents summed, divided.
        let report = crate::report::num((8750 + 9167) as f64 / 100.0 / 2.0);
        assert_eq!(report, "89.58");
        assert_eq!(mean("2026-11-22"), report);
        // Must-not: a mean without a half hundredth is unchanged.
        assert_eq!(mean("2026-11-23"), "85");
    }
}
