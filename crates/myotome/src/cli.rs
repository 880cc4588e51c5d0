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
    #[arg(long, value_name = "FILE")]
    pub facts: PathBuf,
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
    /// Number of injection sites to split the volume across.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub sites: u32,
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
