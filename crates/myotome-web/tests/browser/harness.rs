//! The browser harness: a Myotome server in this process (fresh in-memory SQLite, the users of
//! `support::TestApp`), a `chromedriver` child process on a free port, and one headless Chromium
//! session driven through WebDriver (fantoccini), with the few helpers a walk through the clinic
//! needs: sign in through the page, fill a field, click a button, wait for an element, and a
//! screenshot of every page visited under `target/browser-screenshots/<walk>/` — each one also
//! an accessibility check of the page (`accessibility.js`) — plus print to PDF and print-media
//! emulation for the printed sheets. `start_empty` serves a clinic with no users yet.
//!
//! Outside CI a machine without chromedriver skips the browser tests with a printed note;
//! under `CI=true` that is a failure (scripts/test installs Chromium and exports
//! `MYOTOME_CHROMEDRIVER`).

use crate::support::{Db, PASSWORD, TestApp, fresh_store, serve, start as start_app};
use axum::http::Method;
use fantoccini::elements::Element;
use fantoccini::wd::{PrintConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use myotome_store::Store;
use myotome_web::Settings;
use reqwest::Url;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long a page element may take to appear before the step fails.
const WAIT: Duration = Duration::from_secs(10);

/// The chromedriver to run: `MYOTOME_CHROMEDRIVER`, else `chromedriver` from Debian's
/// `chromium-driver` package or the `PATH`. `None` means "skip" (outside CI only).
fn chromedriver() -> Option<PathBuf> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if let Ok(path) = std::env::var("MYOTOME_CHROMEDRIVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "MYOTOME_CHROMEDRIVER={} is not a file; install chromium-driver (scripts/test does)",
            path.display()
        );
        return Some(path);
    }
    let found = std::iter::once(PathBuf::from("/usr/bin/chromedriver"))
        .chain(
            std::env::var_os("PATH")
                .map(|paths| {
                    std::env::split_paths(&paths)
                        .map(|dir| dir.join("chromedriver"))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        )
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            !ci,
            "CI=true but chromedriver is not installed: scripts/test installs chromium and \
             chromium-driver and exports MYOTOME_CHROMEDRIVER"
        );
        eprintln!(
            "chromedriver is not installed (apt-get install chromium chromium-driver, or run \
             scripts/test): skipping the browser test"
        );
    }
    found
}

/// The Chromium binary, when it is somewhere chromedriver might not look on its own.
fn chromium_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("MYOTOME_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// The workspace's target directory (`CARGO_TARGET_DIR`, else `<workspace>/target`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// The chromedriver child process: asked to shut down (which quits its browsers), then killed,
/// when dropped — also when a step panics.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", path.display()));
        let driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver's own shutdown command closes the browsers it started; killing it alone
        // would leave them running.
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One walk through the clinic in one headless Chromium window.
pub struct Browser {
    /// The server's address, `http://127.0.0.1:PORT`.
    pub base: String,
    /// The store behind the server (for what a walk needs that no page gives, such as the
    /// first-run set-up link).
    pub store: Arc<dyn Store>,
    pub client: Client,
    app: Option<TestApp>,
    shots: PathBuf,
    taken: Vec<String>,
    // Dropping it stops a server started without users (a `TestApp` stops its own).
    _stop: Option<oneshot::Sender<()>>,
    // Dropped last: the session and server go first.
    _driver: Driver,
}

impl Browser {
    /// A fresh server with the users of `support::TestApp` (admin `ada`, clinician `dr_chen`,
    /// staff `sam`) and a browser for the walk `name` (its screenshots go in a folder of that
    /// name, emptied first), or `None` when chromedriver is not installed outside CI.
    pub async fn start(name: &str) -> Option<Browser> {
        let chromedriver = chromedriver()?;
        let store = fresh_store(Db::Sqlite).await?;
        let app = start_app(Arc::clone(&store), Settings::default()).await;
        let base = app.base.clone();
        Some(Browser::launch(name, &chromedriver, base, store, Some(app), None).await)
    }

    /// A fresh server with no users at all, as on a clinic's first start, and a browser for
    /// the walk `name`.
    pub async fn start_empty(name: &str) -> Option<Browser> {
        let chromedriver = chromedriver()?;
        let store = fresh_store(Db::Sqlite).await?;
        let (base, stop) = serve(Arc::clone(&store), Settings::default()).await;
        Some(Browser::launch(name, &chromedriver, base, store, None, Some(stop)).await)
    }

    async fn launch(
        name: &str,
        chromedriver: &Path,
        base: String,
        store: Arc<dyn Store>,
        app: Option<TestApp>,
        stop: Option<oneshot::Sender<()>>,
    ) -> Browser {
        let driver = Driver::start(chromedriver);
        let mut options = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                "--lang=en-GB",
            ],
        });
        if let Some(binary) = chromium_binary() {
            options["binary"] = json!(binary);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| panic!("open a headless Chromium session: {e}"));
        let shots = target_dir().join("browser-screenshots").join(name);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots)
            .unwrap_or_else(|e| panic!("create {}: {e}", shots.display()));
        Browser {
            base,
            store,
            client,
            app,
            shots,
            taken: Vec::new(),
            _stop: stop,
            _driver: driver,
        }
    }

    /// The server's test users (not there on a server started empty).
    pub fn app(&self) -> &TestApp {
        self.app
            .as_ref()
            .expect("this walk's server was started without users (Browser::start_empty)")
    }

    /// Ends the browser session; the files written (screenshots, PDFs), in order.
    pub async fn finish(self) -> Vec<String> {
        let _ = self.client.clone().close().await;
        self.taken
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens `path` on the test server.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) of the page on screen.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page on screen is at `path` (ignoring the query) and returns the full
    /// path with its query.
    pub async fn wait_for_path(&self, want: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if want(&path) {
                return path;
            }
            assert!(
                Instant::now() < deadline,
                "expected {what}, but the browser is at {path}:\n{}",
                self.main_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an element matching the CSS selector.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "no element {css} on {} within {WAIT:?} ({e}); the page says:\n{}",
                self.path().await,
                self.main_text().await
            ),
        }
    }

    /// The text of the element matching the CSS selector, once it is there.
    pub async fn text_of(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("the text of {css} cannot be read: {e}"))
    }

    /// The element matching the CSS selector now, if any.
    pub async fn find(&self, css: &str) -> Option<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => Some(element),
            Err(e) if e.is_no_such_element() => None,
            Err(e) => panic!("find {css}: {e}"),
        }
    }

    /// Every element matching the CSS selector now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    /// The visible text of `<main>` (what the clinic reads on the page).
    pub async fn main_text(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => self.client.source().await.unwrap_or_default(),
        }
    }

    /// The visible text of the whole page, header included.
    pub async fn page_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The `<h1>` of the page on screen.
    pub async fn heading(&self) -> String {
        self.wait_for("h1")
            .await
            .text()
            .await
            .expect("the heading's text")
    }

    /// The form control with this id, else the (visible) one with this name.
    pub async fn field(&self, id_or_name: &str) -> Element {
        let by_id = format!("[id=\"{id_or_name}\"]");
        if let Some(element) = self.find(&by_id).await {
            return element;
        }
        self.wait_for(&format!("[name=\"{id_or_name}\"]:not([type=\"hidden\"])"))
            .await
    }

    /// Fills a field by id or name the way its kind needs: types into text inputs and text
    /// areas (replacing what was there), picks a `<select>` option by value, sets a date or time
    /// input's value (typing into them depends on the browser's locale).
    pub async fn fill(&self, id_or_name: &str, value: &str) {
        let element = self.field(id_or_name).await;
        let tag = element.tag_name().await.unwrap_or_default();
        let kind = element
            .attr("type")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if tag.eq_ignore_ascii_case("select") {
            element
                .select_by_value(value)
                .await
                .unwrap_or_else(|e| panic!("choose {value:?} in {id_or_name}: {e}"));
        } else if matches!(
            kind.as_str(),
            "date" | "time" | "datetime-local" | "week" | "month"
        ) {
            self.set_value(&element, value).await;
        } else {
            element
                .clear()
                .await
                .unwrap_or_else(|e| panic!("clear {id_or_name}: {e}"));
            element
                .send_keys(value)
                .await
                .unwrap_or_else(|e| panic!("type into {id_or_name}: {e}"));
        }
    }

    /// Sets an input's value as if chosen from its picker (and tells the page it changed).
    pub async fn set_value(&self, element: &Element, value: &str) {
        let element = serde_json::to_value(element).expect("an element reference");
        self.client
            .execute(
                "arguments[0].value = arguments[1]; \
                 arguments[0].dispatchEvent(new Event('input', {bubbles: true})); \
                 arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                vec![element, Value::String(value.to_owned())],
            )
            .await
            .expect("set an input's value");
    }

    /// Ticks (or unticks) a checkbox, or picks a radio button.
    pub async fn check(&self, css: &str, on: bool) {
        let element = self.wait_for(css).await;
        let checked = element
            .prop("checked")
            .await
            .ok()
            .flatten()
            .is_some_and(|value| value == "true");
        if checked != on {
            element
                .click()
                .await
                .unwrap_or_else(|e| panic!("click {css}: {e}"));
        }
    }

    /// Sizes the window: a phone's 390 × 844 for the patient's pages, 1280 × 900 for the
    /// clinic's.
    pub async fn window_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("size the window to {width}×{height}: {e}"));
    }

    /// Clicks the element with this id.
    pub async fn click_id(&self, id: &str) {
        self.click(&format!("[id=\"{id}\"]")).await;
    }

    /// Clicks the first element matching the CSS selector (a link or a form's button) and
    /// waits until the browser shows the page it opens, fully loaded.
    ///
    /// Waiting for a new document, not for some element to appear, matters when the answer is
    /// the same page again (a form posted back to the chart, a 422 with the field's sentence):
    /// the element looked for next is often on the old page too, and reading it there reads the
    /// page before the click. The old document carries a mark that the new one lacks; while the
    /// browser is between the two, a script may fail, which only means "not yet".
    pub async fn click(&self, css: &str) {
        let target = self.wait_for(css).await;
        self.client
            .execute("window.myotomeBeforeClick = true;", vec![])
            .await
            .expect("mark the page before the click");
        target
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        let deadline = Instant::now() + WAIT;
        loop {
            let arrived = self
                .client
                .execute(
                    "return window.myotomeBeforeClick !== true \
                     && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(arrived, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking {css} opened no new page within {WAIT:?}; the browser is at {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in as `username` through the sign-in page and waits to land on Today.
    pub async fn sign_in(&self, username: &str) {
        self.sign_in_with(username, PASSWORD).await;
    }

    /// Signs in with this password through the sign-in page and waits to land on Today.
    pub async fn sign_in_with(&self, username: &str, password: &str) {
        self.open("/sign-in").await;
        self.wait_for("form[action=\"/sign-in\"]").await;
        self.fill("username", username).await;
        self.fill("password", password).await;
        self.click("form[action=\"/sign-in\"] button[type=\"submit\"]")
            .await;
        self.wait_for("form[action=\"/sign-out\"]").await;
    }

    /// Signs out with the header's button and waits for the sign-in page.
    pub async fn sign_out(&self) {
        self.click("form[action=\"/sign-out\"] button[type=\"submit\"]")
            .await;
        self.wait_for("form[action=\"/sign-in\"]").await;
    }

    /// Writes a PNG of the window as `NN-name.png` in this walk's screenshot folder, then checks
    /// the page's accessibility: every screenshot is a page visit, so every page the suite
    /// visits is checked.
    pub async fn screenshot(&mut self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let path = self.next_file(name, "png");
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self.check_accessibility(name).await;
    }

    /// `NN-name.ext` in this walk's folder, numbered in the order files are written.
    fn next_file(&mut self, name: &str, extension: &str) -> PathBuf {
        let path = self
            .shots
            .join(format!("{:02}-{name}.{extension}", self.taken.len() + 1));
        self.taken.push(path.display().to_string());
        path
    }

    /// Fails the test with every accessibility problem of the page on screen (`place` names
    /// the step): a visible form control without a label; visible text below WCAG AA contrast
    /// (4.5:1, or 3:1 for text of 24px, or 18.66px bold) against the background it is drawn
    /// on; an image without alt text; a link or button without a name; other than one `<h1>`;
    /// a heading level skipped on the way down. The checks run in the page
    /// (`accessibility.js`), on what the browser actually renders.
    pub async fn check_accessibility(&self, place: &str) {
        let problems = self.accessibility_problems(place).await;
        assert!(
            problems.is_empty(),
            "{place} ({}) has {} accessibility problem(s):\n  {}",
            self.path().await,
            problems.len(),
            problems.join("\n  ")
        );
    }

    /// The accessibility problems of the page on screen, one sentence each (see
    /// [`Browser::check_accessibility`]).
    pub async fn accessibility_problems(&self, place: &str) -> Vec<String> {
        let found = self
            .client
            .execute(ACCESSIBILITY_CHECK, vec![])
            .await
            .unwrap_or_else(|e| panic!("run the accessibility check on {place}: {e}"));
        serde_json::from_value(found)
            .unwrap_or_else(|e| panic!("the accessibility check's answer on {place}: {e}"))
    }

    /// Prints the page on screen through WebDriver (Chromium's own print to PDF), writes it as
    /// `NN-name.pdf` next to the screenshots, and returns its page count.
    pub async fn print_pdf(&mut self, name: &str) -> usize {
        let pdf = self
            .client
            .print(PrintConfiguration::default())
            .await
            .unwrap_or_else(|e| panic!("print {name} to PDF: {e}"));
        assert!(
            pdf.starts_with(b"%PDF-"),
            "printing {name} gave no PDF ({} bytes)",
            pdf.len()
        );
        let pages = pdf_pages(&pdf);
        let path = self.next_file(name, "pdf");
        std::fs::write(&path, &pdf).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        pages
    }

    /// Makes the page render as it prints (`media="print"`, Chromium's device emulation over
    /// chromedriver's CDP passthrough), or as on screen again with `None`.
    pub async fn emulate_media(&self, media: Option<&str>) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({ "media": media.unwrap_or("") }),
            })
            .await
            .unwrap_or_else(|e| panic!("emulate {media:?} media: {e}"));
        let want = media.unwrap_or("screen");
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self
                .client
                .execute(
                    "return window.matchMedia(arguments[0]).matches;",
                    vec![json!(want)],
                )
                .await;
            if matches!(now, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the page did not switch to {want} media within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the element is drawn (takes space and is not `visibility: hidden`).
    pub async fn is_drawn(&self, element: &Element) -> bool {
        let element = serde_json::to_value(element).expect("an element reference");
        let drawn = self
            .client
            .execute(
                "const e = arguments[0]; \
                 return e.getClientRects().length > 0 \
                   && getComputedStyle(e).visibility !== 'hidden';",
                vec![element],
            )
            .await
            .expect("ask whether an element is drawn");
        drawn == Value::Bool(true)
    }

    /// The text of an open `alert()`, if a script managed to raise one.
    pub async fn alert_text(&self) -> Option<String> {
        self.client.get_alert_text().await.ok()
    }
}

/// The in-page accessibility check (returns a list of sentences).
const ACCESSIBILITY_CHECK: &str = include_str!("accessibility.js");

/// The pages of a PDF: its `/Type /Page` objects (not `/Pages`, the tree above them).
/// Chromium writes these dictionaries uncompressed, which is all a test needs to count them.
fn pdf_pages(pdf: &[u8]) -> usize {
    [&b"/Type /Page"[..], &b"/Type/Page"[..]]
        .iter()
        .map(|marker| {
            pdf.windows(marker.len() + 1)
                .filter(|w| w.starts_with(marker) && !w[marker.len()].is_ascii_alphanumeric())
                .count()
        })
        .sum()
}

/// A Chrome DevTools Protocol command sent through chromedriver's passthrough
/// (`POST /session/{id}/goog/cdp/execute`), which fantoccini has no method for.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &Url,
        session: Option<&str>,
    ) -> Result<Url, <Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}
