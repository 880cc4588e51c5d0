//! The harvest of a procedure that takes the patient's own cells (seed 004: bone marrow from
//! one or both sides of the pelvis, processed in the lab to concentrate the stem cells, then
//! injected into the leg). Recorded by the clinician during the procedure, once, in one
//! transaction: the harvest's details go into the visit's procedure note (its draft made if
//! there is none), and the processed concentrate becomes the patient's autologous lot —
//! received into the ledger bound to the patient, so it is refused for anyone else, and set as
//! the lot the note gives unless another is already chosen.
//!
//! The product is one of the clinic's products of the kind the protocol's harvest names (the
//! processing system the clinic uses, added once on the Inventory page); the protocol's data
//! says where the cells come from and whether both sides may be harvested. Nothing clinical is
//! invented: the volumes, the processing, the cell count and the date until which the
//! concentrate may be given are what the clinician records (the page offers the visit's day;
//! the clinician confirms or changes it).

use crate::permissions::Permission;
use crate::procedure_notes::{Context, context, volume_of};
use crate::validate::{Check, MAX_SHORT_TEXT, parse_date};
use crate::{Caller, Clinic, ClinicError, RefusalReason};
use myotome_core::procedure_note::{HarvestSide, harvest_problems};
use myotome_core::protocol::Harvest;
use myotome_core::quantity::Volume;
use myotome_core::visit_day::Stage;
use myotome_store::{
    AppointmentId, DOCUMENT_SCHEMA, LotDetails, LotEventKind, NewLotEvent, NoteHarvestDocument,
    NoteLotDocument, PackageCondition, ProcedureNote, ProcedureNoteDocument, Product, ProductId,
    ProtocolRef,
};

/// The harvest as typed.
#[derive(Debug, Clone, Default)]
pub struct HarvestForm {
    /// The clinic's product the concentrate is (of the protocol's harvest kind).
    pub product_id: String,
    /// left, right or both.
    pub side: String,
    pub aspirated_ml: String,
    pub processing: String,
    pub concentrate_ml: String,
    pub cells_per_ml: String,
    /// The last day the concentrate may be given (YYYY-MM-DD), as the clinician decides it.
    pub use_by: String,
}

/// What the harvest section of a visit offers: the protocol's harvest, and the clinic's
/// products of its kind (empty: one must be added first).
pub struct HarvestOffer {
    pub harvest: Harvest,
    pub products: Vec<Product>,
}

/// The protocol's harvest for a visit, with the products it may be recorded as; `None` when
/// the visit's protocol harvests nothing.
pub async fn offer(
    clinic: &Clinic,
    caller: &Caller,
    protocol: &myotome_core::protocol::Protocol,
) -> Result<Option<HarvestOffer>, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    let Some(harvest) = protocol.harvest.clone() else {
        return Ok(None);
    };
    let products = clinic
        .store
        .lot_products()
        .await?
        .into_iter()
        .filter(|p| p.details.kind == harvest.product_kind)
        .collect();
    Ok(Some(HarvestOffer { harvest, products }))
}

fn refused(message: String) -> ClinicError {
    ClinicError::refused(RefusalReason::StepRefused, message)
}

/// Records the harvest done at this visit's procedure and makes the patient's own lot of the
/// concentrate.
pub async fn record(
    clinic: &Clinic,
    caller: &Caller,
    id: AppointmentId,
    form: &HarvestForm,
) -> Result<ProcedureNote, ClinicError> {
    caller.may(Permission::PatientRead)?;
    caller.may(Permission::ProcedurePerform)?;
    caller.may(Permission::LotReceive)?;
    let today = clinic.clock.today();
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let ctx = context(clinic, tx.as_mut(), id).await?;
    let Some(harvest) = ctx.protocol.harvest.clone() else {
        return Err(ClinicError::Conflict(format!(
            "{} harvests nothing: its lot is received on the Inventory page.",
            ctx.protocol.title
        )));
    };
    // Recorded once the procedure has started, and while the note is a draft (a clinician
    // may end the procedure before writing it down).
    if !matches!(
        ctx.stage,
        Stage::Procedure | Stage::Observation | Stage::Done
    ) {
        return Err(refused(format!(
            "The visit is {}: the harvest is recorded once the procedure has started.",
            ctx.stage.label().to_lowercase()
        )));
    }
    if let Some(note) = &ctx.note {
        if note.entered_in_error.is_some() || note.signature.is_some() {
            return Err(ClinicError::Conflict(
                "The note is signed or marked entered in error: nothing more is written on it."
                    .to_owned(),
            ));
        }
        if let Some(done) = &note.document.harvest {
            return Err(ClinicError::Conflict(format!(
                "The harvest is recorded already (lot {}); a correction goes in the note's technique or, once signed, an addendum.",
                done.lot_number
            )));
        }
    }

    let mut check = Check::new();
    let product_id = match form.product_id.trim().parse::<i64>() {
        Ok(n) => Some(ProductId(n)),
        Err(_) => {
            check.add(
                "product_id",
                "choose the product the concentrate is; add it on the Inventory page first if it is missing",
            );
            None
        }
    };
    let side = HarvestSide::parse(form.side.trim());
    if side.is_none() {
        check.add(
            "side",
            format!(
                "say which side of the {} was harvested: left, right{}",
                harvest.from.to_lowercase(),
                if harvest.both_sides { " or both" } else { "" }
            ),
        );
    }
    let aspirated = required_volume(&mut check, "aspirated_ml", &form.aspirated_ml);
    let concentrate = required_volume(&mut check, "concentrate_ml", &form.concentrate_ml);
    check.required_text("processing", &form.processing, MAX_SHORT_TEXT);
    let cells = match form.cells_per_ml.trim() {
        "" => None,
        text => match text.replace([',', '_', ' '], "").parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                check.add(
                    "cells_per_ml",
                    format!("“{text}” is not a whole number of cells per mL, e.g. 20000000"),
                );
                None
            }
        },
    };
    let use_by = match form.use_by.trim() {
        "" => {
            check.add(
                "use_by",
                "is empty; give the last day the concentrate may be given (YYYY-MM-DD)",
            );
            None
        }
        text => match parse_date(text) {
            Ok(date) if date < today => {
                check.add(
                    "use_by",
                    format!("{date} has passed; the concentrate is harvested today"),
                );
                None
            }
            Ok(date) => Some(date),
            Err(message) => {
                check.add("use_by", message);
                None
            }
        },
    };
    for (field, problem) in harvest_problems(&harvest, side, aspirated, concentrate) {
        check.add(field, problem);
    }
    check.finish()?;
    let (Some(product_id), Some(side), Some(aspirated), Some(concentrate), Some(use_by)) =
        (product_id, side, aspirated, concentrate, use_by)
    else {
        return Err(ClinicError::Invalid(Default::default()));
    };
    let product = tx
        .lot_product(product_id)
        .await
        .map_err(|error| match error {
            myotome_store::StoreError::NotFound { .. } => {
                ClinicError::field("product_id", "is not a product on file")
            }
            other => other.into(),
        })?;
    if product.details.kind != harvest.product_kind {
        return Err(ClinicError::field(
            "product_id",
            format!(
                "{} is not a product of the kind this harvest makes ({})",
                product.details.name, harvest.product_kind
            ),
        ));
    }

    // The lot is the clinic's own: numbered after the visit, so the label, the ledger and the
    // note name it the same way.
    let number = format!("H{}-V{}", ctx.visit.details.date.strftime("%Y%m%d"), id.0);
    let lot = tx
        .receive_lot(&LotDetails {
            product_id,
            lot_number: number.clone(),
            distinct_code: format!("harvest-visit-{}", id.0),
            serial: None,
            donor_id: None,
            expiry: use_by,
            cells_per_ml: cells,
            viability_percent: None,
            patient_id: Some(ctx.visit.patient_id),
            receipt_temperature_c: None,
            package: PackageCondition::Intact,
        })
        .await?;
    tx.add_lot_event(
        &lot,
        &NewLotEvent {
            kind: LotEventKind::Received,
            quantity: Some(1),
            location: None,
            reason: Some(format!(
                "Harvested from the patient at visit {id} ({}, {})",
                harvest.from.to_lowercase(),
                side.as_str()
            )),
            appointment_id: None,
        },
    )
    .await?;
    let recorded = NoteHarvestDocument {
        from: harvest.from.clone(),
        side: side.as_str().to_owned(),
        aspirated_ml: aspirated.millilitres(),
        processing: form.processing.trim().to_owned(),
        concentrate_ml: concentrate.millilitres(),
        cells_per_ml: cells,
        lot_id: lot.id.0,
        lot_number: number.clone(),
        recorded_at: clinic.clock.now(),
    };
    let given = NoteLotDocument {
        lot_id: lot.id.0,
        lot_number: number,
        product: product.details.name.clone(),
        expiry: use_by,
        units: 1,
    };
    let document = with_harvest(&ctx, recorded, given);
    tx.save_procedure_note(&ctx.visit, &document, ctx.note.as_ref().map(|n| n.version))
        .await?;
    tx.commit().await?;
    crate::procedure_notes::get(clinic, caller, id)
        .await?
        .ok_or_else(|| ClinicError::NotFound(format!("Visit {id} has no procedure note.")))
}

/// The visit's note with the harvest added: the draft as it stands (or a new one), the
/// concentrate's lot set as the lot given unless one is chosen already.
fn with_harvest(
    ctx: &Context,
    harvest: NoteHarvestDocument,
    lot: NoteLotDocument,
) -> ProcedureNoteDocument {
    let mut document = match &ctx.note {
        Some(note) => note.document.clone(),
        None => ProcedureNoteDocument {
            schema: DOCUMENT_SCHEMA,
            protocol: ProtocolRef {
                id: ctx.protocol.id.to_string(),
                version: ctx.protocol.version.to_string(),
            },
            lot: None,
            product_volume_ml: None,
            saline_volume_ml: None,
            cells_given: None,
            // As a save stores it: parsed into whole microlitres.
            planned_volume_ml: ctx
                .plan
                .details
                .dose
                .as_ref()
                .and_then(|d| Volume::from_millilitres(d.product_volume_ml).ok())
                .map(Volume::millilitres),
            deviation: None,
            sites: Vec::new(),
            needle_gauge: None,
            needle_length_mm: None,
            technique: String::new(),
            response: String::new(),
            complications: String::new(),
            harvest: None,
        },
    };
    if document.lot.is_none() {
        document.lot = Some(lot);
    }
    document.harvest = Some(harvest);
    document
}

fn required_volume(check: &mut Check, field: &str, text: &str) -> Option<Volume> {
    if text.trim().is_empty() {
        check.add(field, "is empty; give the volume in millilitres, e.g. 60");
        return None;
    }
    volume_of(check, field, text)
}
