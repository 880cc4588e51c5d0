//! The protocol library as pages: `/protocols` lists every protocol (built-in or the clinic's
//! own), `/protocols/{id}` shows one as a clinical document.
//!
//! The document is built here from the core's protocol model ([`Protocol`]) into plain view
//! rows — text, "set by the clinic" notes and citation numbers — and the template turns those
//! into HTML, so every word from a protocol file is escaped by askama. The order and wording
//! follow the command line's `protocol show` (who, who not, where, prepare, do, dose, schedule,
//! after, references), but nothing is shared with it: that one writes text for a terminal.
//!
//! Every statement carries the number of its source; the same source (document, section and
//! quote) keeps one number, and the references at the end list each number once. A value the
//! seed leaves open is never shown as a number: it reads "Set by the clinic", with the reason.

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText};
use crate::ui::render::{UiError, ok};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use myotome_core::ClinicalData;
use myotome_core::citation::{ReferenceKind, Source};
use myotome_core::protocol::{LoadedProtocol, Origin, Protocol, Statement};
use myotome_core::quantity::{Bounded, Duration};
use myotome_core::screening::Outcome;
use myotome_core::setting::Setting;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/protocols", get(list_page))
        .route("/protocols/{id}", get(protocol_page))
}

// --- The list ---------------------------------------------------------------------------------

/// One row of the library table.
struct ProtocolRow {
    id: String,
    title: String,
    version: String,
    therapy: &'static str,
    routes: String,
    file: String,
    /// The clinic's own file (added, or overriding a built-in).
    clinic: bool,
    /// The built-in version a clinic file overrides.
    replaces: Option<String>,
}

impl ProtocolRow {
    fn new(loaded: &LoadedProtocol) -> Self {
        let protocol = &loaded.protocol;
        let replaces = match &loaded.origin {
            Origin::Clinic {
                replaces: Some(version),
                ..
            } => Some(version.to_string()),
            _ => None,
        };
        ProtocolRow {
            id: protocol.id.to_string(),
            title: protocol.title.clone(),
            version: protocol.version.to_string(),
            therapy: protocol.modality.label(),
            routes: routes_text(protocol),
            file: loaded.origin.file().to_owned(),
            clinic: loaded.origin.is_clinic(),
            replaces,
        }
    }
}

fn routes_text(protocol: &Protocol) -> String {
    protocol
        .routes
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "ui/protocols/list.html")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    rows: Vec<ProtocolRow>,
}

async fn list_page(page: Page<need::ProtocolRead>, State(state): State<AppState>) -> Response {
    ok(&ListPage {
        chrome: Chrome::for_viewer(&page, "/protocols"),
        title: "Protocol library",
        rows: state.data.protocols.iter().map(ProtocolRow::new).collect(),
    })
}

// --- One protocol as a document -----------------------------------------------------------------

/// A piece of a line of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// A value the protocol leaves to the clinic, with the reason the protocol gives.
    ClinicSets(String),
    /// The number of a reference at the end of the document.
    Cite(usize),
}

/// One statement of the document: an optional label ("Observe the patient") and its parts.
#[derive(Debug, Clone)]
pub struct Line {
    pub label: Option<String>,
    pub parts: Vec<Part>,
}

/// A list under an optional sub-heading ("Clinic", "Patient", a body region).
#[derive(Debug, Clone)]
pub struct Block {
    pub title: Option<String>,
    pub lines: Vec<Line>,
}

/// A section of the document (one `<h2>`).
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// A sentence shown before the lists (e.g. "Nothing is injected; there is no dose.").
    pub note: Option<String>,
    pub blocks: Vec<Block>,
}

/// A contraindication or precaution and what it leads to.
#[derive(Debug, Clone)]
pub struct ContraRow {
    pub condition: String,
    /// `warn` or `danger`, for the badge colour; the badge's words say the same.
    pub badge_class: &'static str,
    pub leads_to: &'static str,
    pub clearance_by: Option<String>,
    pub rationale: String,
    pub cite: usize,
}

/// A value the clinic must set, gathered for the summary near the end.
#[derive(Debug, Clone)]
pub struct ClinicRow {
    pub label: String,
    pub why: String,
    pub cite: usize,
}

/// A numbered source.
#[derive(Debug, Clone)]
pub struct ReferenceRow {
    pub number: usize,
    pub document: String,
    pub title: Option<String>,
    pub kind: &'static str,
    pub section: String,
    pub quote: Option<String>,
}

/// A protocol ready for the page.
#[derive(Debug, Clone)]
pub struct Document {
    pub summary: Line,
    pub indications: Vec<Line>,
    pub contraindications: Vec<ContraRow>,
    pub sections: Vec<Section>,
    pub clinic_settings: Vec<ClinicRow>,
    pub references: Vec<ReferenceRow>,
}

struct Builder<'a> {
    protocol: &'a Protocol,
    /// Distinct sources in order of first use; the number is the index + 1.
    sources: Vec<&'a Source>,
    clinic_settings: Vec<ClinicRow>,
}

impl<'a> Builder<'a> {
    fn cite(&mut self, source: &'a Source) -> usize {
        let index = match self.sources.iter().position(|s| *s == source) {
            Some(index) => index,
            None => {
                self.sources.push(source);
                self.sources.len() - 1
            }
        };
        index + 1
    }

    fn statement(&mut self, statement: &'a Statement) -> Line {
        Line {
            label: None,
            parts: vec![
                Part::Text(statement.text.clone()),
                Part::Cite(self.cite(&statement.source)),
            ],
        }
    }

    fn block(&mut self, title: &str, list: &'a [Statement]) -> Option<Block> {
        (!list.is_empty()).then(|| Block {
            title: Some(title.to_owned()),
            lines: list.iter().map(|s| self.statement(s)).collect(),
        })
    }

    fn clinic_sets(&mut self, label: &str, why: &str, source: &'a Source) -> Vec<Part> {
        let cite = self.cite(source);
        self.clinic_settings.push(ClinicRow {
            label: label.to_owned(),
            why: why.to_owned(),
            cite,
        });
        vec![Part::ClinicSets(why.to_owned()), Part::Cite(cite)]
    }

    /// A range the protocol gives ("5 to 10 minutes"), or the clinic's to set.
    fn range<T>(
        &mut self,
        label: &str,
        setting: &'a Setting<Bounded<T>>,
        show: impl Fn(&T) -> String,
    ) -> Vec<Part> {
        match setting {
            Setting::Given(range) => {
                let (min, max) = (show(&range.min), show(&range.max));
                let text = if min == max {
                    min
                } else {
                    format!("{min} to {max}")
                };
                vec![Part::Text(text), Part::Cite(self.cite(&range.source))]
            }
            Setting::ClinicSets(clinic) => self.clinic_sets(label, &clinic.why, &clinic.source),
        }
    }

    fn labelled(label: &str, parts: Vec<Part>) -> Line {
        Line {
            label: Some(label.to_owned()),
            parts,
        }
    }
}

fn duration(d: &Duration) -> String {
    d.to_string()
}

fn reference_kind(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Seed => "clinical source document",
        ReferenceKind::Standard => "published standard",
        ReferenceKind::ClinicPolicy => "the clinic's policy",
    }
}

/// What a contraindication leads to, in the clinic's words, and the badge colour.
fn leads_to(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Eligible => ("ok", "No restriction"),
        Outcome::EligibleWithPrecautions => ("warn", "Precaution"),
        Outcome::NeedsClearance => ("warn", "Needs clearance"),
        Outcome::NotACandidate => ("danger", "Exclusion: not a candidate"),
    }
}

/// Builds the document of one protocol (pure: no IO; the page and its tests call it).
pub fn document(loaded: &LoadedProtocol, data: &ClinicalData) -> Document {
    let protocol = &loaded.protocol;
    let catalog = &data.catalog;
    let mut b = Builder {
        protocol,
        sources: Vec::new(),
        clinic_settings: Vec::new(),
    };
    let summary = b.statement(&protocol.summary);

    let indications = protocol
        .indications
        .iter()
        .map(|indication| {
            let text = match &indication.group {
                Some(group) => format!("{} ({group})", indication.label),
                None => indication.label.clone(),
            };
            Line {
                label: None,
                parts: vec![Part::Text(text), Part::Cite(b.cite(&indication.source))],
            }
        })
        .collect();

    let contraindications = protocol
        .contraindications
        .iter()
        .map(|rule| {
            let condition = data
                .terminology
                .concept(&rule.concept)
                .map_or_else(|| rule.concept.clone(), |c| c.label.clone());
            let (badge_class, leads_to) = leads_to(rule.outcome);
            ContraRow {
                condition,
                badge_class,
                leads_to,
                clearance_by: rule.clearance_by.clone(),
                rationale: rule.rationale.clone(),
                cite: b.cite(&rule.source),
            }
        })
        .collect();

    let mut sections = Vec::new();

    // Sites, grouped by region in the order the protocol first names each region.
    let mut regions: Vec<Block> = Vec::new();
    for site in &protocol.sites {
        let region = catalog
            .region(&site.region)
            .map_or(site.region.as_str(), |r| r.label.as_str());
        let target = catalog.describe_target(
            &site.region,
            site.structure.as_deref(),
            site.portion.as_deref(),
        );
        let mut text = format!("{target} — {}", site.route.label());
        if let Some(guidance) = site.guidance {
            text.push_str(&format!(", {}", guidance.label()));
        }
        let line = Line {
            label: None,
            parts: vec![Part::Text(text), Part::Cite(b.cite(&site.source))],
        };
        match regions
            .iter_mut()
            .find(|block| block.title.as_deref() == Some(region))
        {
            Some(block) => block.lines.push(line),
            None => regions.push(Block {
                title: Some(region.to_owned()),
                lines: vec![line],
            }),
        }
    }
    sections.push(Section {
        id: "sites",
        title: if protocol.dosing.is_some() {
            "Injection sites"
        } else {
            "Treatment sites"
        },
        note: None,
        blocks: regions,
    });

    let blocks = [
        b.block("Clinic", &protocol.preparation.clinic),
        b.block("Patient", &protocol.preparation.patient),
    ];
    sections.push(Section {
        id: "preparation",
        title: "Preparation",
        note: None,
        blocks: blocks.into_iter().flatten().collect(),
    });

    if !protocol.anesthesia.is_empty() {
        let mut lines = Vec::new();
        for option in &protocol.anesthesia {
            let kind = option.kind.label();
            let mut parts = vec![Part::Text(crate::error::sentence(format!(
                "{kind} anesthesia — {}",
                option.purpose
            )))];
            parts.push(Part::Cite(b.cite(&option.source)));
            if let Some(wait) = &option.wait {
                parts.push(Part::Text("Wait before starting:".to_owned()));
                parts.extend(b.range(&format!("Wait after {kind} anesthesia"), wait, duration));
            }
            if let Some(caution) = &option.caution {
                parts.push(Part::Text(format!("Caution: {caution}")));
            }
            lines.push(Line { label: None, parts });
        }
        sections.push(Section {
            id: "anesthesia",
            title: "Anesthesia",
            note: None,
            blocks: vec![Block { title: None, lines }],
        });
    }

    let mut blocks = Vec::new();
    if let Some(setting) = &protocol.procedure.setting {
        let mut line = b.statement(setting);
        line.label = Some("Setting".to_owned());
        blocks.push(Block {
            title: None,
            lines: vec![line],
        });
    }
    blocks.extend(
        [
            b.block("Steps", &protocol.procedure.steps),
            b.block("Personnel", &protocol.procedure.personnel),
            b.block("Equipment", &protocol.procedure.equipment),
        ]
        .into_iter()
        .flatten(),
    );
    sections.push(Section {
        id: "procedure",
        title: "Procedure",
        note: None,
        blocks,
    });

    let (note, blocks) = match &protocol.dosing {
        None => (
            Some("Nothing is injected; there is no dose.".to_owned()),
            Vec::new(),
        ),
        Some(dosing) => {
            let mut lines = Vec::new();
            if let Some(volume) = &dosing.product_volume {
                let parts = b.range("Product volume per session", volume, ToString::to_string);
                lines.push(Builder::labelled("Product volume per session", parts));
            }
            if let Some(floor) = &dosing.cell_floor_per_kg {
                lines.push(Builder::labelled(
                    "Cell floor",
                    vec![
                        Part::Text(format!(
                            "at least {} cells per kg of body weight",
                            myotome_core::dosing::group_digits(floor.cells)
                        )),
                        Part::Cite(b.cite(&floor.source)),
                    ],
                ));
            }
            if let Some(saline) = &dosing.saline_dilution {
                let mut parts = match &saline.saline_per_product_ml {
                    Setting::Given(ratio) => {
                        vec![Part::Text(format!("{ratio} mL saline per mL of product."))]
                    }
                    Setting::ClinicSets(clinic) => {
                        b.clinic_sets("Saline dilution ratio", &clinic.why, &clinic.source)
                    }
                };
                parts.push(Part::Text(saline.purpose.clone()));
                parts.push(Part::Cite(b.cite(&saline.source)));
                lines.push(Builder::labelled("Saline dilution", parts));
            }
            let mut blocks = vec![Block { title: None, lines }];
            blocks.extend(
                [
                    b.block("Cell sources", &dosing.cell_sources),
                    b.block("Notes", &dosing.notes),
                ]
                .into_iter()
                .flatten(),
            );
            (None, blocks)
        }
    };
    sections.push(Section {
        id: "dose",
        title: "Dose",
        note,
        blocks,
    });

    let schedule = &protocol.schedule;
    let mut lines = vec![Builder::labelled(
        "Number of sessions",
        b.range("Number of sessions", &schedule.sessions, u32::to_string),
    )];
    for (label, setting) in [
        ("Time between sessions", &schedule.spacing),
        ("First to last session", &schedule.span),
        ("Length of a session", &schedule.session_length),
    ] {
        if let Some(setting) = setting {
            let parts = b.range(label, setting, duration);
            lines.push(Builder::labelled(label, parts));
        }
    }
    let mut blocks = vec![Block { title: None, lines }];
    blocks.extend(b.block("Notes", &schedule.notes));
    sections.push(Section {
        id: "sessions",
        title: "Sessions",
        note: None,
        blocks,
    });

    let observe = b.range("Observation period", &protocol.observation.minutes, |m| {
        format!("{m} minutes")
    });
    let mut blocks = vec![Block {
        title: None,
        lines: vec![Builder::labelled("Observe the patient", observe)],
    }];
    blocks.extend(
        [
            b.block("Watch for", &protocol.observation.watch_for),
            b.block("Have at hand", &protocol.observation.have_at_hand),
            b.block(
                "Aftercare instructions for the patient",
                &protocol.aftercare,
            ),
            b.block("Expected side effects", &protocol.side_effects),
        ]
        .into_iter()
        .flatten(),
    );
    sections.push(Section {
        id: "after",
        title: "After the procedure",
        note: None,
        blocks,
    });

    if !protocol.follow_ups.is_empty() {
        let mut lines = Vec::new();
        for follow_up in &protocol.follow_ups {
            let after = follow_up.after.label();
            let mut parts = Vec::new();
            if let Some(window) = &follow_up.window {
                parts.extend(b.range(&format!("{} timing", follow_up.label), window, duration));
                parts.push(Part::Text(format!("after {after}.")));
            } else if let Some(every) = &follow_up.every {
                match every {
                    Setting::Given(every) => parts.push(Part::Text(format!("Every {every}"))),
                    Setting::ClinicSets(clinic) => {
                        parts.push(Part::Text("How often:".to_owned()));
                        parts.extend(b.clinic_sets(
                            &format!("{} interval", follow_up.label),
                            &clinic.why,
                            &clinic.source,
                        ));
                    }
                }
                if let Some(over) = &follow_up.over {
                    parts.push(Part::Text("Over:".to_owned()));
                    parts.extend(b.range(&format!("{} period", follow_up.label), over, duration));
                    parts.push(Part::Text(format!("after {after}.")));
                }
            }
            if !follow_up.assess.is_empty() {
                parts.push(Part::Text(format!(
                    "Assess: {}.",
                    follow_up.assess.join(", ")
                )));
            }
            parts.push(Part::Cite(b.cite(&follow_up.source)));
            lines.push(Builder::labelled(&follow_up.label, parts));
        }
        sections.push(Section {
            id: "follow-up",
            title: "Follow-up",
            note: None,
            blocks: vec![Block { title: None, lines }],
        });
    }

    if !protocol.outcomes.is_empty() {
        let lines = protocol
            .outcomes
            .iter()
            .map(|timepoint| {
                Builder::labelled(
                    &timepoint.label,
                    vec![
                        Part::Text(timepoint.measures.join(", ")),
                        Part::Cite(b.cite(&timepoint.source)),
                    ],
                )
            })
            .collect();
        sections.push(Section {
            id: "outcomes",
            title: "Outcome timepoints",
            note: None,
            blocks: vec![Block { title: None, lines }],
        });
    }

    if !protocol.documentation.is_empty() {
        let lines = protocol
            .documentation
            .iter()
            .map(|field| Line {
                label: None,
                parts: vec![
                    Part::Text(field.label.clone()),
                    Part::Cite(b.cite(&field.source)),
                ],
            })
            .collect();
        sections.push(Section {
            id: "documentation",
            title: "Documentation",
            note: Some("The procedure note records:".to_owned()),
            blocks: vec![Block { title: None, lines }],
        });
    }

    if !protocol.billing.codes.is_empty() || protocol.billing.coverage.is_some() {
        let mut lines: Vec<Line> = protocol
            .billing
            .codes
            .iter()
            .map(|code| {
                Builder::labelled(
                    &format!("CPT {}", code.code),
                    vec![
                        Part::Text(format!("{}. When: {}", code.description, code.when)),
                        Part::Cite(b.cite(&code.source)),
                    ],
                )
            })
            .collect();
        if let Some(coverage) = &protocol.billing.coverage {
            let mut line = b.statement(coverage);
            line.label = Some("Coverage".to_owned());
            lines.push(line);
        }
        sections.push(Section {
            id: "coding",
            title: "Coding",
            note: None,
            blocks: vec![Block { title: None, lines }],
        });
    }

    let references = b
        .sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let reference = b.protocol.references.get(&source.reference);
            ReferenceRow {
                number: i + 1,
                document: reference
                    .map_or_else(|| source.reference.clone(), |r| r.document.clone()),
                title: reference.map(|r| r.title.clone()),
                kind: reference.map_or("", |r| reference_kind(r.kind)),
                section: source.section.clone(),
                quote: source.quote.clone(),
            }
        })
        .collect();

    Document {
        summary,
        indications,
        contraindications,
        sections,
        clinic_settings: b.clinic_settings,
        references,
    }
}

#[derive(Template)]
#[template(path = "ui/protocols/show.html")]
struct ProtocolPage {
    chrome: Chrome,
    title: String,
    row: ProtocolRow,
    doc: Document,
}

async fn protocol_page(
    page: Page<need::ProtocolRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let data = &state.data;
    let Some(loaded) = data.protocols.get(&id) else {
        return Err(UiError::new(
            ApiError::NotFound(format!(
                "There is no protocol with the id “{id}”. The library has: {}.",
                data.protocols.ids().join(", ")
            )),
            Some(&page),
        ));
    };
    Ok(ok(&ProtocolPage {
        chrome: Chrome::for_viewer(&page, "/protocols"),
        title: loaded.protocol.title.clone(),
        row: ProtocolRow::new(loaded),
        doc: document(loaded, data),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use myotome_store::{Role, User, UserId};

    fn data() -> ClinicalData {
        ClinicalData::builtin().expect("the built-in data loads")
    }

    #[test]
    fn every_citation_number_points_at_a_listed_reference() {
        let data = data();
        for loaded in data.protocols.iter() {
            let doc = document(loaded, &data);
            let count = doc.references.len();
            assert!(count > 0, "{} cites something", loaded.protocol.id);
            let mut cites = Vec::new();
            let all_lines = std::iter::once(&doc.summary).chain(&doc.indications).chain(
                doc.sections
                    .iter()
                    .flat_map(|s| s.blocks.iter().flat_map(|b| &b.lines)),
            );
            for line in all_lines {
                for part in &line.parts {
                    if let Part::Cite(n) = part {
                        cites.push(*n);
                    }
                }
            }
            cites.extend(doc.contraindications.iter().map(|c| c.cite));
            assert!(cites.iter().all(|n| (1..=count).contains(n)));
            // Every listed reference is used.
            for n in 1..=count {
                assert!(
                    cites.contains(&n),
                    "reference {n} of {} is cited",
                    loaded.protocol.id
                );
            }
        }
    }

    #[test]
    fn values_the_seed_leaves_open_are_set_by_the_clinic_not_numbers() {
        let data = data();
        let loaded = data.protocols.get("im-biologic").expect("im-biologic");
        let doc = document(loaded, &data);
        let after = doc
            .sections
            .iter()
            .find(|s| s.id == "after")
            .expect("an aftercare section");
        let observe = &after.blocks[0].lines[0];
        assert!(
            matches!(&observe.parts[0], Part::ClinicSets(why) if why.contains("monitoring")),
            "{observe:?}"
        );
        assert!(
            doc.clinic_settings
                .iter()
                .any(|c| c.label == "Observation period")
        );
    }

    #[test]
    fn protocol_text_is_escaped_on_the_page() {
        let data = data();
        let mut loaded = data.protocols.get("ims").expect("ims").clone();
        loaded.protocol.title = "IMS <script>alert(\"x\")</script> & co".to_owned();
        loaded.protocol.summary.text = "Needles <b>only</b> & 'care'".to_owned();
        let viewer = crate::ui::page::Viewer {
            zone: jiff::tz::TimeZone::UTC,
            user: User {
                id: UserId(1),
                username: "dr_chen".to_owned(),
                display_name: "Dr Chen".to_owned(),
                role: Role::Clinician,
                disabled: false,
                version: 1,
                created_at: jiff::Timestamp::UNIX_EPOCH,
            },
            actor: myotome_store::Actor {
                user_id: Some(UserId(1)),
                name: "dr_chen".to_owned(),
                from: "local".to_owned(),
            },
            csrf_token: String::new(),
        };
        let page = ProtocolPage {
            chrome: Chrome::for_viewer(&viewer, "/protocols"),
            title: loaded.protocol.title.clone(),
            row: ProtocolRow::new(&loaded),
            doc: document(&loaded, &data),
        };
        let html = page.render().expect("the page renders");
        assert!(!html.contains("<script>alert"), "the title is escaped");
        assert!(html.contains("IMS &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co"));
        assert!(!html.contains("<b>only</b>"), "the summary is escaped");
        assert!(html.contains("Needles &#60;b&#62;only&#60;/b&#62; &#38; &#39;care&#39;"));
    }
}
