//! A minimal form-posting client for page tests: keeps the session cookie, sends `Origin` like
//! a browser does, never follows redirects (tests assert where they point).

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;

/// What a page request answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The `Location` of a redirect.
    pub location: Option<String>,
    pub html: String,
}

/// One person's browser session against a test server.
pub struct WebClient {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
}

impl WebClient {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("an HTTP client"),
            cookie: None,
        }
    }

    /// A client that presents `cookie` (e.g. one kept from before signing out).
    pub fn with_cookie(base: &str, cookie: Option<String>) -> Self {
        Self {
            cookie,
            ..Self::new(base)
        }
    }

    /// The session cookie this client presents, if any.
    pub fn clone_cookie(&self) -> Option<String> {
        self.cookie.clone()
    }

    /// Signs in through the sign-in page; panics if that fails.
    pub async fn signed_in(base: &str, username: &str, password: &str) -> Self {
        let mut client = Self::new(base);
        let answer = client
            .post(
                "/sign-in",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "sign-in as {username}: {}", answer.html);
        assert!(client.cookie.is_some(), "sign-in sets the session cookie");
        client
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        self.finish(request).await
    }

    /// Posts a form as a browser would (`application/x-www-form-urlencoded`, with `Origin`).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(ORIGIN, &self.base)
            .form(fields);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        self.finish(request).await
    }

    async fn finish(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("an ASCII cookie");
            let pair = text.split(';').next().unwrap_or_default();
            if pair.starts_with("myotome_session=") {
                self.cookie = if text.contains("Max-Age=0") {
                    None
                } else {
                    Some(pair.to_owned())
                };
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let html = response.text().await.expect("a body");
        Answer {
            status,
            location,
            html,
        }
    }
}
