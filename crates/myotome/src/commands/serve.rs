//! `myotome serve`: open (create, migrate) the database, bind, print where to go, serve until
//! Ctrl-C or SIGTERM.

use crate::cli::{Cli, ServeArgs};
use crate::database;
use anyhow::{Context, Result};
use myotome_web::{AppState, Settings};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    init_logging();
    let data = Arc::new(crate::data::load(cli)?);
    let spec = if args.demo {
        super::demo::database_spec(cli)?
    } else {
        cli.database.clone()
    };
    database::runtime()?.block_on(async {
        let store = if args.demo {
            super::demo::open_for_serving(&spec, &data, &mut std::io::stderr()).await?
        } else {
            database::open(&spec).await?
        };
        // A wrong mail setting stops the start, before anything says the server is up.
        let mailer = match (&args.smtp_url, &args.mail_from) {
            (Some(url), Some(from)) => Some(
                myotome_clinic::outbox::Mailer::new(url, from)
                    .map_err(|e| anyhow::anyhow!("--smtp-url / --mail-from: {e}"))?,
            ),
            _ => None,
        };
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}; is another server using it? Choose another with --listen",
                    args.listen
                )
            })?;
        let base = base_url(listener.local_addr()?);
        // Tests and scripts read these lines to find the server, so they go out before serving.
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Myotome is serving {base} (database: {})",
            database::describe(&spec)
        )?;
        writeln!(out, "  The clinic's pages: {base}/ (sign in at {base}/sign-in)")?;
        writeln!(
            out,
            "  JSON API {base}/api/v1 · OpenAPI {base}/api/openapi.json · API explorer {base}/api/docs"
        )?;
        if let (Some(mailer), Some(from)) = (&mailer, &args.mail_from) {
            writeln!(out, "  E-mail goes through {} from {from}", mailer.server())?;
        }
        if args.demo {
            super::demo::print_accounts(store.as_ref(), &base, &mut out).await?;
        }
        if store.count_users().await? == 0 {
            let secret = myotome_web::create_setup_link(store.as_ref(), jiff::Timestamp::now())
                .await
                .context("cannot create the first-run set-up link")?;
            writeln!(
                out,
                "No users yet. Create the first admin within 24 hours at this one-time link:\n  {base}/setup?token={secret}\nor from the command line: myotome user add NAME --role admin"
            )?;
        }
        out.flush()?;
        drop(out);
        if args.demo {
            myotome_web::demo::mark_serving();
        }
        let settings = Settings {
            secure_cookies: args.secure_cookies,
            candidate_form_limit: args.candidate_form_limit,
            candidate_form_window: args.candidate_form_window,
            public_url: args.public_url.clone(),
            demo: args.demo,
            time_zone: args.time_zone.clone(),
            ..Settings::default()
        };
        let mut state = AppState::new(store, data, settings);
        if let Some(mailer) = mailer {
            state = state.with_mailer(mailer);
        }
        myotome_web::serve(listener, state, shutdown_signal())
            .await
            .context("the server stopped with an error")?;
        println!("Myotome stopped.");
        Ok(ExitCode::SUCCESS)
    })
}

/// The address to print: a wildcard bind is reachable on loopback at least.
fn base_url(addr: SocketAddr) -> String {
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}", addr.port())
}

/// Logs go to stderr; `RUST_LOG` refines them. Handlers never log patient data.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
