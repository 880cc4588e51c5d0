//! Printing results and errors in the chosen format.

use crate::cli::Format;
use serde::Serialize;

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

/// Errors go to stderr as text, or to stdout as `{"error": {...}}` under `--format json` so a
/// script reading stdout always gets JSON.
pub fn print_error(format: Format, error: &anyhow::Error) {
    match format {
        Format::Text => eprintln!("error: {error:#}"),
        Format::Json => {
            let code = error
                .downcast_ref::<Refused>()
                .map_or("invalid_input", |refused| refused.code);
            let body = ErrorBody {
                error: ErrorDetail {
                    code,
                    message: format!("{error:#}"),
                },
            };
            match serde_json::to_string_pretty(&body) {
                Ok(json) => println!("{json}"),
                Err(_) => eprintln!("error: {error:#}"),
            }
        }
    }
}

/// A clinical refusal (dose out of range, plan outside the windows), with a stable code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

impl Refused {
    /// Wrapped in `anyhow::Error` straight away: refusals travel the same path as other errors.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(code: &'static str, message: impl ToString) -> anyhow::Error {
        anyhow::Error::new(Self {
            code,
            message: message.to_string(),
        })
    }
}
