//! Administration at the server's console: users, API tokens, the audit-chain check and online
//! backup. Each acts on the database directly, attributed in the audit trail to `cli:<os user>`.

use crate::cli::{AuditCommand, BackupArgs, Cli, Format, TokenCommand, UserCommand};
use crate::database::{self, cli_actor};
use crate::output::{Refused, print_json};
use anyhow::{Context, Result, anyhow, bail};
use myotome_clinic::access::create_api_token;
use myotome_clinic::password::hash_password;
use myotome_clinic::validate::{check_display_name, check_username};
use myotome_store::{AuditAction, ChainCheck, NewUser, Role, Store, TokenId, User};
use serde_json::json;
use std::io::BufRead;
use std::process::ExitCode;

pub fn user(cli: &Cli, command: &UserCommand) -> Result<ExitCode> {
    database::runtime()?.block_on(async {
        // Adding the first admin before the first `serve` is a normal start, so `user add`
        // may create the database; every other command needs an existing one.
        let store = match command {
            UserCommand::Add { .. } => database::open(&cli.database).await?,
            _ => database::open_existing(&cli.database).await?,
        };
        let actor = cli_actor();
        match command {
            UserCommand::Add {
                username,
                role,
                name,
                password_stdin,
            } => {
                let role = Role::parse(role).map_err(|e| anyhow!(e))?;
                let username = username.trim();
                let display_name = name.clone().unwrap_or_else(|| username.to_owned());
                // The same rules as the API's user form.
                check_username(username).map_err(|e| anyhow!(e))?;
                check_display_name(&display_name).map_err(|e| anyhow!(e))?;
                let (password, generated) = new_password(*password_stdin)?;
                let password_hash = hash_password(&password).map_err(|e| anyhow!("{e}"))?;
                let user = store
                    .create_user(
                        &actor,
                        &NewUser {
                            username: username.to_owned(),
                            display_name,
                            role,
                            password_hash,
                        },
                    )
                    .await?;
                report(cli.format, &user, "added", generated.then_some(&password))?;
            }
            UserCommand::List => {
                let users = store.users().await?;
                match cli.format {
                    Format::Json => print_json(&users.iter().map(user_json).collect::<Vec<_>>())?,
                    Format::Text => {
                        println!(
                            "{:>4}  {:<20} {:<10} {:<9} name",
                            "id", "username", "role", "status"
                        );
                        for user in &users {
                            println!(
                                "{:>4}  {:<20} {:<10} {:<9} {}",
                                user.id,
                                user.username,
                                user.role.as_str(),
                                if user.disabled { "disabled" } else { "active" },
                                user.display_name
                            );
                        }
                    }
                }
            }
            UserCommand::Disable { username } => {
                let user = find_user(store.as_ref(), username).await?;
                let user = store
                    .update_user(
                        &actor,
                        user.id,
                        user.version,
                        &user.display_name,
                        user.role,
                        true,
                    )
                    .await?;
                report(cli.format, &user, "disabled", None)?;
            }
            UserCommand::ResetPassword {
                username,
                password_stdin,
            } => {
                let user = find_user(store.as_ref(), username).await?;
                let (password, generated) = new_password(*password_stdin)?;
                let hash = hash_password(&password).map_err(|e| anyhow!("{e}"))?;
                let user = store.set_password(&actor, user.id, &hash).await?;
                report(
                    cli.format,
                    &user,
                    "given a new password",
                    generated.then_some(&password),
                )?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn token(cli: &Cli, command: &TokenCommand) -> Result<ExitCode> {
    database::runtime()?.block_on(async {
        let store = database::open_existing(&cli.database).await?;
        let actor = cli_actor();
        match command {
            TokenCommand::Create { user, name } => {
                let owner = find_user(store.as_ref(), user).await?;
                let name = name.trim();
                if name.is_empty() {
                    bail!("give the token a --name that says what it is for, e.g. \"EHR import\"");
                }
                let (token, secret) =
                    create_api_token(store.as_ref(), &actor, owner.id, name).await?;
                match cli.format {
                    Format::Json => print_json(&json!({
                        "id": token.id, "name": token.name, "user": owner.username,
                        "role": owner.role.as_str(), "secret": secret,
                    }))?,
                    Format::Text => println!(
                        "Token {} \"{}\" acts as {} ({}). Its secret, shown only now:\n  {secret}\nSend it as: Authorization: Bearer <secret>",
                        token.id,
                        token.name,
                        owner.username,
                        owner.role.as_str()
                    ),
                }
            }
            TokenCommand::List => {
                let tokens = store.api_tokens().await?;
                let users = store.users().await?;
                let owner = |id| {
                    users
                        .iter()
                        .find(|u| u.id == id)
                        .map_or("?", |u| u.username.as_str())
                };
                match cli.format {
                    Format::Json => print_json(
                        &tokens
                            .iter()
                            .map(|t| {
                                json!({
                                    "id": t.id, "name": t.name, "user": owner(t.user_id),
                                    "prefix": t.prefix, "created_at": t.created_at.to_string(),
                                    "revoked_at": t.revoked_at.map(|at| at.to_string()),
                                })
                            })
                            .collect::<Vec<_>>(),
                    )?,
                    Format::Text => {
                        println!("{:>4}  {:<10} {:<16} {:<9} name", "id", "prefix", "user", "status");
                        for t in &tokens {
                            println!(
                                "{:>4}  {:<10} {:<16} {:<9} {}",
                                t.id,
                                t.prefix,
                                owner(t.user_id),
                                if t.revoked_at.is_some() { "revoked" } else { "active" },
                                t.name
                            );
                        }
                    }
                }
            }
            TokenCommand::Revoke { id } => {
                let token = store.revoke_api_token(&actor, TokenId(*id)).await?;
                match cli.format {
                    Format::Json => print_json(&json!({ "id": token.id, "revoked": true }))?,
                    Format::Text => println!("Token {} \"{}\" is revoked.", token.id, token.name),
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn audit(cli: &Cli, command: &AuditCommand) -> Result<ExitCode> {
    let AuditCommand::Verify = command;
    database::runtime()?.block_on(async {
        let store = database::open_existing(&cli.database).await?;
        match store.verify_audit_chain().await? {
            ChainCheck::Intact { rows, head_hash } => {
                match cli.format {
                    Format::Json => print_json(&json!({
                        "intact": true, "rows": rows, "head_seq": rows, "head_hash": head_hash,
                    }))?,
                    // Someone with write access could rewrite the whole chain and its hashes;
                    // a head recorded outside the database (a ticket, a printout) exposes that.
                    Format::Text => println!(
                        "The audit trail is intact: {rows} rows, every hash matches.\nHead: row {rows}, hash {head_hash}\nRecord the head outside this server; a later check must still contain it."
                    ),
                }
                Ok(ExitCode::SUCCESS)
            }
            ChainCheck::Broken {
                seq,
                rows_checked,
                reason,
            } => Err(Refused::new(
                "audit_chain_broken",
                format!(
                    "the audit trail is broken at row {seq}: {reason}. The {rows_checked} rows before it are intact; restore the database from a backup taken before the change and keep this one for investigation"
                ),
            )),
        }
    })
}

pub fn backup(cli: &Cli, args: &BackupArgs) -> Result<ExitCode> {
    database::runtime()?.block_on(async {
        let store = database::open_existing(&cli.database).await?;
        store
            .backup_to(&args.to)
            .await
            .with_context(|| format!("the backup to {} failed", args.to.display()))?;
        restrict_to_owner(&args.to)?;
        // A backup is a read of every chart: it goes on the audit trail like any other read.
        let action = AuditAction::general("backup.create")
            .with_target(format!("file:{}", args.to.display()));
        store.record_audit(&cli_actor(), &action).await?;
        match cli.format {
            Format::Json => print_json(&json!({ "backup": args.to.display().to_string() }))?,
            Format::Text => println!(
                "Backed up {} to {} (a consistent copy; the server may keep running). Only this account can read the file.",
                database::describe(&cli.database),
                args.to.display()
            ),
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// A backup holds every patient's chart: readable by its owner only.
fn restrict_to_owner(path: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private to its owner", path.display()))?;
    }
    Ok(())
}

async fn find_user(store: &dyn Store, username: &str) -> Result<User> {
    store
        .user_credentials(username)
        .await?
        .map(|(user, _)| user)
        .ok_or_else(|| anyhow!("no user `{username}`; `myotome user list` shows who there is"))
}

/// A password read from stdin, or a generated one (the flag says which).
fn new_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((password, false));
    }
    Ok((generate_password()?, true))
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I): about 116 bits.
fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Bytes at or above the largest multiple of the alphabet size are drawn again, so every
    // character is equally likely.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut password = String::with_capacity(20);
    while password.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow!("no randomness available: {e}"))?;
        for b in bytes.into_iter().filter(|b| *b < limit) {
            if password.len() < 20 {
                password.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(password)
}

fn user_json(user: &User) -> serde_json::Value {
    json!({
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "role": user.role.as_str(), "disabled": user.disabled,
    })
}

fn report(format: Format, user: &User, what: &str, password: Option<&String>) -> Result<()> {
    match format {
        Format::Json => {
            let mut value = user_json(user);
            if let Some(password) = password {
                value["password"] = json!(password);
            }
            print_json(&value)
        }
        Format::Text => {
            println!(
                "User {} ({}, {}) {what}.",
                user.username,
                user.display_name,
                user.role.as_str()
            );
            if let Some(password) = password {
                println!("Password, shown only now — hand it over securely:\n  {password}");
            }
            Ok(())
        }
    }
}
