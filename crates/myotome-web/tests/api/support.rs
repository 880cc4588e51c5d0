//! `spawn_app()`: a server with an admin, a clinician, a staff member and a staff API token
//! signed in, and a small client that speaks the API's JSON.

use myotome_core::ClinicalData;
use myotome_store::{Actor, NewUser, Role, Store, User};
use myotome_web::{AppState, Settings};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a scenario on both backends: `both!(name_as_a_sentence, scenario_fn)` makes
/// `name_as_a_sentence::on_sqlite` and `name_as_a_sentence::on_postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident, $scenario:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                if let Some(app) = $crate::support::spawn_app($crate::support::Db::Sqlite).await {
                    $scenario(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if let Some(app) = $crate::support::spawn_app($crate::support::Db::Postgres).await {
                    $scenario(app).await;
                }
            }
        }
    };
}

/// A database URL for a fresh store, or `None` to skip (PostgreSQL not configured, outside CI).
async fn database_url(db: Db) -> Option<String> {
    match db {
        Db::Sqlite => Some(myotome_store::memory_url()),
        Db::Postgres => Some(fresh_postgres_database(&postgres_server()?).await),
    }
}

/// The test PostgreSQL server's URL, or `None` to skip (not configured, outside CI).
pub fn postgres_server() -> Option<String> {
    match std::env::var("MYOTOME_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but MYOTOME_TEST_POSTGRES_URL is not set: scripts/test starts PostgreSQL and sets it"
            );
            eprintln!("MYOTOME_TEST_POSTGRES_URL is not set: skipping the PostgreSQL run");
            None
        }
    }
}

/// Creates a database of its own for one test app on the test PostgreSQL server.
pub async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to the test PostgreSQL server");
    let name = format!(
        "myotome_web_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or_default()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let _ = admin.close().await;
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A store on a fresh database, or `None` when the backend is not available here.
pub async fn fresh_store(db: Db) -> Option<Arc<dyn Store>> {
    let url = database_url(db).await?;
    Some(myotome_store::connect(&url).await.expect("open the store"))
}

/// A running server and its signed-in clients. The server stops when this is dropped.
pub struct TestApp {
    pub base: String,
    pub admin: Client,
    pub clinician: Client,
    pub staff: Client,
    /// An API token acting as `token_user` (staff).
    pub token: Client,
    pub anonymous: Client,
    pub admin_user: User,
    pub clinician_user: User,
    pub staff_user: User,
    /// The database's URL, for a test that must write what no request can (a row another
    /// version of Myotome wrote); `None` when the app was started on a given store.
    pub database_url: Option<String>,
    /// The server's clock: the machine's, moved forward when a test says the day goes on
    /// (an anesthetic's wait, an observation's minimum).
    pub clock: Arc<TestClock>,
    stop: Option<oneshot::Sender<()>>,
}

/// The machine's clock plus an offset a test moves forward.
#[derive(Debug)]
pub struct TestClock {
    zone: jiff::tz::TimeZone,
    offset_seconds: std::sync::atomic::AtomicI64,
}

impl TestClock {
    fn new(zone: Option<jiff::tz::TimeZone>) -> Self {
        Self {
            zone: zone.unwrap_or_else(jiff::tz::TimeZone::system),
            offset_seconds: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// Moves the server's clock `minutes` forward.
    #[allow(dead_code)] // not every test binary lets time pass
    pub fn advance(&self, minutes: i64) {
        self.offset_seconds
            .fetch_add(minutes * 60, std::sync::atomic::Ordering::SeqCst);
    }
}

impl myotome_clinic::Clock for TestClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
            + jiff::SignedDuration::from_secs(
                self.offset_seconds
                    .load(std::sync::atomic::Ordering::SeqCst),
            )
    }
    fn today(&self) -> jiff::civil::Date {
        self.now().to_zoned(self.zone.clone()).date()
    }
    fn time_zone(&self) -> jiff::tz::TimeZone {
        self.zone.clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn cli_actor() -> Actor {
    Actor {
        user_id: None,
        name: "test-setup".to_owned(),
        from: "local".to_owned(),
    }
}

pub async fn add_user(store: &dyn Store, username: &str, role: Role) -> User {
    let password_hash = myotome_web::hash_password(PASSWORD).expect("hash");
    store
        .create_user(
            &cli_actor(),
            &NewUser {
                username: username.to_owned(),
                display_name: format!("{username} (test)"),
                role,
                password_hash,
            },
        )
        .await
        .expect("create a user")
}

/// Starts a server with default settings; `None` when the backend is not available here.
pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, Settings::default()).await
}

pub async fn spawn_app_with(db: Db, settings: Settings) -> Option<TestApp> {
    spawn_app_mailing(db, settings, None).await
}

/// [`spawn_app_with`], e-mailing through `mailer` (its mail loop running).
pub async fn spawn_app_mailing(
    db: Db,
    settings: Settings,
    mailer: Option<myotome_clinic::outbox::Mailer>,
) -> Option<TestApp> {
    let url = database_url(db).await?;
    let store = myotome_store::connect(&url).await.expect("open the store");
    let mut app = start_with(store, settings, mailer).await;
    app.database_url = Some(url);
    Some(app)
}

/// Starts a server on an existing store (users are added to it).
pub async fn start(store: Arc<dyn Store>, settings: Settings) -> TestApp {
    start_with(store, settings, None).await
}

async fn start_with(
    store: Arc<dyn Store>,
    settings: Settings,
    mailer: Option<myotome_clinic::outbox::Mailer>,
) -> TestApp {
    let clock = Arc::new(TestClock::new(settings.time_zone.clone()));
    let (base, stop) = serve_with(Arc::clone(&store), settings, clock.clone(), mailer).await;
    let admin_user = add_user(store.as_ref(), "ada", Role::Admin).await;
    let clinician_user = add_user(store.as_ref(), "dr_chen", Role::Clinician).await;
    let staff_user = add_user(store.as_ref(), "sam", Role::Staff).await;
    let token_user = add_user(store.as_ref(), "ehr_bridge", Role::Staff).await;
    let (_, secret) =
        myotome_web::create_api_token(store.as_ref(), &cli_actor(), token_user.id, "EHR bridge")
            .await
            .expect("create a token");
    TestApp {
        admin: Client::sign_in(&base, "ada", PASSWORD).await,
        clinician: Client::sign_in(&base, "dr_chen", PASSWORD).await,
        staff: Client::sign_in(&base, "sam", PASSWORD).await,
        token: Client::with_token(&base, &secret),
        anonymous: Client::anonymous(&base),
        base,
        admin_user,
        clinician_user,
        staff_user,
        database_url: None,
        clock,
        stop: Some(stop),
    }
}

/// Serves `store` on a free port; returns the base URL and the stop switch.
pub async fn serve(store: Arc<dyn Store>, settings: Settings) -> (String, oneshot::Sender<()>) {
    let clock = Arc::new(TestClock::new(settings.time_zone.clone()));
    serve_with_clock(store, settings, clock).await
}

/// [`serve`] on `clock`.
pub async fn serve_with_clock(
    store: Arc<dyn Store>,
    settings: Settings,
    clock: Arc<TestClock>,
) -> (String, oneshot::Sender<()>) {
    serve_with(store, settings, clock, None).await
}

async fn serve_with(
    store: Arc<dyn Store>,
    settings: Settings,
    clock: Arc<TestClock>,
    mailer: Option<myotome_clinic::outbox::Mailer>,
) -> (String, oneshot::Sender<()>) {
    let data = Arc::new(ClinicalData::builtin().expect("built-in data loads"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let mut state = AppState::with_clock(store, data, settings, clock);
    if let Some(mailer) = mailer {
        state = state.with_mailer(mailer);
    }
    tokio::spawn(async move {
        let _ = myotome_web::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    (base, stop)
}

/// How a client authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    Session { cookie: String, csrf: String },
    Token(String),
    None,
}

/// An answer: status, JSON body (or `Null`), headers.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// Asserts an error answer's status and code, and that its message is a sentence.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.code(), code, "{}", self.body);
        let message = self.message();
        assert!(
            message.len() > 20 && message.ends_with(['.', '!', '?']),
            "the message should be a sentence: {message:?}"
        );
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub auth: Auth,
}

impl Client {
    pub fn anonymous(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            base: base.to_owned(),
            auth: Auth::None,
        }
    }

    pub fn with_token(base: &str, secret: &str) -> Client {
        Client {
            auth: Auth::Token(secret.to_owned()),
            ..Client::anonymous(base)
        }
    }

    pub async fn sign_in(base: &str, username: &str, password: &str) -> Client {
        let anonymous = Client::anonymous(base);
        let reply = anonymous
            .post(
                "/api/v1/session",
                json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(reply.status, 200, "sign-in as {username}: {}", reply.body);
        let cookie = session_cookie(&reply.headers).expect("a session cookie");
        let csrf = reply.body["csrf_token"]
            .as_str()
            .expect("a csrf token")
            .to_owned();
        Client {
            auth: Auth::Session { cookie, csrf },
            ..anonymous
        }
    }

    /// The same session without the CSRF token (what a forged cross-site request carries).
    pub fn without_csrf(&self) -> Client {
        let auth = match &self.auth {
            Auth::Session { cookie, .. } => Auth::Session {
                cookie: cookie.clone(),
                csrf: String::new(),
            },
            other => other.clone(),
        };
        Client {
            auth,
            ..self.clone()
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::Session { cookie, csrf } => {
                let request = request.header("cookie", format!("myotome_session={cookie}"));
                if csrf.is_empty() {
                    request
                } else {
                    request.header("x-csrf-token", csrf)
                }
            }
            Auth::Token(secret) => request.bearer_auth(secret),
            Auth::None => request,
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// A raw body with a content type (for malformed JSON and friends).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let request = self
            .request(method, path)
            .header("content-type", content_type)
            .body(body);
        self.send(request).await
    }
}

/// The session secret from a `Set-Cookie` header.
pub fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("myotome_session="))
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.split_once('='))
        .map(|(_, secret)| secret.to_owned())
        .filter(|secret| !secret.is_empty())
}

/// A patient body with a name; everything else plausible.
pub fn patient_body(family_name: &str) -> Value {
    json!({
        "family_name": family_name,
        "given_names": "Alex",
        "birth_date": "1968-04-02",
        "sex": "female",
    })
}

/// Creates a patient as `client`; returns its id.
pub async fn create_patient(client: &Client, family_name: &str) -> i64 {
    let reply = client
        .post("/api/v1/patients", patient_body(family_name))
        .await;
    reply.assert_status(201)["id"].as_i64().expect("an id")
}

/// How many patients the store holds (read as the clinician, through the API).
pub async fn patient_count(app: &TestApp) -> u64 {
    let reply = app.clinician.get("/api/v1/patients?per_page=1").await;
    reply.assert_status(200)["total"].as_u64().expect("a total")
}

/// `screening` (as the API returned it) made complete the way a clinician does: when it is
/// incomplete, the patient, asked now, answers "no" to each question nobody had asked, and the
/// screening run again with the answers is returned; a complete one is returned as it is.
#[allow(dead_code)] // not every test binary screens
pub async fn completed(app: &TestApp, screening: &Value) -> Value {
    if screening["incomplete"] != json!(true) {
        return screening.clone();
    }
    let answers: serde_json::Map<String, Value> = screening["to_ask"]
        .as_array()
        .expect("the questions to ask")
        .iter()
        .map(|q| (q["id"].as_str().expect("an id").to_owned(), json!(false)))
        .collect();
    let id = screening["id"].as_i64().expect("an id");
    let again = app
        .clinician
        .post(
            &format!("/api/v1/screenings/{id}/answers"),
            json!({ "answers": answers }),
        )
        .await
        .assert_status(201)
        .clone();
    assert_eq!(again["incomplete"], json!(false), "{again:#}");
    assert_eq!(again["result"]["not_asked"], json!([]), "{again:#}");
    again
}

/// What a clinician does before planning `protocol` for `patient`, through the API: screens
/// the chart as it is now (recording the patient's "no" to whatever nobody had asked) and
/// signs the result (so the plan rests on a current screening),
/// records the clearance each finding asks for (a letter from the role the protocol names),
/// and returns the concepts of its precautions, to acknowledge in the plan.
#[allow(dead_code)] // not every test binary plans
pub async fn clear_for_plan(app: &TestApp, patient: i64, protocol: &str) -> Vec<String> {
    let path = format!("/api/v1/patients/{patient}/screenings");
    let ran = app
        .clinician
        .post(&path, json!({ "protocols": [protocol] }))
        .await;
    let ran = completed(app, &ran.assert_status(201)[0]).await;
    let id = ran["id"].as_i64().expect("an id");
    let screening = app
        .clinician
        .post(&format!("/api/v1/screenings/{id}/sign"), json!({}))
        .await
        .assert_status(200)
        .clone();
    let id = screening["id"].as_i64().expect("an id");
    let findings = screening["result"]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut precautions = Vec::new();
    for finding in &findings {
        let concept = finding["concept"].as_str().expect("a concept").to_owned();
        match finding["outcome"].as_str() {
            Some("needs_clearance") => {
                app.clinician
                    .post(
                        &format!("/api/v1/screenings/{id}/clearances"),
                        json!({
                            "concept": concept,
                            "cleared_by_name": "Dr Nia Adeyemi",
                            "cleared_on": screening["as_of"],
                            "method": "letter",
                            "reference": "test letter",
                        }),
                    )
                    .await
                    .assert_status(201);
            }
            Some("eligible_with_precautions") => precautions.push(concept),
            _ => {}
        }
    }
    precautions
}

/// `plan` (a plan request body) made ready by [`clear_for_plan`]: the precautions
/// acknowledged.
#[allow(dead_code)]
pub async fn ready_plan(app: &TestApp, patient: i64, mut plan: Value) -> Value {
    let protocol = plan["protocol"].as_str().expect("a protocol").to_owned();
    let precautions = clear_for_plan(app, patient, &protocol).await;
    plan["acknowledged_precautions"] = json!(precautions);
    plan
}

/// The clinic sets the product volume ranges seeds 001 and 004 leave open (knee-msc 1–10 mL,
/// im-bmc-leg 10–40 mL), as a clinician lead would on the settings page; until then neither
/// protocol is dosed. Replaces whatever settings the clinic had.
#[allow(dead_code)]
pub async fn set_volume_ranges(app: &TestApp) {
    let current = app.clinician.get("/api/v1/settings").await;
    let version = current.assert_status(200)["version"].clone();
    let saved = app
        .clinician
        .put(
            "/api/v1/settings",
            json!({
                "version": version,
                "values": [
                    { "protocol": "knee-msc", "key": "dosing.product_volume", "min": "1", "max": "10" },
                    { "protocol": "im-bmc-leg", "key": "dosing.product_volume", "min": "10", "max": "40" },
                ],
            }),
        )
        .await;
    saved.assert_status(200);
}
