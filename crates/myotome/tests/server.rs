//! The `myotome` binary as a server: durability across a SIGKILL, and two `serve` processes
//! sharing one PostgreSQL database. These run the real binary on port 0 against a database of
//! their own.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";

fn myotome(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_myotome"));
    command.arg("--database").arg(database);
    command
        .env_remove("MYOTOME_DATABASE")
        .env_remove("MYOTOME_LISTEN");
    command
}

fn add_user(database: &str, username: &str, role: &str) {
    let mut child = myotome(database)
        .args(["user", "add", username, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("myotome user add starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password written");
    assert!(
        child.wait().expect("user add ends").success(),
        "user add failed"
    );
}

/// A running `myotome serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &str) -> Server {
        let mut child = myotome(database)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("myotome serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines
            .read_line(&mut first)
            .expect("serve prints its address");
        // Keep reading what the server prints: a closed pipe would fail its next line.
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        let base = first
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        Server { child, base }
    }

    fn kill(&mut self) {
        // SIGKILL on Unix: no shutdown handler runs, no buffer is flushed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A signed-in API client: the session cookie and the CSRF token it came with.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Client {
    async fn sign_in(base: &str, username: &str) -> Client {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .expect("sign-in request");
        assert_eq!(response.status(), 200, "sign-in as {username}");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("myotome_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let body: Value = response.json().await.expect("sign-in JSON");
        let csrf = body["csrf_token"]
            .as_str()
            .expect("a csrf token")
            .to_owned();
        Client {
            http,
            base: base.to_owned(),
            cookie,
            csrf,
        }
    }

    /// The same session, sent to another server.
    fn on(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<(u16, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

fn patient(n: usize) -> Value {
    json!({
        "family_name": format!("Kill-{n}"),
        "given_names": "Durable Ö'Brien",
        "birth_date": "1970-01-01",
        "sex": "female",
    })
}

fn sqlite_database(dir: &Path) -> String {
    dir.join("clinic.db").display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_sigkill_on_sqlite_and_the_audit_chain_stays_valid() {
    let dir = tempfile::tempdir().expect("temp dir");
    writes_survive_a_sigkill(&sqlite_database(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_sigkill_on_postgres_and_the_audit_chain_stays_valid() {
    if let Some(database) = fresh_postgres_database().await {
        writes_survive_a_sigkill(&database).await;
    }
}

async fn writes_survive_a_sigkill(database: &str) {
    let database = database.to_owned();
    add_user(&database, "nurse", "staff");
    let mut server = Server::start(&database);
    let client = Client::sign_in(&server.base, "nurse").await;

    // Four writers stream patients; each records what the server acknowledged.
    let acknowledged: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let client = client.clone();
        let acknowledged = Arc::clone(&acknowledged);
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let body = patient(writer * 1_000_000 + n);
                match client
                    .send(
                        reqwest::Method::POST,
                        "/api/v1/patients",
                        Some(body.clone()),
                    )
                    .await
                {
                    Ok((201, created)) => {
                        let id = created["id"].as_i64().expect("an id");
                        let name = body["family_name"].as_str().unwrap_or_default().to_owned();
                        acknowledged.lock().expect("lock").push((id, name));
                    }
                    Ok((status, body)) => panic!("unexpected {status}: {body}"),
                    // The server died mid-request: that write was never acknowledged.
                    Err(_) => break,
                }
            }
        }));
    }
    while acknowledged.lock().expect("lock").len() < 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for writer in writers {
        writer.await.expect("writer ends");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 200);

    let server = Server::start(&database);
    let client = client.on(&server.base);
    let client = Client::sign_in(&client.base, "nurse").await;
    for (id, name) in &acknowledged {
        let (status, body) = client
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/patients/{id}"),
                None,
            )
            .await
            .expect("read back");
        assert_eq!(
            status, 200,
            "acknowledged patient {id} is missing after the kill"
        );
        assert_eq!(body["family_name"], json!(name));
        assert_eq!(body["given_names"], json!("Durable Ö'Brien"));
    }
    drop(server);

    let verify = myotome(&database)
        .args(["audit", "verify"])
        .output()
        .expect("audit verify runs");
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "audit chain broken after the kill: {said}"
    );
    assert!(said.contains("intact"), "{said}");
}

/// A fresh database on the test PostgreSQL server, or `None` when there is none (outside CI).
async fn fresh_postgres_database() -> Option<String> {
    let Ok(url) = std::env::var("MYOTOME_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but MYOTOME_TEST_POSTGRES_URL is not set: scripts/test starts PostgreSQL and sets it"
        );
        eprintln!("MYOTOME_TEST_POSTGRES_URL not set: skipping the PostgreSQL half");
        return None;
    };
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to the test PostgreSQL server");
    let name = format!(
        "myotome_cli_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (server, _) = url.rsplit_once('/').expect("a database in the URL");
    Some(format!("{server}/{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_share_sessions_and_refuse_a_stale_update() {
    let Some(database) = fresh_postgres_database().await else {
        return;
    };
    add_user(&database, "doctor", "clinician");
    let a = Server::start(&database);
    let b = Server::start(&database);

    let on_a = Client::sign_in(&a.base, "doctor").await;
    let on_b = on_a.on(&b.base);
    let (status, me) = on_b
        .send(reqwest::Method::GET, "/api/v1/session", None)
        .await
        .expect("session on B");
    assert_eq!(status, 200, "the session made on A works on B: {me}");

    let (status, created) = on_a
        .send(reqwest::Method::POST, "/api/v1/patients", Some(patient(1)))
        .await
        .expect("create on A");
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("an id");
    let version = created["version"].as_i64().expect("a version");

    let mut from_b = patient(1);
    from_b["given_names"] = json!("Changed on B");
    from_b["version"] = json!(version);
    let (status, body) = on_b
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/patients/{id}"),
            Some(from_b),
        )
        .await
        .expect("update on B");
    assert_eq!(status, 200, "{body}");

    let mut stale = patient(1);
    stale["given_names"] = json!("Changed on A from a stale read");
    stale["version"] = json!(version);
    let (status, body) = on_a
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/patients/{id}"),
            Some(stale),
        )
        .await
        .expect("stale update on A");
    assert_eq!(status, 409, "a stale update is refused: {body}");
    assert_eq!(body["error"]["code"], json!("stale_version"));

    let (_, now) = on_a
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/patients/{id}"),
            None,
        )
        .await
        .expect("read on A");
    assert_eq!(
        now["given_names"],
        json!("Changed on B"),
        "B's write is kept"
    );
}
