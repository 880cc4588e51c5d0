//! A protocol rendered as a clinical document for the terminal: sections in the order a
//! clinician works (who, who not, where, prepare, do, dose, schedule, after), every statement
//! followed by a numbered citation, references listed at the end, and the settings the clinic
//! still has to make called out so nobody mistakes a gap for a rule.

use myotome_core::ClinicalData;
use myotome_core::citation::Source;
use myotome_core::protocol::{LoadedProtocol, Origin, Protocol, Statement};
use myotome_core::quantity::{Bounded, Duration};
use myotome_core::setting::Setting;
use std::fmt::Write;

struct Document<'a> {
    protocol: &'a Protocol,
    out: String,
    /// Distinct citations in order of first use; the footnote number is the index + 1.
    citations: Vec<&'a Source>,
    clinic_settings: Vec<(String, String, String)>,
}

impl<'a> Document<'a> {
    fn cite(&mut self, source: &'a Source) -> String {
        let index = match self.citations.iter().position(|s| *s == source) {
            Some(index) => index,
            None => {
                self.citations.push(source);
                self.citations.len() - 1
            }
        };
        format!("[{}]", index + 1)
    }

    fn heading(&mut self, title: &str) {
        let _ = write!(
            self.out,
            "\n{}\n{}\n",
            title.to_uppercase(),
            "-".repeat(title.chars().count())
        );
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    fn bullet(&mut self, text: &str, source: &'a Source) {
        let mark = self.cite(source);
        if text.ends_with(&mark) {
            let _ = writeln!(self.out, "  • {text}");
        } else {
            let _ = writeln!(self.out, "  • {text} {mark}");
        }
    }

    fn statements(&mut self, title: &str, list: &'a [Statement]) {
        if list.is_empty() {
            return;
        }
        self.line(&format!("{title}:"));
        for statement in list {
            self.bullet(&statement.text, &statement.source);
        }
    }

    /// Renders a setting: its value with a citation, or "set by the clinic" noted for the end.
    fn setting<T>(
        &mut self,
        label: &str,
        setting: &'a Setting<Bounded<T>>,
        show: impl Fn(&T) -> String,
    ) -> String {
        match setting {
            Setting::Given(range) => {
                let mark = self.cite(&range.source);
                if show(&range.min) == show(&range.max) {
                    format!("{} {mark}", show(&range.min))
                } else {
                    format!("{} to {} {mark}", show(&range.min), show(&range.max))
                }
            }
            Setting::ClinicSets(clinic) => {
                let mark = self.cite(&clinic.source);
                self.clinic_settings
                    .push((label.to_owned(), clinic.why.clone(), mark.clone()));
                format!("set by the clinic {mark}")
            }
        }
    }
}

fn duration(d: &Duration) -> String {
    d.to_string()
}

pub fn render(loaded: &LoadedProtocol, data: &ClinicalData) -> String {
    let protocol = &loaded.protocol;
    let catalog = &data.catalog;
    let mut doc = Document {
        protocol,
        out: String::new(),
        citations: Vec::new(),
        clinic_settings: Vec::new(),
    };
    let title = format!(
        "{} — {} (version {})",
        protocol.id, protocol.title, protocol.version
    );
    doc.line(&title);
    doc.line(&"=".repeat(title.chars().count()));
    let routes: Vec<&str> = protocol.routes.iter().map(|r| r.label()).collect();
    doc.line(&format!(
        "Modality: {}. Routes: {}.",
        protocol.modality.label(),
        routes.join(", ")
    ));
    let origin = match &loaded.origin {
        Origin::BuiltIn { file } => format!("Built-in protocol ({file})."),
        Origin::Clinic {
            file,
            replaces: Some(version),
        } => {
            format!("The clinic's own protocol ({file}), overriding built-in version {version}.")
        }
        Origin::Clinic {
            file,
            replaces: None,
        } => format!("The clinic's own protocol ({file})."),
    };
    doc.line(&origin);
    let mark = doc.cite(&protocol.summary.source);
    doc.line(&format!("\n{} {mark}", protocol.summary.text));

    doc.heading("Indications");
    for indication in &protocol.indications {
        let text = match &indication.group {
            Some(group) => format!("{} ({group})", indication.label),
            None => indication.label.clone(),
        };
        doc.bullet(&text, &indication.source);
    }

    doc.heading("Contraindications and precautions");
    if protocol.contraindications.is_empty() {
        doc.line("  The source document lists none. Screen with clinical judgement; a clinic may add its own in a clinic protocol.");
    }
    for rule in &protocol.contraindications {
        let concept = data
            .terminology
            .concept(&rule.concept)
            .map_or(rule.concept.as_str(), |c| c.label.as_str());
        let mut text = format!("{concept} → {}", rule.outcome.label().to_uppercase());
        if let Some(by) = &rule.clearance_by {
            text.push_str(&format!(" (clearance: {by})"));
        }
        text.push_str(&format!(". {}", rule.rationale));
        doc.bullet(&text, &rule.source);
    }

    doc.heading(if protocol.dosing.is_some() {
        "Injection sites"
    } else {
        "Treatment sites"
    });
    for site in &protocol.sites {
        let region = catalog
            .region(&site.region)
            .map_or(site.region.as_str(), |r| r.label.as_str());
        let target = catalog.describe_target(
            &site.region,
            site.structure.as_deref(),
            site.portion.as_deref(),
        );
        let mut text = format!("{region}: {target} — {}", site.route.label());
        if let Some(guidance) = site.guidance {
            text.push_str(&format!(", {}", guidance.label()));
        }
        doc.bullet(&text, &site.source);
    }

    doc.heading("Preparation");
    doc.statements("Clinic", &protocol.preparation.clinic);
    doc.statements("Patient", &protocol.preparation.patient);

    if !protocol.anesthesia.is_empty() {
        doc.heading("Anesthesia");
        for option in &protocol.anesthesia {
            let mut text = format!("{} — {}", option.kind.label(), option.purpose);
            if let Some(wait) = &option.wait {
                let wait = doc.setting(
                    &format!("{} anesthesia wait", option.kind.label()),
                    wait,
                    duration,
                );
                text.push_str(&format!("; wait {wait} before starting"));
            }
            if let Some(caution) = &option.caution {
                text.push_str(&format!(". CAUTION: {caution}"));
            }
            doc.bullet(&text, &option.source);
        }
    }

    doc.heading("Procedure");
    if let Some(setting) = &protocol.procedure.setting {
        doc.bullet(&format!("Setting: {}", setting.text), &setting.source);
    }
    doc.statements("Steps", &protocol.procedure.steps);
    doc.statements("Personnel", &protocol.procedure.personnel);
    doc.statements("Equipment", &protocol.procedure.equipment);

    doc.heading("Dose");
    match &protocol.dosing {
        None => doc.line("  Nothing is injected; there is no dose."),
        Some(dosing) => {
            if let Some(volume) = &dosing.product_volume {
                let text = doc.setting("Product volume", volume, ToString::to_string);
                doc.line(&format!("  Product volume per session: {text}"));
            }
            if let Some(floor) = &dosing.cell_floor_per_kg {
                let mark = doc.cite(&floor.source);
                doc.line(&format!(
                    "  Cell floor: at least {} cells per kg of body weight {mark}",
                    myotome_core::dosing::group_digits(floor.cells)
                ));
            }
            if let Some(saline) = &dosing.saline_dilution {
                let mark = doc.cite(&saline.source);
                let ratio = match &saline.saline_per_product_ml {
                    Setting::Given(ratio) => format!("{ratio} mL saline per mL of product"),
                    Setting::ClinicSets(clinic) => {
                        let inner = doc.cite(&clinic.source);
                        doc.clinic_settings.push((
                            "Saline dilution ratio".into(),
                            clinic.why.clone(),
                            inner.clone(),
                        ));
                        format!("ratio set by the clinic {inner}")
                    }
                };
                doc.line(&format!(
                    "  Saline dilution: {ratio}. {} {mark}",
                    saline.purpose
                ));
            }
            doc.statements("Cell sources", &dosing.cell_sources);
            doc.statements("Notes", &dosing.notes);
        }
    }

    doc.heading("Sessions");
    let sessions = doc.setting(
        "Number of sessions",
        &protocol.schedule.sessions,
        u32::to_string,
    );
    doc.line(&format!("  Number of sessions: {sessions}"));
    let schedule = &protocol.schedule;
    for (label, setting) in [
        ("Time between sessions", &schedule.spacing),
        ("First to last session", &schedule.span),
        ("Length of a session", &schedule.session_length),
    ] {
        if let Some(setting) = setting {
            let text = doc.setting(label, setting, duration);
            doc.line(&format!("  {label}: {text}"));
        }
    }
    doc.statements("Notes", &schedule.notes);

    doc.heading("After the procedure");
    let minutes = doc.setting("Observation period", &protocol.observation.minutes, |m| {
        format!("{m} minutes")
    });
    doc.line(&format!("  Observe the patient: {minutes}"));
    doc.statements("Watch for", &protocol.observation.watch_for);
    doc.statements("Have at hand", &protocol.observation.have_at_hand);
    doc.statements(
        "Aftercare instructions for the patient",
        &protocol.aftercare,
    );
    doc.statements("Expected side effects", &protocol.side_effects);

    if !protocol.follow_ups.is_empty() {
        doc.heading("Follow-up");
        for follow_up in &protocol.follow_ups {
            let timing = match (&follow_up.window, &follow_up.every, &follow_up.over) {
                (Some(window), _, _) => {
                    let text =
                        doc.setting(&format!("{} timing", follow_up.label), window, duration);
                    format!("{text} after {}", follow_up.after.label())
                }
                (None, Some(every), over) => {
                    let every = match every {
                        Setting::Given(every) => format!("every {every}"),
                        Setting::ClinicSets(clinic) => {
                            let mark = doc.cite(&clinic.source);
                            doc.clinic_settings.push((
                                format!("{} interval", follow_up.label),
                                clinic.why.clone(),
                                mark.clone(),
                            ));
                            format!("at an interval the clinic sets {mark}")
                        }
                    };
                    let over = over
                        .as_ref()
                        .map(|over| {
                            doc.setting(&format!("{} period", follow_up.label), over, duration)
                        })
                        .unwrap_or_default();
                    let period = if over.starts_with("set by") {
                        "a period "
                    } else {
                        ""
                    };
                    format!(
                        "{every}, for {period}{over} after {}",
                        follow_up.after.label()
                    )
                }
                _ => String::new(),
            };
            let mut text = format!("{}: {timing}", follow_up.label);
            if !follow_up.assess.is_empty() {
                text.push_str(&format!(". Assess: {}", follow_up.assess.join(", ")));
            }
            doc.bullet(&text, &follow_up.source);
        }
    }

    if !protocol.outcomes.is_empty() {
        doc.heading("Outcome timepoints");
        for timepoint in &protocol.outcomes {
            let text = format!("{}: {}", timepoint.label, timepoint.measures.join(", "));
            doc.bullet(&text, &timepoint.source);
        }
    }

    if !protocol.documentation.is_empty() {
        doc.heading("Documentation");
        for field in &protocol.documentation {
            doc.bullet(&field.label, &field.source);
        }
    }

    if !protocol.billing.codes.is_empty() || protocol.billing.coverage.is_some() {
        doc.heading("Billing");
        for code in &protocol.billing.codes {
            let text = format!(
                "{} {}: {}. When: {}",
                "CPT", code.code, code.description, code.when
            );
            doc.bullet(&text, &code.source);
        }
        if let Some(coverage) = &protocol.billing.coverage {
            doc.bullet(&format!("Coverage: {}", coverage.text), &coverage.source);
        }
    }

    if !doc.clinic_settings.is_empty() {
        doc.heading("Settings your clinic must make");
        doc.line(
            "  The source leaves these to the clinic; Myotome will ask for them rather than guess.",
        );
        let settings = std::mem::take(&mut doc.clinic_settings);
        for (label, why, mark) in settings {
            doc.line(&format!("  • {label}: {why} {mark}"));
        }
    }

    doc.heading("References");
    let citations = std::mem::take(&mut doc.citations);
    for (i, source) in citations.iter().enumerate() {
        let document = doc
            .protocol
            .references
            .get(&source.reference)
            .map_or(source.reference.as_str(), |r| r.document.as_str());
        let mut text = format!("  [{}] {document} § {}", i + 1, source.section);
        if let Some(quote) = &source.quote {
            text.push_str(&format!(" — “{quote}”"));
        }
        doc.line(&text);
    }
    doc.out
}
