//! Server settings. The command line fills them in; the defaults suit one clinic on one machine.

use jiff::SignedDuration;

/// How the server treats sign-in, sessions and request bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long a sign-in lasts. Default 12 hours: one clinic day, then sign in again.
    pub session_ttl: SignedDuration,
    /// Mark the session cookie `Secure`. Default `false`, because a browser drops a `Secure`
    /// cookie over plain HTTP and a clinic may first run Myotome on `http://localhost`; turn it
    /// on whenever the server sits behind TLS.
    pub secure_cookies: bool,
    /// Largest request body accepted; larger ones get 413. Default 1 MiB.
    pub max_body_bytes: usize,
    /// Failed sign-ins for one username within `sign_in_window` before further attempts get
    /// 429. Default 5.
    pub sign_in_limit: u32,
    /// Failed sign-ins from one client address (any username) within `sign_in_window` before
    /// further attempts get 429. Default 20: a shared front-desk address is not locked out by
    /// one forgetful colleague, a password-guessing script is.
    pub sign_in_limit_per_address: u32,
    /// The window the sign-in limits count over. Default 15 minutes.
    pub sign_in_window: SignedDuration,
    /// Accepted submissions of the public candidate form per client address within
    /// `candidate_form_window`; more get 429. Default 5: a family may send a form for two or
    /// three people from one home connection, a script sending dozens is stopped.
    pub candidate_form_limit: u32,
    /// The window the candidate-form limit counts over. Default 1 hour.
    pub candidate_form_window: SignedDuration,
    /// Opening and answering of patients' questionnaire links per client address within
    /// `questionnaire_link_window`; more get 429. Default 30: a patient opens their link a few
    /// times, a household a few links; a script trying addresses is stopped.
    pub questionnaire_link_limit: u32,
    /// The window the questionnaire-link limit counts over. Default 1 hour.
    pub questionnaire_link_window: SignedDuration,
    /// The address patients reach the clinic's server at, for the links sent to them
    /// (`serve --public-url`). Default: the address the staff member's request came to.
    pub public_url: Option<String>,
    /// Serving the demo clinic of invented patients (`myotome serve --demo`). Default `false`.
    pub demo: bool,
    /// The clinic's time zone, in which every page shows dates and times. Default: the
    /// server's own.
    pub time_zone: Option<jiff::tz::TimeZone>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: SignedDuration::from_hours(12),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            sign_in_limit: 5,
            sign_in_limit_per_address: 20,
            sign_in_window: SignedDuration::from_mins(15),
            candidate_form_limit: 5,
            candidate_form_window: SignedDuration::from_hours(1),
            questionnaire_link_limit: 30,
            questionnaire_link_window: SignedDuration::from_hours(1),
            public_url: None,
            demo: false,
            time_zone: None,
        }
    }
}
