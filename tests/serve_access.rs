//! Access control of the workbench, route by route and role by role, on
//! generated days: every route of `src/serve` requested as each role with
//! another operator's and another team's ids (calls, findings, appeals),
//! which must answer 403 or 404 without the other's data and change
//! nothing; every state-changing route without its CSRF token; a session
//! replayed after logout; and the security headers on every answer.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/wb.rs"]
mod wb;

use std::collections::BTreeMap;

use http::{Answer, Client};
use wb::Server;

/// The ids the table requests with, and what must not leak.
struct Ids {
    days: Vec<String>,
    /// A call, finding and operator of team A (the signed-in operator's).
    my_call: String,
    my_fid: String,
    my_op: String,
    my_team: String,
    /// A call and finding of an operator of another team, and an appeal
    /// that operator filed on it.
    other_call: String,
    other_fid: String,
    other_appeal: String,
    other_version: String,
    other_op: String,
    other_name: Option<String>,
    other_team: String,
}

/// Two generated days, one account per role, and an appeal filed by
/// another team's operator on one of their findings.
fn setup() -> (Server, Ids) {
    let dir = tempfile::tempdir().expect("tmp");
    let days = wb::month(dir.path(), 2, 200);
    let runs = dir.path().join("runs");
    let found = wb::findings(&runs, &days);
    let calls: Vec<BTreeMap<String, String>> = days
        .iter()
        .flat_map(|d| common::table(&runs.join(d).join("calls.csv")))
        .collect();
    let team_of: BTreeMap<&str, &str> = calls
        .iter()
        .map(|c| (c["call_id"].as_str(), c["team"].as_str()))
        .collect();
    let deducted = |team: &str| {
        found
            .iter()
            .find(|r| {
                team_of.get(r["call_id"].as_str()) == Some(&team)
                    && r["points"] != "0"
                    && r["needs_review"] == "false"
                    && !r["utterance_index"].is_empty()
            })
            .cloned()
            .unwrap_or_else(|| panic!("a deducted finding in {team}"))
    };
    let mine = deducted("A班");
    let theirs = deducted("B班");
    let name_of = |op: &str| {
        calls
            .iter()
            .find(|c| c["operator_id"] == op)
            .map(|c| c["operator_name"].clone())
    };
    // The other operator's name is a marker only when no one else has it.
    let other_name = name_of(&theirs["operator_id"]).filter(|n| {
        calls
            .iter()
            .filter(|c| &c["operator_name"] == n)
            .all(|c| c["operator_id"] == theirs["operator_id"])
    });
    let db = dir.path().join("wb.sqlite");
    wb::add_user(&db, "admin", "管理员", &[]);
    wb::add_user(&db, "qa", "质检员", &[]);
    wb::add_user(&db, "qalead", "质检主管", &[]);
    wb::add_user(&db, "manager", "管理", &[]);
    wb::add_user(&db, "lead", "班长", &["--team", "A班"]);
    wb::add_user(
        &db,
        "op",
        "话务员",
        &["--operator-id", &mine["operator_id"]],
    );
    wb::add_user(&db, "lead_b", "班长", &["--team", "B班"]);
    wb::add_user(
        &db,
        "op_b",
        "话务员",
        &["--operator-id", &theirs["operator_id"]],
    );
    let s = Server::start(dir, &["--appeal-days", "36500"]);
    let fid_of = |c: &mut Client, call: &str, f: &BTreeMap<String, String>| {
        let page = c.get(&format!("/call?id={call}")).body;
        wb::appeal_rows(&page)
            .into_iter()
            .find(|r| r["data-rule"] == f["rule"] && r["data-utt"] == f["utterance_index"])
            .unwrap_or_else(|| panic!("appeal row of {f:?}"))
    };
    let mut op = s.signed_in("op");
    let my_fid = fid_of(&mut op, &mine["call_id"], &mine)["data-fid"].clone();
    let mut op_b = s.signed_in("op_b");
    let other_fid = fid_of(&mut op_b, &theirs["call_id"], &theirs)["data-fid"].clone();
    let csrf = op_b.csrf();
    let a = op_b.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &theirs["call_id"]),
            ("fid", &other_fid),
            ("reason", "录音里不是这样说的"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let row = fid_of(&mut op_b, &theirs["call_id"], &theirs);
    assert_eq!(row["data-state"], "lead");
    let ids = Ids {
        days,
        my_call: mine["call_id"].clone(),
        my_fid,
        my_op: mine["operator_id"].clone(),
        my_team: "A班".into(),
        other_call: theirs["call_id"].clone(),
        other_fid,
        other_appeal: row["data-appeal"].clone(),
        other_version: row["data-version"].clone(),
        other_op: theirs["operator_id"].clone(),
        other_name,
        other_team: "B班".into(),
    };
    (s, ids)
}

/// One request of the table.
struct Route {
    method: &'static str,
    path: String,
    form: Vec<(&'static str, String)>,
    /// Roles that may make this request (with these ids).
    allowed: &'static [&'static str],
}

fn get(path: String, allowed: &'static [&'static str]) -> Route {
    Route {
        method: "GET",
        path,
        form: Vec::new(),
        allowed,
    }
}

fn post(path: &str, form: Vec<(&'static str, String)>, allowed: &'static [&'static str]) -> Route {
    Route {
        method: "POST",
        path: path.to_string(),
        form,
        allowed,
    }
}

const ALL_CALLS: &[&str] = &["qa", "qalead", "manager"];
const REVIEWERS: &[&str] = &["qa", "qalead"];
const NOBODY: &[&str] = &[];

/// Every route of the workbench with the other operator's or team's ids.
fn routes(ids: &Ids) -> Vec<Route> {
    let first = &ids.days[0];
    let last = &ids.days[ids.days.len() - 1];
    let card = "[reports]\nmin_calls_for_rank = 3\n".to_string();
    vec![
        get(format!("/call?id={}", ids.other_call), ALL_CALLS),
        get("/export/reviews.csv".into(), ALL_CALLS),
        get("/queue".into(), REVIEWERS),
        get(format!("/queue?day={first}"), REVIEWERS),
        get("/units".into(), &["qalead", "manager"]),
        get("/units/tickets?kind=all".into(), &["qalead", "manager"]),
        get("/units/units.csv".into(), &["qalead", "manager"]),
        get("/rules".into(), REVIEWERS),
        get("/rules/scorecard.toml".into(), REVIEWERS),
        get("/admin/users".into(), &["admin"]),
        get("/audit".into(), &["admin", "qalead"]),
        post(
            "/review",
            vec![
                ("call_id", ids.other_call.clone()),
                ("fid", ids.other_fid.clone()),
                ("version", "0".into()),
                ("verdict", "dismissed".into()),
            ],
            REVIEWERS,
        ),
        // A finding of another call under one's own call id.
        post(
            "/review",
            vec![
                ("call_id", ids.my_call.clone()),
                ("fid", ids.other_fid.clone()),
                ("version", "0".into()),
                ("verdict", "dismissed".into()),
            ],
            NOBODY,
        ),
        post(
            "/reveal",
            vec![
                ("call_id", ids.other_call.clone()),
                ("reason", "核对来电".into()),
            ],
            REVIEWERS,
        ),
        post(
            "/appeal",
            vec![
                ("call_id", ids.other_call.clone()),
                ("fid", ids.other_fid.clone()),
                ("reason", "替别人申诉".into()),
            ],
            NOBODY,
        ),
        // One's own call with another call's finding.
        post(
            "/appeal",
            vec![
                ("call_id", ids.my_call.clone()),
                ("fid", ids.other_fid.clone()),
                ("reason", "换个编号申诉".into()),
            ],
            NOBODY,
        ),
        post(
            "/appeal/act",
            vec![
                ("appeal_id", ids.other_appeal.clone()),
                ("version", ids.other_version.clone()),
                ("action", "pass".into()),
                ("comment", "转上去".into()),
            ],
            NOBODY,
        ),
        post(
            "/appeal/act",
            vec![
                ("appeal_id", ids.other_appeal.clone()),
                ("version", ids.other_version.clone()),
                ("action", "reject".into()),
                ("comment", "驳回别组的".into()),
            ],
            NOBODY,
        ),
        post(
            "/appeal/act",
            vec![
                ("appeal_id", ids.other_appeal.clone()),
                ("version", ids.other_version.clone()),
                ("action", "overturn".into()),
                ("comment", "越级撤销".into()),
            ],
            // The QA lead's step (on this appeal refused by its state: it
            // waits for the team leader).
            &["qalead"],
        ),
        post(
            "/queue/done",
            vec![("call_id", ids.other_call.clone()), ("day", first.clone())],
            REVIEWERS,
        ),
        post(
            "/rules/try",
            vec![("dialogue", "坐席：喂，你好\n市民：你好".into())],
            REVIEWERS,
        ),
        post(
            "/rules/preview",
            vec![
                ("toml", card.clone()),
                ("from", first.clone()),
                ("to", last.clone()),
            ],
            REVIEWERS,
        ),
        post("/rules/adopt", vec![("toml", card)], &["qalead"]),
        post(
            "/admin/users",
            vec![("name", "intruder".into()), ("role", "admin".into())],
            &["admin"],
        ),
        post("/admin/disable", vec![("id", "1".into())], &["admin"]),
    ]
}

/// The pages every role but the administrator opens, whose rows must be
/// limited to the operator's own calls or the team leader's team.
fn scoped_reads(ids: &Ids) -> Vec<String> {
    let first = &ids.days[0];
    let last = &ids.days[ids.days.len() - 1];
    vec![
        "/overview".into(),
        "/calls".into(),
        format!("/calls?operator={}", ids.other_op),
        format!("/calls?team={}", http::enc(&ids.other_team)),
        "/calls?appealed=1".into(),
        format!("/calls?day={last}&sort=score_asc"),
        "/appeals".into(),
        "/appeals?state=all".into(),
        "/appeals?state=lead".into(),
        "/rank".into(),
        format!("/rank?from={first}&to={last}"),
    ]
}

fn send(c: &mut Client, r: &Route, csrf: Option<&str>) -> Answer {
    if r.method == "GET" {
        return c.get(&r.path);
    }
    let mut form: Vec<(&str, &str)> = r.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(t) = csrf {
        form.push(("csrf", t));
    }
    c.post(&r.path, &form)
}

fn assert_headers(a: &Answer, what: &str) {
    let csp = a
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy ({})", a.status));
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{what}: {csp}"
    );
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(
        a.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
}

/// What the QA lead sees of the whole state: every review and appeal step
/// (the export), every appeal, every account. Denied requests must leave
/// all of it as it was.
fn state(s: &Server) -> (String, String, String) {
    let mut qalead = s.signed_in("qalead");
    let mut admin = s.signed_in("admin");
    (
        qalead.get("/export/reviews.csv").body,
        without_tokens(&qalead.get("/appeals?state=all").body),
        without_tokens(&admin.get("/admin/users").body),
    )
}

/// A page without its session's CSRF tokens (another session each time).
fn without_tokens(page: &str) -> String {
    let key = "name=\"csrf\" value=\"";
    let mut out = String::new();
    let mut rest = page;
    while let Some(i) = rest.find(key) {
        out.push_str(&rest[..i + key.len()]);
        rest = &rest[i + key.len()..];
        rest = rest.split_once('"').map_or("", |x| x.1);
        out.push('"');
    }
    out.push_str(rest);
    out
}

const ROLES: [&str; 6] = ["op", "lead", "qa", "qalead", "manager", "admin"];

#[test]
fn every_route_refuses_other_operators_and_teams_ids_to_each_role() {
    let (s, ids) = setup();
    let before = state(&s);
    let markers: Vec<&str> = std::iter::once(ids.other_call.as_str())
        .chain(ids.other_name.as_deref())
        .collect();
    let mut refused = 0;
    for role in ROLES {
        let mut c = s.signed_in(role);
        for r in routes(&ids) {
            let what = format!("{role} {} {} {:?}", r.method, r.path, r.form);
            let allowed = r.allowed.contains(&role);
            // The allowed POSTs would change the state this test compares:
            // they are the other tests' (and serve.rs', serve_appeals.rs').
            if allowed && r.method == "POST" {
                continue;
            }
            let csrf = c.csrf();
            let a = send(&mut c, &r, Some(&csrf));
            assert_headers(&a, &what);
            if allowed {
                // No scorecard has been adopted yet: 404 is that page's answer.
                let want = if r.path == "/rules/scorecard.toml" {
                    404
                } else {
                    200
                };
                assert_eq!(
                    a.status,
                    want,
                    "{what}: {}",
                    &a.body[..a.body.len().min(400)]
                );
                continue;
            }
            refused += 1;
            assert!(
                a.status == 403 || a.status == 404,
                "{what}: answered {} {}",
                a.status,
                &a.body[..a.body.len().min(400)]
            );
            for m in &markers {
                assert!(!a.body.contains(m), "{what}: the body holds {m}");
            }
        }
        // The lists an operator and a team leader may open hold nothing of
        // the other team's.
        if role == "op" || role == "lead" {
            for path in scoped_reads(&ids) {
                let a = c.get(&path);
                assert_eq!(a.status, 200, "{role} {path}");
                assert_headers(&a, &path);
                for m in &markers {
                    assert!(!a.body.contains(m), "{role} {path}: the body holds {m}");
                }
                if role == "op" {
                    assert!(
                        !a.body.contains(&format!(">{}<", ids.other_op)),
                        "{role} {path}: another operator's id"
                    );
                }
            }
        }
    }
    assert!(refused > 100, "only {refused} refusals were tried");
    // Must-not: the roles that may see the other call do see it (so the
    // markers above can be found when they are there).
    for role in ["qa", "qalead", "manager", "lead_b", "op_b"] {
        let mut c = s.signed_in(role);
        let a = c.get(&format!("/call?id={}", ids.other_call));
        assert_eq!(a.status, 200, "{role}");
        for m in &markers {
            assert!(a.body.contains(m), "{role} sees {m}");
        }
        let list = c.get("/calls?appealed=1");
        assert!(
            list.body.contains(&ids.other_call),
            "{role} lists the appealed call"
        );
    }
    // Must-not: the operator and team leader see their own.
    let mut op = s.signed_in("op");
    assert_eq!(op.get(&format!("/call?id={}", ids.my_call)).status, 200);
    let rank = op.get(&format!("/rank?from={}&to={}", ids.days[0], ids.days[1]));
    assert!(rank.body.contains(&format!("data-id=\"{}\"", ids.my_op)));
    let mut lead = s.signed_in("lead");
    let own = lead.get(&format!("/calls?team={}", http::enc(&ids.my_team)));
    assert!(own.body.contains("class=\"call\""));
    assert_eq!(
        lead.get(&format!("/call?id={}", ids.my_call)).status,
        200,
        "the team leader opens the team's call"
    );
    // The operator's own finding under the other call's id is not theirs either.
    let csrf = op.csrf();
    let a = op.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &ids.other_call),
            ("fid", &ids.my_fid),
            ("reason", "编号对调"),
        ],
    );
    assert_eq!(a.status, 404);
    // Nothing changed: no review, no appeal step, no account.
    assert!(state(&s) == before, "a refused request changed something");
}

#[test]
fn every_state_changing_route_refuses_a_missing_or_wrong_csrf_token() {
    let (s, ids) = setup();
    let before = state(&s);
    // Each POST as a role that may make it, so that only the token is wrong.
    let mut cases: Vec<(&str, Route)> = routes(&ids)
        .into_iter()
        .filter(|r| r.method == "POST" && !r.allowed.is_empty())
        .map(|r| (r.allowed[0], r))
        .collect();
    cases.push((
        "op_b",
        post(
            "/appeal",
            vec![
                ("call_id", ids.other_call.clone()),
                ("fid", ids.other_fid.clone()),
                ("reason", "再申诉一次".into()),
            ],
            &["op_b"],
        ),
    ));
    cases.push((
        "lead_b",
        post(
            "/appeal/act",
            vec![
                ("appeal_id", ids.other_appeal.clone()),
                ("version", ids.other_version.clone()),
                ("action", "pass".into()),
            ],
            &["lead_b"],
        ),
    ));
    cases.push((
        "op",
        post(
            "/password",
            vec![
                ("current", wb::PW.into()),
                ("new", "another long password".into()),
                ("again", "another long password".into()),
            ],
            &["op"],
        ),
    ));
    cases.push(("op", post("/logout", Vec::new(), &["op"])));
    for (role, r) in &cases {
        let mut c = s.signed_in(role);
        for token in [None, Some("0".repeat(64)), Some(String::new())] {
            let a = send(&mut c, r, token.as_deref());
            assert_eq!(
                a.status, 403,
                "{role} {} token {token:?}: {}",
                r.path, a.body
            );
            assert_headers(&a, &r.path);
        }
        // Must-not: the session itself is still good (a refused logout did
        // not end it, a refused password change did not change it).
        assert_eq!(c.get("/password").status, 200, "{role} still signed in");
    }
    let mut op = Client::new(&s.addr);
    assert_eq!(
        op.login("op", wb::PW).status,
        303,
        "the password is unchanged"
    );
    assert_eq!(
        state(&s),
        before,
        "a POST without its token changed something"
    );
    // Must-not: with the token the same appeal step goes through.
    let mut lead_b = s.signed_in("lead_b");
    let csrf = lead_b.csrf();
    let a = lead_b.post(
        "/appeal/act",
        &[
            ("csrf", &csrf),
            ("appeal_id", &ids.other_appeal),
            ("version", &ids.other_version),
            ("action", "pass"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(state(&s) != before, "the step with its token is stored");
}

#[test]
fn session_replayed_after_logout_is_refused_for_every_role() {
    let (s, ids) = setup();
    for role in ROLES {
        let mut c = s.signed_in(role);
        let csrf = c.csrf();
        let old = c.clone();
        assert_eq!(c.post("/logout", &[("csrf", &csrf)]).status, 303);
        for path in [
            "/overview",
            "/calls",
            "/admin/users",
            "/export/reviews.csv",
            "/password",
        ] {
            let mut replay = old.clone();
            let a = replay.get(path);
            assert_eq!(a.status, 303, "{role} {path} after logout");
            assert_eq!(a.header("location"), Some("/login"));
            assert!(!a.body.contains(&ids.other_call));
        }
        let mut replay = old.clone();
        let a = replay.post(
            "/review",
            &[
                ("csrf", &csrf),
                ("call_id", &ids.other_call),
                ("fid", &ids.other_fid),
                ("version", "0"),
                ("verdict", "dismissed"),
            ],
        );
        assert_eq!(a.status, 403, "{role} POST after logout");
        assert_headers(&a, "replayed POST");
    }
}

#[test]
fn security_headers_are_on_every_answer_including_errors() {
    let (s, _ids) = setup();
    let mut anon = Client::new(&s.addr);
    for path in [
        "/login",
        "/static/app.css",
        "/favicon.ico",
        "/",
        "/calls",
        "/nowhere",
    ] {
        let a = anon.get(path);
        assert_headers(&a, path);
    }
    let a = anon.post("/review", &[("call_id", "x")]);
    assert_eq!(a.status, 403);
    assert_headers(&a, "anonymous POST");
    let mut op = s.signed_in("op");
    for path in ["/nowhere", "/call?id=nope", "/queue", "/rank?from=x"] {
        let a = op.get(path);
        assert!(a.status >= 400, "{path}: {}", a.status);
        assert_headers(&a, path);
    }
    let big = "x".repeat(70 * 1024);
    let a = op.post("/password", &[("current", &big)]);
    assert_eq!(a.status, 413);
    assert_headers(&a, "body too large");
}
