//! Meaning checks on a protocol whose types already loaded: every citation resolves, every
//! range is ordered, every site is in the anatomy catalogue, every concept is in the vocabulary,
//! ids are unique, and what one rule needs from another is there. Problems come back as
//! (field path, message) so the loader can name the line.

use super::model::*;
use crate::catalog::AnatomyCatalog;
use crate::citation::Source;
use crate::quantity::{Bounded, Duration};
use crate::screening::Outcome;
use crate::setting::Setting;
use crate::terminology::{ConceptKind, Terminology};
use crate::toml_reader::FieldPath;
use std::cmp::Ordering;
use std::collections::HashSet;

type Found = Vec<(FieldPath, String)>;

pub(super) fn validate(
    protocol: &Protocol,
    catalog: &AnatomyCatalog,
    terminology: &Terminology,
) -> Found {
    let mut found = Found::new();
    let root = FieldPath::root();
    check_text(&mut found, &root.key("title"), &protocol.title);
    if protocol.routes.is_empty() {
        found.push((root.key("routes"), "name at least one route".into()));
    }
    // A standard (the CPT code set) can back a billing code, never a clinical rule.
    if protocol
        .references
        .values()
        .all(|r| r.kind == crate::citation::ReferenceKind::Standard)
    {
        found.push((
            root.key("references"),
            "cite at least one clinical source document (kind = \"seed\" or \"clinic_policy\")"
                .into(),
        ));
    }
    check_sources(&mut found, protocol);
    check_indications(&mut found, protocol, terminology);
    check_contraindications(&mut found, protocol, terminology);
    check_sites(&mut found, protocol, catalog);
    check_anesthesia(&mut found, protocol);
    check_dosing(&mut found, protocol);
    check_schedule(&mut found, protocol);
    check_follow_ups(&mut found, protocol);
    check_outcomes(&mut found, protocol);
    check_claims(&mut found, protocol);
    check_unique_by(
        &mut found,
        &root.key("documentation"),
        "id",
        protocol.documentation.iter().map(|d| d.id.as_str()),
    );
    if let Setting::Given(minutes) = &protocol.observation.minutes {
        check_order(
            &mut found,
            &root.key("observation").key("minutes"),
            minutes,
            |a, b| a.cmp(b),
            |m| format!("{m} min"),
        );
    }
    found
}

fn check_text(found: &mut Found, path: &FieldPath, text: &str) {
    if text.trim().is_empty() {
        found.push((path.clone(), "is empty; write the text".into()));
    }
}

fn check_order<T>(
    found: &mut Found,
    path: &FieldPath,
    range: &Bounded<T>,
    compare: impl Fn(&T, &T) -> Ordering,
    show: impl Fn(&T) -> String,
) {
    if compare(&range.min, &range.max) == Ordering::Greater {
        found.push((
            path.key("min"),
            format!(
                "min ({}) is greater than max ({}); swap them or correct the one that is wrong",
                show(&range.min),
                show(&range.max)
            ),
        ));
    }
}

fn check_duration_range(
    found: &mut Found,
    path: &FieldPath,
    setting: Option<&Setting<Bounded<Duration>>>,
) {
    if let Some(Setting::Given(range)) = setting {
        check_order(found, path, range, Duration::compare, Duration::to_string);
    }
}

/// Every `source` in the protocol, with its path.
fn sources(protocol: &Protocol) -> Vec<(FieldPath, &Source)> {
    let root = FieldPath::root();
    let mut all = vec![(root.key("summary").key("source"), &protocol.summary.source)];
    fn push_list<'a>(
        all: &mut Vec<(FieldPath, &'a Source)>,
        path: FieldPath,
        list: &'a [Statement],
    ) {
        for (i, s) in list.iter().enumerate() {
            all.push((path.index(i).key("source"), &s.source));
        }
    }
    fn push_setting<'a, T>(
        all: &mut Vec<(FieldPath, &'a Source)>,
        path: FieldPath,
        setting: &'a Setting<Bounded<T>>,
    ) {
        match setting {
            Setting::Given(range) => all.push((path.key("source"), &range.source)),
            Setting::ClinicSets(clinic) => all.push((path.key("source"), &clinic.source)),
        }
    }
    for (i, x) in protocol.indications.iter().enumerate() {
        all.push((root.key("indications").index(i).key("source"), &x.source));
    }
    if let Some(one_side) = &protocol.one_side {
        all.push((root.key("one_side").key("source"), &one_side.source));
    }
    if let Some(harvest) = &protocol.harvest {
        all.push((root.key("harvest").key("source"), &harvest.source));
    }
    for (i, x) in protocol.contraindications.iter().enumerate() {
        all.push((
            root.key("contraindications").index(i).key("source"),
            &x.source,
        ));
    }
    for (i, x) in protocol.sites.iter().enumerate() {
        all.push((root.key("sites").index(i).key("source"), &x.source));
    }
    push_list(
        &mut all,
        root.key("preparation").key("clinic"),
        &protocol.preparation.clinic,
    );
    push_list(
        &mut all,
        root.key("preparation").key("patient"),
        &protocol.preparation.patient,
    );
    for (i, x) in protocol.anesthesia.iter().enumerate() {
        let path = root.key("anesthesia").index(i);
        all.push((path.key("source"), &x.source));
        if let Some(wait) = &x.wait {
            push_setting(&mut all, path.key("wait"), wait);
        }
    }
    let procedure = root.key("procedure");
    push_list(&mut all, procedure.key("steps"), &protocol.procedure.steps);
    push_list(
        &mut all,
        procedure.key("personnel"),
        &protocol.procedure.personnel,
    );
    push_list(
        &mut all,
        procedure.key("equipment"),
        &protocol.procedure.equipment,
    );
    if let Some(setting) = &protocol.procedure.setting {
        all.push((procedure.key("setting").key("source"), &setting.source));
    }
    if let Some(dosing) = &protocol.dosing {
        let path = root.key("dosing");
        if let Some(volume) = &dosing.product_volume {
            push_setting(&mut all, path.key("product_volume"), volume);
        }
        if let Some(floor) = &dosing.cell_floor_per_kg {
            all.push((path.key("cell_floor_per_kg").key("source"), &floor.source));
        }
        if let Some(saline) = &dosing.saline_dilution {
            all.push((path.key("saline_dilution").key("source"), &saline.source));
            if let Setting::ClinicSets(clinic) = &saline.saline_per_product_ml {
                all.push((
                    path.key("saline_dilution")
                        .key("saline_per_product_ml")
                        .key("source"),
                    &clinic.source,
                ));
            }
        }
        push_list(&mut all, path.key("cell_sources"), &dosing.cell_sources);
        push_list(&mut all, path.key("notes"), &dosing.notes);
    }
    let schedule = root.key("schedule");
    push_setting(
        &mut all,
        schedule.key("sessions"),
        &protocol.schedule.sessions,
    );
    for (key, setting) in [
        ("spacing", &protocol.schedule.spacing),
        ("span", &protocol.schedule.span),
        ("session_length", &protocol.schedule.session_length),
    ] {
        if let Some(setting) = setting {
            push_setting(&mut all, schedule.key(key), setting);
        }
    }
    push_list(&mut all, schedule.key("notes"), &protocol.schedule.notes);
    let observation = root.key("observation");
    push_setting(
        &mut all,
        observation.key("minutes"),
        &protocol.observation.minutes,
    );
    push_list(
        &mut all,
        observation.key("watch_for"),
        &protocol.observation.watch_for,
    );
    push_list(
        &mut all,
        observation.key("have_at_hand"),
        &protocol.observation.have_at_hand,
    );
    push_list(&mut all, root.key("aftercare"), &protocol.aftercare);
    for (i, x) in protocol.follow_ups.iter().enumerate() {
        let path = root.key("follow_ups").index(i);
        all.push((path.key("source"), &x.source));
        if let Some(window) = &x.window {
            push_setting(&mut all, path.key("window"), window);
        }
        if let Some(over) = &x.over {
            push_setting(&mut all, path.key("over"), over);
        }
        if let Some(Setting::ClinicSets(clinic)) = &x.every {
            all.push((path.key("every").key("source"), &clinic.source));
        }
    }
    push_list(&mut all, root.key("side_effects"), &protocol.side_effects);
    for (i, x) in protocol.documentation.iter().enumerate() {
        all.push((root.key("documentation").index(i).key("source"), &x.source));
    }
    for (i, x) in protocol.billing.codes.iter().enumerate() {
        all.push((
            root.key("billing").key("codes").index(i).key("source"),
            &x.source,
        ));
    }
    if let Some(coverage) = &protocol.billing.coverage {
        all.push((
            root.key("billing").key("coverage").key("source"),
            &coverage.source,
        ));
    }
    for (i, x) in protocol.outcomes.iter().enumerate() {
        all.push((root.key("outcomes").index(i).key("source"), &x.source));
    }
    for (i, x) in protocol.claims.iter().enumerate() {
        all.push((root.key("claims").index(i).key("source"), &x.source));
    }
    all
}

fn check_sources(found: &mut Found, protocol: &Protocol) {
    let declared: Vec<&str> = protocol.references.keys().map(String::as_str).collect();
    for (path, source) in sources(protocol) {
        if !protocol.references.contains_key(&source.reference) {
            found.push((
                path.key("ref"),
                format!(
                    "cites `{}`, which is not in [references]; use one of: {}",
                    source.reference,
                    declared.join(", ")
                ),
            ));
        }
        if source.section.trim().is_empty() {
            found.push((
                path.key("section"),
                "name the section of the document this comes from".into(),
            ));
        }
    }
}

fn check_indications(found: &mut Found, protocol: &Protocol, terminology: &Terminology) {
    let path = FieldPath::root().key("indications");
    for (i, indication) in protocol.indications.iter().enumerate() {
        match terminology.concept(&indication.concept) {
            Some(concept) if concept.kind == ConceptKind::Indication => {}
            Some(_) => found.push((
                path.index(i).key("concept"),
                format!("`{}` is not an indication concept", indication.concept),
            )),
            None => found.push((
                path.index(i).key("concept"),
                format!(
                    "`{}` is not in the concept vocabulary; add it to terminology/concepts.toml or use a known indication",
                    indication.concept
                ),
            )),
        }
    }
    check_unique_by(
        found,
        &path,
        "concept",
        protocol.indications.iter().map(|x| x.concept.as_str()),
    );
}

fn check_unique_by<'a>(
    found: &mut Found,
    path: &FieldPath,
    field: &str,
    values: impl Iterator<Item = &'a str>,
) {
    let mut seen = HashSet::new();
    for (i, value) in values.enumerate() {
        if !seen.insert(value) {
            found.push((
                path.index(i).key(field),
                format!("`{value}` is listed twice; merge the entries"),
            ));
        }
    }
}

fn check_contraindications(found: &mut Found, protocol: &Protocol, terminology: &Terminology) {
    let path = FieldPath::root().key("contraindications");
    for (i, rule) in protocol.contraindications.iter().enumerate() {
        let at = path.index(i);
        match terminology.concept(&rule.concept) {
            Some(concept) if concept.kind == ConceptKind::Contraindication => {}
            Some(_) => found.push((
                at.key("concept"),
                format!("`{}` is not a contraindication concept", rule.concept),
            )),
            None => {
                let known: Vec<&str> = terminology
                    .concepts()
                    .filter(|c| c.kind == ConceptKind::Contraindication)
                    .map(|c| c.id.as_str())
                    .collect();
                found.push((
                    at.key("concept"),
                    format!(
                        "`{}` is not a known concept; use one of: {}",
                        rule.concept,
                        known.join(", ")
                    ),
                ));
            }
        }
        match (rule.outcome, &rule.clearance_by) {
            (Outcome::Eligible, _) => found.push((
                at.key("outcome"),
                "a contraindication cannot leave the patient plainly eligible; use eligible_with_precautions, needs_clearance or not_a_candidate".into(),
            )),
            (Outcome::NeedsClearance, None) => found.push((
                at.key("clearance_by"),
                "outcome needs_clearance requires `clearance_by`: who must clear the patient".into(),
            )),
            (Outcome::NeedsClearance, Some(by)) if by.trim().is_empty() => {
                found.push((at.key("clearance_by"), "is empty; say who must clear the patient".into()))
            }
            _ => {}
        }
        check_text(found, &at.key("rationale"), &rule.rationale);
    }
    check_unique_by(
        found,
        &path,
        "concept",
        protocol
            .contraindications
            .iter()
            .map(|x| x.concept.as_str()),
    );
}

fn check_sites(found: &mut Found, protocol: &Protocol, catalog: &AnatomyCatalog) {
    let path = FieldPath::root().key("sites");
    for (i, site) in protocol.sites.iter().enumerate() {
        let at = path.index(i);
        if catalog.region(&site.region).is_none() {
            let known: Vec<&str> = catalog.regions().map(|r| r.id.as_str()).collect();
            found.push((
                at.key("region"),
                format!(
                    "region `{}` is not in the anatomy catalogue; use one of: {}",
                    site.region,
                    known.join(", ")
                ),
            ));
            continue;
        }
        match (&site.structure, site.any_muscle) {
            (Some(_), true) => found.push((
                at.key("any_muscle"),
                "give either `structure` or `any_muscle = true`, not both".into(),
            )),
            (None, false) => found.push((
                at.key("structure"),
                "missing; name a catalogue structure, or set `any_muscle = true` when the muscle is chosen from the diagnosis".into(),
            )),
            (Some(structure), false) => match catalog.structure(structure) {
                None => found.push((
                    at.key("structure"),
                    format!(
                        "`{structure}` is not in the anatomy catalogue; check the spelling or add it to catalog/anatomy.toml"
                    ),
                )),
                Some(entry) if !entry.regions.iter().any(|r| r == &site.region) => found.push((
                    at.key("structure"),
                    format!(
                        "`{structure}` is not catalogued in region `{}` (it is in: {}); fix the region or the catalogue",
                        site.region,
                        entry.regions.join(", ")
                    ),
                )),
                Some(_) => {}
            },
            (None, true) => {
                if catalog.muscles_in(&site.region).next().is_none() {
                    found.push((
                        at.key("region"),
                        format!("region `{}` has no muscles in the anatomy catalogue to choose from", site.region),
                    ));
                }
            }
        }
        if !protocol.routes.contains(&site.route) {
            found.push((
                at.key("route"),
                format!("route `{}` is not among the protocol's routes; add it to `routes` or fix the site", site.route.label()),
            ));
        }
    }
}

fn check_anesthesia(found: &mut Found, protocol: &Protocol) {
    for (i, option) in protocol.anesthesia.iter().enumerate() {
        check_duration_range(
            found,
            &FieldPath::root().key("anesthesia").index(i).key("wait"),
            option.wait.as_ref(),
        );
    }
}

fn check_dosing(found: &mut Found, protocol: &Protocol) {
    let Some(dosing) = &protocol.dosing else {
        return;
    };
    let path = FieldPath::root().key("dosing");
    if let Some(Setting::Given(volume)) = &dosing.product_volume {
        check_order(
            found,
            &path.key("product_volume"),
            volume,
            |a, b| a.cmp(b),
            |v| v.to_string(),
        );
        if volume.min == crate::quantity::Volume::ZERO {
            found.push((
                path.key("product_volume").key("min"),
                "a dose volume must be above zero".into(),
            ));
        }
    }
    if let Some(floor) = &dosing.cell_floor_per_kg
        && floor.cells == 0
    {
        found.push((
            path.key("cell_floor_per_kg").key("cells"),
            "a cell floor of zero is no floor; remove it or give the number".into(),
        ));
    }
    if let Some(saline) = &dosing.saline_dilution
        && let Setting::Given(ratio) = saline.saline_per_product_ml
        && (!ratio.is_finite() || ratio < 0.0)
    {
        found.push((
            path.key("saline_dilution").key("saline_per_product_ml"),
            format!("{ratio} is not a ratio; give millilitres of saline per millilitre of product (0 or more)"),
        ));
    }
}

fn check_schedule(found: &mut Found, protocol: &Protocol) {
    let path = FieldPath::root().key("schedule");
    let schedule = &protocol.schedule;
    if let Setting::Given(sessions) = &schedule.sessions {
        check_order(
            found,
            &path.key("sessions"),
            sessions,
            |a, b| a.cmp(b),
            u32::to_string,
        );
        if sessions.min == 0 {
            found.push((
                path.key("sessions").key("min"),
                "a plan has at least one session".into(),
            ));
        }
        if sessions.max > 1 && schedule.spacing.is_none() && schedule.span.is_none() {
            found.push((
                path.key("spacing"),
                "more than one session needs `spacing` or `span` (or `{ clinic_sets = … }` when the seed gives neither)".into(),
            ));
        }
    }
    check_duration_range(found, &path.key("spacing"), schedule.spacing.as_ref());
    check_duration_range(found, &path.key("span"), schedule.span.as_ref());
    check_duration_range(
        found,
        &path.key("session_length"),
        schedule.session_length.as_ref(),
    );
}

fn check_follow_ups(found: &mut Found, protocol: &Protocol) {
    let path = FieldPath::root().key("follow_ups");
    check_unique_by(
        found,
        &path,
        "id",
        protocol.follow_ups.iter().map(|f| f.id.as_str()),
    );
    for (i, follow_up) in protocol.follow_ups.iter().enumerate() {
        let at = path.index(i);
        match (&follow_up.window, &follow_up.every) {
            (Some(_), Some(_)) => found.push((
                at.key("every"),
                "a follow-up is either one visit (`window`) or repeated check-ins (`every` and `over`), not both".into(),
            )),
            (None, None) => found.push((
                at.key("window"),
                "missing; give `window` for one visit, or `every` and `over` for check-ins".into(),
            )),
            (None, Some(_)) if follow_up.over.is_none() => {
                found.push((at.key("over"), "check-ins need `over`: for how long they continue".into()))
            }
            _ => {}
        }
        check_duration_range(found, &at.key("window"), follow_up.window.as_ref());
        check_duration_range(found, &at.key("over"), follow_up.over.as_ref());
        if let Some(Setting::Given(every)) = &follow_up.every
            && every.is_zero()
        {
            found.push((
                at.key("every"),
                "check-ins cannot repeat every zero days".into(),
            ));
        }
    }
}

fn check_claims(found: &mut Found, protocol: &Protocol) {
    let path = FieldPath::root().key("claims");
    for (i, claim) in protocol.claims.iter().enumerate() {
        let in_range = |v: f64| (0.0..=100.0).contains(&v);
        if !in_range(claim.low_percent)
            || !in_range(claim.high_percent)
            || claim.low_percent > claim.high_percent
        {
            found.push((
                path.index(i).key("low_percent"),
                "write the claimed share as percentages from 0 to 100, `low_percent` not above `high_percent`".into(),
            ));
        }
        if protocol.claims[..i].iter().any(|c| c.id == claim.id) {
            found.push((
                path.index(i).key("id"),
                format!("claim `{}` is declared twice; keep one", claim.id),
            ));
        }
    }
}

fn check_outcomes(found: &mut Found, protocol: &Protocol) {
    let path = FieldPath::root().key("outcomes");
    check_unique_by(
        found,
        &path,
        "id",
        protocol.outcomes.iter().map(|o| o.id.as_str()),
    );
    for (i, timepoint) in protocol.outcomes.iter().enumerate() {
        let known =
            timepoint.at == "baseline" || protocol.follow_ups.iter().any(|f| f.id == timepoint.at);
        if !known {
            let ids: Vec<&str> = protocol.follow_ups.iter().map(|f| f.id.as_str()).collect();
            found.push((
                path.index(i).key("at"),
                format!(
                    "`{}` is neither \"baseline\" nor a follow-up id of this protocol (follow-ups: {})",
                    timepoint.at,
                    if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
                ),
            ));
        }
        if timepoint.measures.is_empty() {
            found.push((
                path.index(i).key("measures"),
                "name at least one measure".into(),
            ));
        }
    }
}
