//! The command-line grammar.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "myotome",
    version,
    about = "Myotome: protocols, screening, dosing and session planning for intramuscular regenerative and needling therapies"
)]
pub struct Cli {
    /// The clinic's own protocol directory (*.toml): adds to, or overrides by id, the built-ins.
    #[arg(long, global = true, env = "MYOTOME_PROTOCOLS", value_name = "DIR")]
    pub protocols: Option<PathBuf>,

    /// The clinic's own kinds of biologic product (a TOML file shaped like the built-in
    /// `catalog/biologics.toml`): added to the built-in kinds; an id already built in is refused.
    #[arg(
        long,
        global = true,
        env = "MYOTOME_PRODUCT_KINDS",
        value_name = "FILE"
    )]
    pub product_kinds: Option<PathBuf>,

    /// The clinic's own adverse-event terms (a TOML file shaped like the built-in
    /// `catalog/adverse-events.toml`, each term citing its source): added to the seeds' terms;
    /// an id already built in is refused.
    #[arg(
        long,
        global = true,
        env = "MYOTOME_ADVERSE_EVENT_TERMS",
        value_name = "FILE"
    )]
    pub adverse_event_terms: Option<PathBuf>,

    /// The clinic database: a SQLite file path (created on first use) or a postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "MYOTOME_DATABASE",
        value_name = "PATH|URL",
        default_value = "myotome.db"
    )]
    pub database: String,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show and validate treatment protocols.
    #[command(subcommand)]
    Protocol(ProtocolCommand),
    /// Screen a candidate against one or more protocols.
    Screen(ScreenArgs),
    /// Compute a dose: cell floor, product volume, saline dilution, split across sites.
    Dose(DoseArgs),
    /// Lay out sessions and follow-ups from a start date, or check proposed dates.
    Plan(PlanArgs),
    /// Run the clinic server: web API on the database, creating and migrating it when new.
    #[cfg(feature = "server")]
    Serve(ServeArgs),
    /// Add, list, disable users and reset their passwords.
    #[command(subcommand)]
    User(UserCommand),
    /// Create, list and revoke API tokens for integrations.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail's hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent copy of the live SQLite database to a new file.
    Backup(BackupArgs),
    /// Import patients and their records from FHIR R4 files (Bundles or NDJSON); importing
    /// the same export again changes nothing, a newer one updates.
    Import(ImportArgs),
    /// Write a patient's whole record as a FHIR R4 Bundle, or a protocol as a PlanDefinition.
    Export(ExportArgs),
    /// Make a demo clinic of invented patients in a new database (myotome-demo.db unless
    /// --database is given on the command line), to try Myotome; never a real clinic's.
    Demo(DemoArgs),
    /// Biologic lots: who a lot reached, for a recall.
    #[command(subcommand)]
    Lot(LotCommand),
    /// Coding: import CMS's quarterly NCCI practitioner PTP edits.
    #[command(subcommand)]
    Coding(CodingCommand),
}

#[derive(Debug, Subcommand)]
pub enum CodingCommand {
    /// Imports a file of CMS's quarterly practitioner PTP edits (tab-separated text or CSV, as
    /// published; the quarter comes as four files, f1 to f4 — import each), replacing the
    /// edits of the same part imported before; edits not in force today are left out. The
    /// built-in edits for the codes Myotome suggests stay; an imported edit of the same pair
    /// replaces its built-in one.
    ImportPtp {
        /// The file, e.g. `ccipra-v321r0-f1.txt`.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LotCommand {
    /// The patients a lot reached — name, phone, e-mail, the visit — to notify on a recall.
    /// Reads only: recording the recall is a clinician's, on the lot's page or the API.
    Recall {
        /// The lot: its number in the clinic, its lot number or its distinct identification code.
        lot: String,
        /// Write CSV (one row per visit) instead of text or JSON.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// FHIR files (*.json Bundles or resources, *.ndjson) or directories of them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Name of the source system, kept with every imported record (e.g. the EHR's name).
    #[arg(long, default_value = "fhir", value_name = "LABEL")]
    pub source: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The patient's id in Myotome.
    #[arg(long, value_name = "ID", conflicts_with = "protocol")]
    pub patient: Option<i64>,
    /// A protocol id, exported as a PlanDefinition.
    #[arg(long, value_name = "ID")]
    pub protocol: Option<String>,
    /// Write to this new file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[cfg(feature = "server")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "MYOTOME_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    pub listen: String,
    /// Mark session cookies Secure: set this when clients reach the server over HTTPS.
    #[arg(long, env = "MYOTOME_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The clinic's time zone (IANA name, e.g. Europe/Stockholm): every page shows dates and
    /// times in it, and "today" is its date. Default: the server's own time zone.
    #[arg(long, env = "MYOTOME_TIME_ZONE", value_parser = clinic_time_zone, value_name = "ZONE")]
    pub time_zone: Option<jiff::tz::TimeZone>,
    /// Submissions of the public candidate form accepted from one client address within
    /// --candidate-form-window; more are asked to wait (429).
    #[arg(
        long,
        env = "MYOTOME_CANDIDATE_FORM_LIMIT",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..),
        value_name = "N"
    )]
    pub candidate_form_limit: u32,
    /// The window the candidate-form limit counts over, e.g. 1h, 30m or PT2H.
    #[arg(
        long,
        env = "MYOTOME_CANDIDATE_FORM_WINDOW",
        default_value = "1h",
        value_parser = positive_duration,
        value_name = "DURATION"
    )]
    pub candidate_form_window: jiff::SignedDuration,
    /// The address patients reach this server at (e.g. https://clinic.example), for the
    /// questionnaire links sent to them. Default: the address the staff member's browser used.
    #[arg(long, env = "MYOTOME_PUBLIC_URL", value_parser = public_url, value_name = "URL")]
    pub public_url: Option<String>,
    /// The clinic's mail server, for e-mailing questionnaire links:
    /// smtp://[user:password@]host[:port] (add ?tls=required for STARTTLS, as port 587 wants)
    /// or smtps://[user:password@]host[:port]. Without it the pages offer the printed handout.
    /// Needs --public-url (the links go outside) and --mail-from. Prefer the environment
    /// variable: a password on the command line shows in `ps`.
    #[arg(
        long,
        env = "MYOTOME_SMTP_URL",
        hide_env_values = true,
        requires_all = ["mail_from", "public_url"],
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,
    /// The address e-mails come from, e.g. "Harbour Clinic <clinic@harbour.example>".
    #[arg(
        long,
        env = "MYOTOME_MAIL_FROM",
        requires = "smtp_url",
        value_name = "ADDRESS"
    )]
    pub mail_from: Option<String>,
    /// Serve the demo clinic of invented patients: myotome-demo.db (or a --database given on
    /// the command line), made on first use and reused after; never the clinic's database.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. A strong password is generated and printed once, unless --password-stdin.
    Add {
        username: String,
        #[arg(long, value_parser = ["admin", "clinician", "staff"])]
        role: String,
        /// Name shown in the app; the username when omitted.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Read the password from the first line of standard input instead.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Every user with role and status.
    List,
    /// Stop a user signing in; ends their sessions. Their records stay attributed to them.
    Disable { username: String },
    /// Set a new password (generated and printed once, unless --password-stdin); ends the
    /// user's sessions.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token acting as USER with that user's role; the secret is printed once.
    Create {
        #[arg(long, value_name = "USERNAME")]
        user: String,
        /// What the token is for, e.g. "EHR nightly import".
        #[arg(long, value_name = "LABEL")]
        name: String,
    },
    /// Every token, with its owner and whether it is revoked.
    List,
    /// Revoke a token by its id (see `token list`).
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit trail's hash chain and name the first row that does not match.
    Verify,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write; it must not exist yet.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ProtocolCommand {
    /// Every protocol in the library, with its version and where it comes from.
    List,
    /// A protocol as a readable clinical document, with its citations.
    Show {
        /// Protocol id, e.g. hip-biologics.
        id: String,
    },
    /// Check protocol files and report every problem with file, line and field.
    Validate {
        /// Protocol files (*.toml).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Protocol id; repeat for several. All protocols when omitted.
    #[arg(long = "protocol", id = "protocol_ids", value_name = "ID")]
    pub protocol_ids: Vec<String>,
    /// Patient facts as JSON (see README: "Patient facts").
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "fhir",
        conflicts_with = "fhir"
    )]
    pub facts: Option<PathBuf>,
    /// A FHIR R4 record instead: a Bundle, a resource or NDJSON file, or a directory of them;
    /// every patient in it is screened. No database is needed.
    #[arg(long, value_name = "FILE")]
    pub fhir: Option<PathBuf>,
    /// Screen as of this date (YYYY-MM-DD); today when omitted.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoseArgs {
    #[arg(long, value_name = "ID")]
    pub protocol: String,
    /// Body weight in kilograms.
    #[arg(long, value_name = "KG")]
    pub weight_kg: Option<f64>,
    /// Viable cells per millilitre of product (e.g. 25000000 or 2.5e7).
    #[arg(long, value_name = "CELLS_PER_ML")]
    pub concentration: Option<String>,
    /// Product volume in mL; computed from the cell floor when omitted.
    #[arg(long, value_name = "ML")]
    pub volume_ml: Option<f64>,
    /// Millilitres of saline per millilitre of product (0 for none).
    #[arg(long, value_name = "RATIO")]
    pub saline_ratio: Option<f64>,
    /// Number of injection sites to split the volume across (on each side).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub sites: u32,
    /// Both sides are treated: the dose is given to each side.
    #[arg(long)]
    pub both_sides: bool,
    /// The clinic's product volume range in mL, e.g. `1-10`, where the protocol leaves it to
    /// the clinic (knee-msc, im-bmc-leg): without it such a protocol is not dosed.
    #[arg(long, value_name = "MIN-MAX")]
    pub volume_range_ml: Option<String>,
    /// Smallest step the clinic's syringe measures, in mL.
    #[arg(long, default_value_t = 0.1, value_name = "ML")]
    pub graduation_ml: f64,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long, value_name = "ID")]
    pub protocol: String,
    /// First session (YYYY-MM-DD): lay out a plan from here. Either this or --dates.
    #[arg(
        long,
        value_name = "DATE",
        conflicts_with = "dates",
        required_unless_present = "dates"
    )]
    pub start: Option<String>,
    /// Number of sessions; the protocol's minimum when omitted.
    #[arg(long, value_name = "N", requires = "start")]
    pub sessions: Option<u32>,
    /// Time between sessions as ISO 8601 (P1W, P4W, P1M); the protocol's shortest when omitted.
    #[arg(long, value_name = "DURATION", requires = "start")]
    pub every: Option<String>,
    /// Proposed session dates to check, comma-separated (YYYY-MM-DD,…).
    #[arg(long, value_name = "DATES", value_delimiter = ',')]
    pub dates: Vec<String>,
    /// A proposed follow-up to check, as FOLLOW_UP_ID=DATE; repeatable.
    #[arg(long = "follow-up", value_name = "ID=DATE", requires = "dates")]
    pub follow_ups: Vec<String>,
}

/// The longest candidate-form window: a rate limit counted over more than a month is a typo
/// (and a window of centuries would reach before the first timestamp).
#[cfg(feature = "server")]
const LONGEST_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(31 * 24);

/// A clinic time zone for `--time-zone`.
#[cfg(feature = "server")]
fn clinic_time_zone(text: &str) -> Result<jiff::tz::TimeZone, String> {
    myotome_clinic::time_zone_named(text)
}

/// The clinic's public address for `--public-url`: http(s), a host, perhaps a path; no query.
#[cfg(feature = "server")]
fn public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("`{text}` is not a web address; write it as https://clinic.example")
        })?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "`{text}` is not a plain web address; write the scheme and host (and a path if the server sits under one), e.g. https://clinic.example"
        ));
    }
    Ok(text.to_owned())
}

/// A duration longer than zero and at most 31 days, written as jiff reads one (`1h`, `30m`,
/// `PT2H`).
#[cfg(feature = "server")]
fn positive_duration(text: &str) -> Result<jiff::SignedDuration, String> {
    let duration: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|e| format!("`{text}` is not a duration ({e}); write it like 1h, 30m or PT2H"))?;
    if duration > LONGEST_WINDOW {
        Err(format!(
            "`{text}` is longer than 31 days; write a window like 1h or 30m"
        ))
    } else if duration.is_positive() {
        Ok(duration)
    } else {
        Err(format!(
            "`{text}` is not longer than zero; write a window like 1h or 30m"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "server")]
    fn serve(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let mut argv = vec!["myotome", "serve"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Serve(serve) => Ok(serve),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[cfg(feature = "server")]
    #[test]
    fn serve_without_candidate_form_flags_uses_the_server_settings_defaults() {
        // Unless MYOTOME_CANDIDATE_FORM_LIMIT / _WINDOW are set where the tests run.
        let args = serve(&[]).expect("parses");
        let defaults = myotome_web::Settings::default();
        assert_eq!(args.candidate_form_limit, defaults.candidate_form_limit);
        assert_eq!(args.candidate_form_window, defaults.candidate_form_window);
    }

    #[cfg(feature = "server")]
    #[test]
    fn serve_takes_a_clinics_candidate_form_limit_and_window() {
        let args = serve(&[
            "--candidate-form-limit",
            "2",
            "--candidate-form-window",
            "PT30M",
        ])
        .expect("parses");
        assert_eq!(args.candidate_form_limit, 2);
        assert_eq!(
            args.candidate_form_window,
            jiff::SignedDuration::from_mins(30)
        );
    }

    #[test]
    fn a_zero_or_unreadable_candidate_form_limit_or_window_is_refused_with_a_sentence() {
        for (bad, named) in [
            ("--candidate-form-limit=0", "'0'"),
            ("--candidate-form-window=0s", "`0s` is not longer than zero"),
            (
                "--candidate-form-window=300000000h",
                "`300000000h` is longer than 31 days",
            ),
            (
                "--candidate-form-window=-1h",
                "`-1h` is not longer than zero",
            ),
            (
                "--candidate-form-window=an hour",
                "`an hour` is not a duration",
            ),
        ] {
            let error = serve(&[bad]).expect_err("refused").to_string();
            assert!(error.contains(named), "{bad}: {error}");
        }
        let error = serve(&["--candidate-form-window", "an hour"])
            .expect_err("refused")
            .to_string();
        assert!(error.contains("write it like 1h, 30m or PT2H"), "{error}");
    }
}
