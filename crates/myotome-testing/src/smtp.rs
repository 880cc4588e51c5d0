//! A real SMTP server for the e-mail tests: aiosmtpd from the venv `scripts/smtp-venv` makes
//! (`MYOTOME_SMTP_PYTHON`), on a free loopback port, writing each message it receives into a
//! Maildir that [`SmtpServer::received`] reads back decoded, as a mail client would show it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// aiosmtpd on a free loopback port, writing what it receives into a Maildir; stopped on drop.
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// `None` outside CI when the venv is missing (the test then checks nothing and says so).
    pub fn start() -> Option<Self> {
        let Some(python) = std::env::var_os("MYOTOME_SMTP_PYTHON") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "MYOTOME_SMTP_PYTHON is not set; under CI the e-mail must reach a real SMTP server (scripts/test sets it)"
            );
            eprintln!("skipped: MYOTOME_SMTP_PYTHON is not set (scripts/test sets it)");
            return None;
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let maildir = dir.path().join("mail");
        let port = free_port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let server = Self {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, its quoted-printable body decoded (as a mail client
    /// shows it).
    pub fn received(&self) -> Vec<String> {
        let new = self.maildir.join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read(e.path()).ok())
            .map(|raw| {
                let decoded = quoted_printable::decode(&raw, quoted_printable::ParseMode::Robust)
                    .unwrap_or(raw);
                String::from_utf8_lossy(&decoded).into_owned()
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (at the moment of asking).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
