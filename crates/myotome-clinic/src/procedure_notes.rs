//! The procedure note: written by the clinician once the procedure has started, signed once it
//! has ended, and locked from then on (seed 003 §7 "Procedure Notes": the product and dose,
//! the injection locations and techniques, the patient's response).
//!
//! A draft records the lot (checked against its ledger as of the procedure, when it is given:
//! an expired, recalled, quarantined or used-up lot, or another patient's own, is refused), the
//! volume and saline given set against the plan's — a departure needs its reason — the cells
//! given from the lot's certificate, each site of the plan reached (the protocol's route,
//! ultrasound or not, images saved), the needle, technique, response and complications.
//! Signing checks the note is whole and records the lot's administration in its ledger —
//! whatever befell the lot since it was given (a recall after the injection must still reach
//! this patient), refusing only more units than are on hand — completes the visit and stores
//! the signature (a SHA-256 of the note as stored, the signer and the time, also written into
//! the hash-chained audit row) — all in one transaction with their audit rows. After that,
//! corrections are addenda, and a note written in error is marked so, with the reason —
//! never deleted.
//!
//! Who: clinicians (ProcedurePerform) write, sign and add addenda; anyone who reads charts
//! reads the note.

use crate::lots::movement;
use crate::permissions::Permission;
use crate::validate::{Check, MAX_LONG_TEXT};
use crate::visit_day::booked_as;
use crate::{Caller, Clinic, ClinicError, RefusalReason};
use myotome_core::lots as core_lots;
use myotome_core::procedure_note::{
    SiteReached, departs_from_plan, missing_before_signing, route_for,
};
use myotome_core::protocol::{Protocol, Route};
use myotome_core::quantity::Volume;
use myotome_core::visit_day::{self as day, Stage};
use myotome_store::{
    Appointment, AppointmentId, AppointmentStatus, DOCUMENT_SCHEMA, LotEventKind, LotId,
    NewLotEvent, NoteLotDocument, NoteSiteDocument, ProcedureNote, ProcedureNoteDocument,
    ProtocolRef, Transaction, TreatmentPlan,
};

/// One site of the plan as ticked on the note.
#[derive(Debug, Clone, Default)]
pub struct SiteForm {
    pub structure: String,
    pub ultrasound: bool,
    pub images_saved: bool,
    pub depth_mm: String,
}

/// The note as typed.
#[derive(Debug, Clone, Default)]
pub struct NoteForm {
    /// The version read (`None` for a new note).
    pub version: Option<i64>,
    pub lot_id: String,
    /// A scanned label (GS1 element string, or its typed parenthesised form) or a lot number
    /// typed off the vial: the lot it names is the one given.
    pub lot_scan: String,
    pub units: String,
    pub product_volume_ml: String,
    pub saline_volume_ml: String,
    pub deviation: String,
    pub sites: Vec<SiteForm>,
    pub needle_gauge: String,
    pub needle_length_mm: String,
    pub technique: String,
    pub response: String,
    pub complications: String,
}

/// The visit's note, when one is written.
pub async fn get(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
) -> Result<Option<ProcedureNote>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    let visit = clinic.store.appointment(&caller.actor, id).await?;
    Ok(clinic.store.procedure_note(&caller.actor, &visit).await?)
}

/// What a note's write reads first, in its transaction.
pub(crate) struct Context {
    pub(crate) visit: Appointment,
    pub(crate) plan: TreatmentPlan,
    pub(crate) protocol: Protocol,
    pub(crate) stage: Stage,
    pub(crate) note: Option<ProcedureNote>,
}

pub(crate) async fn context(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    id: AppointmentId,
) -> Result<Context, ClinicError> {
    let visit = tx.appointment(id).await?;
    let Some(plan_id) = visit.details.plan_id else {
        return Err(ClinicError::Conflict(
            "This visit belongs to no treatment plan: a procedure note records a plan's session."
                .to_owned(),
        ));
    };
    let plan = tx.plan_with_appointments(plan_id).await?.0;
    let Some(loaded) = clinic.data.protocols.get(&plan.details.protocol_id) else {
        return Err(ClinicError::Conflict(format!(
            "The plan's protocol {} is no longer in the library.",
            plan.details.protocol_id
        )));
    };
    let settings = match plan.details.settings_version {
        Some(version) => Some(tx.clinic_settings_version(version).await?),
        None => None,
    };
    let protocol = crate::settings::protocol_as_run(&loaded.protocol, settings.as_ref());
    let steps = tx.visit_steps(id).await?;
    let stage = day::stage_after(booked_as(&visit), steps.iter().map(|s| s.step.kind));
    let note = tx.procedure_note(id).await?;
    Ok(Context {
        visit,
        plan,
        protocol,
        stage,
        note,
    })
}

fn refused(message: String) -> ClinicError {
    ClinicError::refused(RefusalReason::NoteIncomplete, message)
}

/// Saves the draft note, checked field by field and against the lot's ledger.
pub async fn save(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    form: &NoteForm,
) -> Result<ProcedureNote, ClinicError> {
    caller.may(Permission::PatientRead)?;
    caller.may(Permission::ProcedurePerform)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let ctx = context(clinic, tx.as_mut(), id).await?;
    if !matches!(
        ctx.stage,
        Stage::Procedure | Stage::Observation | Stage::Done
    ) {
        return Err(refused(format!(
            "The visit is {}: the note is written once the procedure has started.",
            ctx.stage.label().to_lowercase()
        )));
    }
    refuse_if_in_error(ctx.note.as_ref())?;
    if ctx.note.as_ref().is_some_and(|n| n.signature.is_some()) {
        return Err(ClinicError::Conflict(
            "The note is signed and locked; add an addendum instead.".to_owned(),
        ));
    }
    if ctx.note.is_some() && form.version.is_none() {
        return Err(ClinicError::Conflict(
            "This visit has a note already: reload it and change that one.".to_owned(),
        ));
    }
    let document = read_form(clinic, tx.as_mut(), &ctx, form).await?;
    // The version the clinician read: a save over a newer draft is refused by the store.
    tx.save_procedure_note(&ctx.visit, &document, form.version)
        .await?;
    tx.commit().await?;
    read(clinic, caller, id).await
}

async fn read(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
) -> Result<ProcedureNote, ClinicError> {
    get(clinic, caller, id)
        .await?
        .ok_or_else(|| ClinicError::NotFound(format!("Visit {id} has no procedure note.")))
}

/// The form read into the note's document, every problem at its field.
async fn read_form(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    ctx: &Context,
    form: &NoteForm,
) -> Result<ProcedureNoteDocument, ClinicError> {
    let mut check = Check::new();
    for (field, text) in [
        ("technique", &form.technique),
        ("response", &form.response),
        ("complications", &form.complications),
        ("deviation", &form.deviation),
    ] {
        check.paragraph(field, text, MAX_LONG_TEXT);
    }
    let injects = ctx.protocol.dosing.is_some();
    let given = volume_of(&mut check, "product_volume_ml", &form.product_volume_ml);
    let saline = volume_of(&mut check, "saline_volume_ml", &form.saline_volume_ml);
    let volume = given.map(Volume::millilitres);
    let gauge = whole(&mut check, "needle_gauge", &form.needle_gauge, 1, 50);
    let length = needle_length(&mut check, &form.needle_length_mm);
    if form.sites.len() > MAX_SITES {
        check.add(
            "sites",
            format!(
                "names {} sites; a note takes at most {MAX_SITES}",
                form.sites.len()
            ),
        );
    }
    if !injects && (volume.is_some() || !form.lot_id.trim().is_empty()) {
        check.add(
            "lot_id",
            format!(
                "{} injects no product: record the sites needled, not a lot or a volume",
                ctx.protocol.id
            ),
        );
    }
    let planned = ctx
        .plan
        .details
        .dose
        .as_ref()
        .and_then(|d| Volume::from_millilitres(d.product_volume_ml).ok());

    let deviation = Some(form.deviation.trim().to_owned()).filter(|d| !d.is_empty());
    if injects && given.is_some() && departs_from_plan(planned, given) && deviation.is_none() {
        check.add(
            "deviation",
            format!(
                "the volume given differs from the plan's {}; say why",
                planned.map_or_else(
                    || "(none)".to_owned(),
                    |p| format!("{} mL", p.millilitres())
                )
            ),
        );
    }
    let sites = read_sites(&mut check, ctx, form);
    let picked = match form.lot_id.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(n) => Some(LotId(n)),
            Err(_) => {
                check.add(
                    "lot_id",
                    format!("“{text}” is not a lot number in the clinic"),
                );
                None
            }
        },
    };
    let scanned = match form.lot_scan.trim() {
        "" => None,
        text => match lot_scanned(clinic, tx, text).await? {
            Ok(lot) => Some(lot),
            Err(problem) => {
                check.add("lot_scan", problem);
                None
            }
        },
    };
    let lot = match (picked, scanned) {
        (Some(picked), Some(scanned)) if picked != scanned => {
            check.add(
                "lot_scan",
                format!(
                    "the label scanned is lot {scanned} in the clinic, but lot {picked} is chosen in the list; clear one of them"
                ),
            );
            None
        }
        (picked, scanned) => scanned.or(picked),
    };
    if !injects && scanned.is_some() {
        check.add(
            "lot_scan",
            format!("{} injects no product: scan no lot", ctx.protocol.id),
        );
    }
    let units = match (lot, form.units.trim()) {
        (None, _) => None,
        (Some(_), "") => Some(1),
        (Some(_), text) => whole(&mut check, "units", text, 1, 1000),
    };
    check.finish()?;
    let lot = match (lot, units) {
        (Some(lot), Some(units)) => Some(lot_given(clinic, tx, ctx, lot, units).await?),
        _ => None,
    };
    let cells_given = match (&lot, given) {
        (Some((_, Some(per_ml))), Some(volume)) => {
            Some(per_ml.saturating_mul(volume.microlitres()) / 1000)
        }
        _ => None,
    };
    Ok(ProcedureNoteDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: ProtocolRef {
            id: ctx.protocol.id.to_string(),
            version: ctx.protocol.version.to_string(),
        },
        lot: lot.map(|(l, _)| l),
        product_volume_ml: volume,
        saline_volume_ml: saline.map(Volume::millilitres),
        cells_given,
        planned_volume_ml: planned.map(Volume::millilitres),
        deviation,
        sites,
        needle_gauge: gauge,
        needle_length_mm: length,
        technique: form.technique.trim().to_owned(),
        response: form.response.trim().to_owned(),
        complications: form.complications.trim().to_owned(),
        // Recorded by its own step (crate::harvests), kept through every save of the draft.
        harvest: ctx.note.as_ref().and_then(|n| n.document.harvest.clone()),
    })
}

/// The lot a scanned label or a typed lot number names: a GS1 label (scanner output, or the
/// parenthesised form typed) by its lot number and GTIN, anything else as the lot number or
/// distinct identification code on the vial. Whether it may be given is checked afterwards,
/// against its ledger, like a lot picked from the list.
async fn lot_scanned(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    text: &str,
) -> Result<Result<LotId, String>, ClinicError> {
    // A scanner sends a symbology prefix (`]d2`), FNC1, or the element string alone, which
    // begins with AI 01 and the GTIN's 14 digits; a person types the bracketed form.
    let looks_like_gs1 = text.starts_with(['(', ']', myotome_core::gs1::GROUP_SEPARATOR])
        || (text.len() > 16
            && text.starts_with("01")
            && text.as_bytes()[2..16].iter().all(u8::is_ascii_digit));
    let (name, gtin, label_expiry) = if looks_like_gs1 {
        let label = match myotome_core::gs1::parse(text, clinic.clock.today()) {
            Ok(label) => label,
            Err(e) => return Ok(Err(format!("the label could not be read: {e}"))),
        };
        let Some(lot) = label.lot else {
            return Ok(Err(
                "the label carries no lot number (AI 10); type it, or pick the lot from the list"
                    .to_owned(),
            ));
        };
        (lot, label.gtin.map(|g| g.as_str().to_owned()), label.expiry)
    } else {
        (text.to_owned(), None, None)
    };
    // What is on the vial: its lot number or distinct code — never the clinic's own number for
    // a lot, which a typed "7" would otherwise match.
    let named: Vec<_> = tx
        .lot_ledgers_named(&name)
        .await?
        .into_iter()
        .filter(|l| l.lot.details.lot_number == name || l.lot.details.distinct_code == name)
        .collect();
    let found: Vec<_> = named
        .iter()
        .filter(|l| gtin.is_none() || l.product.details.gtin == gtin)
        .collect();
    Ok(match found.as_slice() {
        [] if !named.is_empty() => Err(format!(
            "lot “{name}” is on file, but not for the GTIN on this label ({}); check that the vial is the product on file, or pick the lot from the list",
            gtin.unwrap_or_default()
        )),
        [] => Err(format!(
            "no lot in the clinic is numbered “{name}”; receive it first, or check the label"
        )),
        [one] => match label_expiry {
            Some(expiry) if expiry != one.lot.details.expiry => Err(format!(
                "the label says lot {name} expires {expiry}, but the lot on file expires {}; check the vial against the lot's record before using it",
                one.lot.details.expiry
            )),
            _ => Ok(one.lot.id),
        },
        several => Err(format!(
            "“{name}” is the lot number of {} lots ({}); pick the lot from the list",
            several.len(),
            several
                .iter()
                .map(|l| l.product.details.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    })
}

/// Each site ticked, which must be one of the plan's, with the protocol's route for it.
fn read_sites(check: &mut Check, ctx: &Context, form: &NoteForm) -> Vec<NoteSiteDocument> {
    let mut sites = Vec::new();
    for (i, site) in form.sites.iter().enumerate() {
        let field = format!("sites[{i}]");
        let structure = site.structure.trim();
        if !ctx.plan.details.target_sites.iter().any(|s| s == structure) {
            check.add(
                field,
                format!(
                    "`{structure}` is not a site of this plan; the plan names {}",
                    ctx.plan.details.target_sites.join(", ")
                ),
            );
            continue;
        }
        let Some((route, _)) = route_for(&ctx.protocol, &ctx.plan.details.region, structure) else {
            check.add(
                field,
                format!("{} gives no route for `{structure}`", ctx.protocol.id),
            );
            continue;
        };
        if site.images_saved && !site.ultrasound {
            check.add(
                field,
                "images are saved only of an ultrasound-guided injection; tick ultrasound or untick images",
            );
        }
        let depth = match site.depth_mm.trim() {
            "" => None,
            text => whole(check, &format!("sites[{i}].depth_mm"), text, 1, 300),
        };
        sites.push(NoteSiteDocument {
            structure: structure.to_owned(),
            side: ctx.plan.details.side.map(|s| s.as_str().to_owned()),
            route: route.as_str().to_owned(),
            ultrasound: site.ultrasound,
            images_saved: site.images_saved,
            depth_mm: depth,
        });
    }
    sites
}

/// The lot as the note records it, and its certificate's cells per mL: refused with the
/// reason when it may not be given to this patient (expired, recalled, quarantined, used up,
/// another patient's own, not enough on hand — counting what was issued to this visit).
async fn lot_given(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    ctx: &Context,
    lot: LotId,
    units: u32,
) -> Result<(NoteLotDocument, Option<u64>), ClinicError> {
    let ledger = tx.lot_ledger(lot).await.map_err(|e| match e {
        myotome_store::StoreError::NotFound { .. } => {
            ClinicError::field("lot_id", format!("there is no lot {lot} in the clinic"))
        }
        other => ClinicError::from(other),
    })?;
    let standing = core_lots::standing(
        ledger.events.iter().map(|e| movement(&e.event)),
        ledger.lot.details.expiry,
        clinic.clock.today(),
    );
    let promised: u32 = ledger
        .events
        .iter()
        .filter(|e| {
            e.event.kind == LotEventKind::Issued && e.event.appointment_id == Some(ctx.visit.id)
        })
        .filter_map(|e| e.event.quantity)
        .sum();
    core_lots::may_use(
        &standing,
        ledger.lot.details.expiry,
        ledger.lot.details.patient_id.as_ref(),
        &ctx.visit.patient_id,
        units,
        promised,
    )
    .map_err(|refusal| {
        ClinicError::refused(
            RefusalReason::LotRefused,
            format!("Lot {}: {refusal}", ledger.lot.details.lot_number),
        )
    })?;
    Ok((
        NoteLotDocument {
            lot_id: ledger.lot.id.0,
            lot_number: ledger.lot.details.lot_number.clone(),
            product: ledger.product.details.name.clone(),
            expiry: ledger.lot.details.expiry,
            units,
        },
        ledger.lot.details.cells_per_ml,
    ))
}

/// Signs the note at version `version`: the procedure has ended, the note is whole, the lot's
/// administration is recorded, the visit is completed.
pub async fn sign(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    version: i64,
) -> Result<ProcedureNote, ClinicError> {
    caller.may(Permission::PatientRead)?;
    caller.may(Permission::ProcedurePerform)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let ctx = context(clinic, tx.as_mut(), id).await?;
    let Some(note) = &ctx.note else {
        return Err(refused(
            "There is no note to sign yet: write it first.".to_owned(),
        ));
    };
    refuse_if_in_error(Some(note))?;
    if note.signature.is_some() {
        return Err(ClinicError::Conflict(
            "The note is signed already; add an addendum instead.".to_owned(),
        ));
    }
    if !matches!(ctx.stage, Stage::Observation | Stage::Done) {
        return Err(refused(format!(
            "The visit is {}: the note is signed once the procedure has ended.",
            ctx.stage.label().to_lowercase()
        )));
    }
    let d = &note.document;
    let reached = sites_reached(d);
    let missing = missing_before_signing(
        &reached,
        ctx.protocol.dosing.is_some(),
        d.lot.is_some(),
        d.product_volume_ml.is_some(),
        &d.response,
    );
    if !missing.is_empty() {
        return Err(refused(format!(
            "The note is not signed: it lacks {}.",
            missing.join(", ")
        )));
    }
    if let Some(lot) = &d.lot {
        // The lot was checked against its ledger when the note recorded it, during the
        // procedure. What was given was given: a lot recalled, quarantined or expired since is
        // still recorded as administered here, so a recall reaches this patient; only more
        // units than are on hand is refused.
        let ledger = tx.lot_ledger(LotId(lot.lot_id)).await?;
        let standing = core_lots::standing(
            ledger.events.iter().map(|e| movement(&e.event)),
            ledger.lot.details.expiry,
            clinic.clock.today(),
        );
        core_lots::may_take_out(&standing, lot.units).map_err(|refusal| {
            ClinicError::refused(
                RefusalReason::LotRefused,
                format!("Lot {}: {refusal}", ledger.lot.details.lot_number),
            )
        })?;
        tx.add_lot_event(
            &ledger.lot,
            &NewLotEvent {
                kind: LotEventKind::Administered,
                quantity: Some(lot.units),
                location: None,
                reason: None,
                appointment_id: Some(ctx.visit.id),
            },
        )
        .await?;
    }
    let mut details = ctx.visit.details.clone();
    details.status = AppointmentStatus::Completed;
    tx.update_appointment(ctx.visit.id, ctx.visit.version, &details)
        .await?;
    tx.sign_procedure_note(&ctx.visit, version, clinic.clock.now())
        .await?;
    tx.commit().await?;
    read(clinic, caller, id).await
}

/// How each site of a note was reached, as the core's rules read it.
pub fn sites_reached(document: &ProcedureNoteDocument) -> Vec<SiteReached> {
    document
        .sites
        .iter()
        .filter_map(|s| {
            Some(SiteReached {
                route: Route::parse(&s.route)?,
                ultrasound: s.ultrasound,
                images_saved: s.images_saved,
            })
        })
        .collect()
}

/// The muscles a note's session needled (what IMS coding counts).
pub fn muscles_needled(document: &ProcedureNoteDocument) -> usize {
    myotome_core::procedure_note::muscles_needled(&sites_reached(document))
}

/// Adds an addendum to the signed note (the original is never edited).
pub async fn addendum(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    text: &str,
) -> Result<ProcedureNote, ClinicError> {
    caller.may(Permission::PatientRead)?;
    caller.may(Permission::ProcedurePerform)?;
    let mut check = Check::new();
    check.required_text("text", text, MAX_LONG_TEXT);
    check.finish()?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let visit = tx.appointment(id).await?;
    let Some(note) = tx.procedure_note(id).await? else {
        return Err(refused("There is no note yet: write it first.".to_owned()));
    };
    refuse_if_in_error(Some(&note))?;
    if note.signature.is_none() {
        return Err(ClinicError::Conflict(
            "The note is not signed yet: change the draft itself.".to_owned(),
        ));
    }
    tx.add_note_addendum(&visit, note.id, text.trim(), clinic.clock.now())
        .await?;
    tx.commit().await?;
    read(clinic, caller, id).await
}

/// Marks the visit's note entered in error (written on the wrong chart, or for a visit that
/// did not happen), with the reason. The note is kept as it was — signature, addenda and all —
/// and reads with the mark beside it; nothing more is written on it. What the note recorded
/// elsewhere stands: the lot's administration stays on its ledger (a recall errs towards
/// telling), and the visit stays as it is; a concentrate its harvest made that is still on
/// hand is quarantined with the reason.
pub async fn mark_entered_in_error(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    reason: &str,
) -> Result<ProcedureNote, ClinicError> {
    caller.may(Permission::PatientRead)?;
    caller.may(Permission::ProcedurePerform)?;
    let mut check = Check::new();
    check.required_text("reason", reason, MAX_LONG_TEXT);
    check.finish()?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let visit = tx.appointment(id).await?;
    let Some(note) = tx.procedure_note(id).await? else {
        return Err(refused(
            "There is no note on this visit to mark.".to_owned(),
        ));
    };
    if note.entered_in_error.is_some() {
        return Err(ClinicError::Conflict(
            "The note is marked entered in error already.".to_owned(),
        ));
    }
    tx.mark_note_entered_in_error(&visit, note.id, reason.trim(), clinic.clock.now())
        .await?;
    // A concentrate this note's harvest made, still on hand, is the wrong chart's too: set
    // aside until someone looks at it (released or wasted from its lot's page).
    if let Some(harvest) = &note.document.harvest {
        let ledger = tx.lot_ledger(LotId(harvest.lot_id)).await?;
        let standing = core_lots::standing(
            ledger.events.iter().map(|e| movement(&e.event)),
            ledger.lot.details.expiry,
            clinic.clock.today(),
        );
        if standing.on_hand > 0 {
            tx.add_lot_event(
                &ledger.lot,
                &NewLotEvent {
                    kind: LotEventKind::Quarantined,
                    quantity: None,
                    location: None,
                    reason: Some(format!(
                        "The procedure note of visit {id}, whose harvest made this lot, was marked entered in error: {}",
                        reason.trim()
                    )),
                    appointment_id: None,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    read(clinic, caller, id).await
}

/// A note marked entered in error takes nothing more.
fn refuse_if_in_error(note: Option<&ProcedureNote>) -> Result<(), ClinicError> {
    match note {
        Some(note) if note.entered_in_error.is_some() => Err(ClinicError::Conflict(
            "The note is marked entered in error: nothing more is written on it.".to_owned(),
        )),
        _ => Ok(()),
    }
}

/// The most sites one note records (the plan's sites, each once).
pub const MAX_SITES: usize = 40;

/// A volume typed in millilitres, parsed once into the core's [`Volume`] (whole microlitres),
/// so what is compared with the plan is what is stored.
pub(crate) fn volume_of(check: &mut Check, field: &str, text: &str) -> Option<Volume> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text
        .replace(',', ".")
        .parse::<f64>()
        .map_err(|_| format!("“{text}” is not a number of millilitres, e.g. 2 or 2.5"))
        .and_then(Volume::from_millilitres)
        .and_then(|v| {
            if v.microlitres() == 0 {
                Err("a volume given is above 0 mL".to_owned())
            } else {
                Ok(v)
            }
        });
    match parsed {
        Ok(volume) => Some(volume),
        Err(problem) => {
            check.add(field, problem);
            None
        }
    }
}

/// A needle's length in millimetres (a spinal needle is about 90 mm; 300 is a typing slip).
fn needle_length(check: &mut Check, text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.replace(',', ".").parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n <= 300.0 => Some(n),
        _ => {
            check.add(
                "needle_length_mm",
                format!("“{text}” is not a length in millimetres up to 300, e.g. 38 or 90"),
            );
            None
        }
    }
}

fn whole(check: &mut Check, field: &str, text: &str, min: u32, max: u32) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            check.add(
                field,
                format!("“{text}” is not a whole number from {min} to {max}"),
            );
            None
        }
    }
}
