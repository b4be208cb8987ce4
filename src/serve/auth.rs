//! Accounts, passwords, sessions and the login rate limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// What an account may see and do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// 话务员: own calls only.
    Operator,
    /// 班长: own team's calls.
    Lead,
    /// 质检员: all calls, reviews findings.
    Reviewer,
    /// 质检主管: as a reviewer, and (later) appeals and the scorecard.
    QaLead,
    /// 管理: everything, read-only.
    Manager,
    /// 管理员: accounts and the audit log, no calls.
    Admin,
}

impl Role {
    /// Every role, in the order the pages list them.
    pub const ALL: [Role; 6] = [
        Role::Operator,
        Role::Lead,
        Role::Reviewer,
        Role::QaLead,
        Role::Manager,
        Role::Admin,
    ];

    /// The key stored in the database and accepted on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Lead => "lead",
            Role::Reviewer => "reviewer",
            Role::QaLead => "qa-lead",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// The Chinese name shown on the pages.
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Operator => "话务员",
            Role::Lead => "班长",
            Role::Reviewer => "质检员",
            Role::QaLead => "质检主管",
            Role::Manager => "管理",
            Role::Admin => "管理员",
        }
    }

    /// Parses the English key or the Chinese name.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.key() == s || r.name_zh() == s)
    }

    /// Whether the role may open calls at all.
    pub fn sees_calls(self) -> bool {
        self != Role::Admin
    }

    /// Whether the role may confirm or dismiss findings and reveal a
    /// caller's number and name.
    pub fn reviews(self) -> bool {
        matches!(self, Role::Reviewer | Role::QaLead)
    }
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The operator's 工号 (operators only).
    pub operator_id: String,
    /// The team (team leads only).
    pub team: String,
    /// Must set a new password before anything else.
    pub must_change: bool,
}

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf)
        .map_err(|e| anyhow::anyhow!("系统随机数不可用（getrandom failed: {e}）"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A one-time password: 16 letters and digits without the ones people
/// confuse (0/O, 1/l/I), about 90 bits.
pub fn one_time_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 16];
    getrandom::getrandom(&mut buf)
        .map_err(|e| anyhow::anyhow!("系统随机数不可用（getrandom failed: {e}）"))?;
    // 256 is not a multiple of the alphabet's 54 letters: the slight bias
    // this leaves costs well under a bit of the 92.
    Ok(buf
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

/// The argon2id hash (PHC string) of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)
        .map_err(|e| anyhow::anyhow!("系统随机数不可用（getrandom failed: {e}）"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("密码无法加密（hashing failed: {e}）"))
}

/// Whether `password` matches the stored `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash that verifies nothing, checked when the account does not exist
/// so that a wrong name takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password: no account has it").unwrap_or_default())
}

/// The SHA-256 of a session token, as stored: a copy of the database does
/// not hold live session cookies.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Equality that takes as long whatever the first difference (CSRF tokens).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a password is acceptable for an account.
pub fn password_problem(p: &str) -> Option<&'static str> {
    if p.chars().count() < 10 {
        Some("密码至少 10 个字符（password too short）")
    } else {
        None
    }
}

/// Creates an account; returns its id.
pub fn add_user(
    conn: &Connection,
    name: &str,
    role: Role,
    operator_id: &str,
    team: &str,
    password: &str,
    must_change: bool,
) -> anyhow::Result<i64> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        anyhow::bail!("账号名不能为空，最长 64 个字符（bad account name）");
    }
    if role == Role::Operator && operator_id.trim().is_empty() {
        anyhow::bail!(
            "话务员账号要写 --operator-id 工号，否则看不到任何通话（operator needs --operator-id）"
        );
    }
    if role == Role::Lead && team.trim().is_empty() {
        anyhow::bail!("班长账号要写 --team 班组（team lead needs --team）");
    }
    if let Some(p) = password_problem(password) {
        anyhow::bail!("{p}");
    }
    let exists: Option<i64> = conn
        .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
        .optional()?;
    if exists.is_some() {
        anyhow::bail!("账号 {name} 已经存在，请换一个名字（account exists）");
    }
    conn.execute(
        "INSERT INTO users(name, role, operator_id, team, hash, must_change, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            name,
            role.key(),
            operator_id.trim(),
            team.trim(),
            hash_password(password)?,
            must_change,
            super::db::now_utc()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The account named `name` with its hash, if enabled.
pub fn find_user(conn: &Connection, name: &str) -> anyhow::Result<Option<(User, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, name, role, operator_id, team, must_change, hash FROM users WHERE name = ?1 AND disabled = 0",
            [name],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?
        .and_then(|(id, name, role, operator_id, team, must_change, hash)| {
            Some((
                User {
                    id,
                    name,
                    role: Role::parse(&role)?,
                    operator_id,
                    team,
                    must_change,
                },
                hash,
            ))
        }))
}

/// How long sessions live.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    /// Ends after this long without a request.
    pub idle: Duration,
    /// Ends this long after login, however busy.
    pub absolute: Duration,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Starts a session; returns (cookie token, CSRF token).
pub fn start_session(conn: &Connection, user: i64, addr: &str) -> anyhow::Result<(String, String)> {
    let token = random_hex(32)?;
    let csrf = random_hex(32)?;
    let now = unix_now();
    conn.execute(
        "INSERT INTO sessions(token_hash, user_id, csrf, created, last_seen, addr) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![token_hash(&token), user, csrf, now, addr],
    )?;
    Ok((token, csrf))
}

/// The session of a cookie token, if live: its user and CSRF token. An
/// expired session is deleted.
pub fn session(
    conn: &Connection,
    token: &str,
    limits: SessionLimits,
) -> anyhow::Result<Option<(User, String)>> {
    let h = token_hash(token);
    let row = conn
        .query_row(
            "SELECT s.created, s.last_seen, s.csrf, u.name FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND u.disabled = 0",
            [&h],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((created, last_seen, csrf, name)) = row else {
        return Ok(None);
    };
    let now = unix_now();
    let idle = i64::try_from(limits.idle.as_secs()).unwrap_or(i64::MAX);
    let absolute = i64::try_from(limits.absolute.as_secs()).unwrap_or(i64::MAX);
    if now - last_seen > idle || now - created > absolute {
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&h])?;
        return Ok(None);
    }
    conn.execute(
        "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
        params![h, now],
    )?;
    Ok(find_user(conn, &name)?.map(|(u, _)| (u, csrf)))
}

/// Ends a session.
pub fn end_session(conn: &Connection, token: &str) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        [token_hash(token)],
    )?;
    Ok(())
}

/// Failed logins per account and per address within a window: past the
/// limit every login for that key is refused (even with the right
/// password) until the oldest failure leaves the window.
pub struct RateLimit {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl RateLimit {
    /// `per_account` and `per_address` failures per `window`.
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> RateLimit {
        RateLimit {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, addr: &str) -> [String; 2] {
        [format!("u:{account}"), format!("a:{addr}")]
    }

    /// Whether a login for `account` from `addr` is refused now.
    pub fn blocked(&self, account: &str, addr: &str) -> bool {
        let mut map = match self.failures.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let now = Instant::now();
        let [u, a] = Self::keys(account, addr);
        let mut count = |k: &str| {
            map.get_mut(k).map_or(0, |v| {
                v.retain(|t| now.duration_since(*t) < self.window);
                v.len()
            })
        };
        count(&u) >= self.per_account || count(&a) >= self.per_address
    }

    /// Records a failed login.
    pub fn failed(&self, account: &str, addr: &str) {
        let mut map = match self.failures.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        // Bounded memory: a flood of made-up names from many addresses
        // cannot grow the table without end.
        // Only keys with no failure left in the window are dropped, so
        // the flood cannot lift a lock either.
        if map.len() > 100_000 {
            let now = Instant::now();
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        for k in Self::keys(account, addr) {
            map.entry(k).or_default().push(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_password() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("", &h));
        assert!(!verify_password("x", "not a hash"));
        // Two hashes of one password differ (fresh salt).
        assert_ne!(h, hash_password("correct horse battery").expect("hash"));
    }

    #[test]
    fn failed_logins_past_the_limit_lock_account_and_address() {
        let rl = RateLimit::new(Duration::from_secs(60), 3, 5);
        for _ in 0..2 {
            rl.failed("qa", "10.0.0.1");
        }
        assert!(!rl.blocked("qa", "10.0.0.1"), "two failures do not lock");
        rl.failed("qa", "10.0.0.1");
        assert!(rl.blocked("qa", "10.0.0.1"));
        assert!(
            rl.blocked("qa", "10.0.0.2"),
            "the account is locked from any address"
        );
        assert!(
            !rl.blocked("lead", "10.0.0.2"),
            "other accounts elsewhere are not"
        );
        for k in 0..5 {
            rl.failed(&format!("u{k}"), "10.0.0.9");
        }
        assert!(
            rl.blocked("someone", "10.0.0.9"),
            "an address guessing many names is locked"
        );
        let short = RateLimit::new(Duration::from_millis(30), 1, 10);
        short.failed("a", "b");
        assert!(short.blocked("a", "b"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!short.blocked("a", "b"), "the lock ends with the window");
    }

    #[test]
    fn roles_parse_from_chinese_and_english() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Some(r));
            assert_eq!(Role::parse(r.name_zh()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(!Role::Admin.sees_calls());
        assert!(!Role::Manager.reviews() && Role::Reviewer.reviews());
    }

    #[test]
    fn tokens_are_random_and_compared_in_full() {
        let a = random_hex(32).expect("random");
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32).expect("random"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &a[..63]));
        assert!(!same("", "x"));
        let p = one_time_password().expect("otp");
        assert_eq!(p.chars().count(), 16);
        assert!(password_problem(&p).is_none());
    }
}
