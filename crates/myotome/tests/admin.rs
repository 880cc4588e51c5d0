//! The console administration commands — `user`, `token`, `audit verify`, `backup` — run as the
//! built binary against a SQLite database of their own.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

struct Clinic {
    dir: tempfile::TempDir,
}

impl Clinic {
    fn new() -> Clinic {
        Clinic {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn database(&self) -> String {
        self.dir.path().join("clinic.db").display().to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_myotome"));
        command
            .arg("--database")
            .arg(self.database())
            .args(args)
            .env_remove("MYOTOME_DATABASE");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("myotome runs")
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("myotome starts");
        child
            .stdin
            .take()
            .expect("stdin piped")
            .write_all(stdin.as_bytes())
            .expect("stdin written");
        child.wait_with_output().expect("myotome ends")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        assert!(
            output.status.success(),
            "myotome {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON output")
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_user_added_without_a_password_gets_a_generated_one_shown_once() {
    let clinic = Clinic::new();
    let added = clinic.json(&[
        "user",
        "add",
        "amara",
        "--role",
        "clinician",
        "--name",
        "Dr Amara Okafor",
    ]);
    assert_eq!(added["role"], "clinician");
    assert_eq!(added["display_name"], "Dr Amara Okafor");
    let password = added["password"].as_str().expect("a generated password");
    assert_eq!(password.chars().count(), 20);
    assert!(!password.contains(['0', 'O', '1', 'l', 'I']), "{password}");

    let users = clinic.json(&["user", "list"]);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    assert!(
        !users.to_string().contains(password),
        "the list never shows a password"
    );
}

#[test]
fn a_taken_username_is_refused_whatever_its_case() {
    let clinic = Clinic::new();
    clinic.json(&["user", "add", "front-desk", "--role", "staff"]);
    let again = clinic.run(&["user", "add", "Front-Desk", "--role", "staff"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("taken"), "{}", text(&again));
}

#[test]
fn a_short_password_from_stdin_is_refused_with_the_minimum_length() {
    let clinic = Clinic::new();
    let output = clinic.run_with_stdin(
        &[
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("12"), "{}", text(&output));
    assert_eq!(
        clinic.json(&["user", "list"]).as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn disabling_and_resetting_a_user_is_recorded_and_shown() {
    let clinic = Clinic::new();
    clinic.json(&["user", "add", "temp", "--role", "staff"]);
    let reset = clinic.json(&["user", "reset-password", "temp"]);
    assert!(reset["password"].as_str().is_some());
    let disabled = clinic.json(&["user", "disable", "temp"]);
    assert_eq!(disabled["disabled"], true);
    let listed = clinic.run(&["user", "list"]);
    assert!(text(&listed).contains("disabled"), "{}", text(&listed));
    let unknown = clinic.run(&["user", "disable", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown).contains("user list"), "{}", text(&unknown));
}

#[test]
fn a_token_secret_is_shown_once_and_revoking_marks_it() {
    let clinic = Clinic::new();
    clinic.json(&["user", "add", "ehr", "--role", "staff"]);
    let token = clinic.json(&[
        "token",
        "create",
        "--user",
        "ehr",
        "--name",
        "EHR nightly import",
    ]);
    let secret = token["secret"].as_str().expect("a secret");
    assert!(secret.len() >= 32, "{secret}");
    let listed = clinic.json(&["token", "list"]);
    assert!(
        !listed.to_string().contains(secret),
        "the list never shows the secret"
    );
    assert_eq!(listed[0]["revoked_at"], Value::Null);
    let id = token["id"].as_i64().expect("an id").to_string();
    clinic.json(&["token", "revoke", &id]);
    let listed = clinic.json(&["token", "list"]);
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
}

#[test]
fn the_audit_trail_of_administration_verifies_as_intact() {
    let clinic = Clinic::new();
    clinic.json(&["user", "add", "a", "--role", "admin"]);
    clinic.json(&["user", "add", "b", "--role", "staff"]);
    clinic.json(&["user", "disable", "b"]);
    let verify = clinic.json(&["audit", "verify"]);
    assert_eq!(verify["intact"], true);
    assert!(
        verify["rows"].as_u64().is_some_and(|rows| rows >= 3),
        "{verify}"
    );
}

#[test]
fn a_backup_is_a_working_copy_and_never_overwrites_a_file() {
    let clinic = Clinic::new();
    clinic.json(&["user", "add", "keeper", "--role", "admin"]);
    let copy = clinic.dir.path().join("copy.db");
    let copy_arg = copy.display().to_string();
    clinic.json(&["backup", "--to", &copy_arg]);

    let restored = Command::new(env!("CARGO_BIN_EXE_myotome"))
        .args(["--format", "json", "--database", &copy_arg, "user", "list"])
        .output()
        .expect("myotome runs on the copy");
    let users: Value = serde_json::from_slice(&restored.stdout).expect("JSON");
    assert_eq!(users[0]["username"], "keeper");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy)
            .expect("copy exists")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a backup holds every chart: owner-only"
        );
    }
    let before = clinic.json(&["audit", "verify"])["rows"].as_u64();
    clinic.json(&["backup", "--to", &format!("{copy_arg}.2")]);
    let after = clinic.json(&["audit", "verify"])["rows"].as_u64();
    assert_eq!(
        after,
        before.map(|rows| rows + 1),
        "the backup is on the audit trail"
    );

    let again = clinic.run(&["backup", "--to", &copy_arg]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    assert!(Path::new(&copy).exists());
}

#[test]
fn a_mistyped_database_path_is_an_error_not_a_new_empty_database() {
    let clinic = Clinic::new();
    for args in [
        vec!["audit", "verify"],
        vec!["user", "list"],
        vec!["token", "list"],
        vec!["backup", "--to", "never.db"],
    ] {
        let output = clinic.run(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            text(&output).contains("no database at"),
            "{}",
            text(&output)
        );
    }
    assert!(
        !Path::new(&clinic.database()).exists(),
        "nothing was created at the mistyped path"
    );
}
