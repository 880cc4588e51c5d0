//! [`SqlTransaction`]: one use case's reads and writes in one database transaction, committed
//! with their audit rows (see [`crate::Transaction`]).
//!
//! The transaction takes the write lock when it begins — `BEGIN IMMEDIATE` on SQLite, the
//! audit chain head's row lock on PostgreSQL (the same lock every audited write takes to
//! append) — so what it reads cannot change under it before it commits: a check made inside
//! it holds for the write it guards, and two concurrent use cases run one after the other.
//! Every write queues its audit event; `commit` appends them all, in order, then commits. A
//! transaction dropped without `commit` rolls back, its audit rows with it.

use super::audit::{self, Reservation};
use super::error::DbResult;
use super::{
    adverse_events, billing, clinical, conversions, lots, measurements, merge, notes, outbox,
    outcomes, patients, plans, safety, visits,
};
use crate::{
    Actor, Appointment, AppointmentDetails, AppointmentId, AuditAction, Backend, CalendarQuery,
    ChartStanding, Clearance, NewClearance, NewScreening, Patient, PatientDetails, PatientId,
    PatientMerge, PlanDetails, PlanId, PlanStatus, Result, ScreeningChart, ScreeningId,
    StoredScreening, Transaction, TreatmentPlan,
};
use async_trait::async_trait;
use sqlx::{Any, AnyPool};

pub(crate) struct SqlTransaction {
    tx: sqlx::Transaction<'static, Any>,
    actor: Actor,
    /// Taken at begin on PostgreSQL: the lock that serialises this transaction.
    reservation: Option<Reservation>,
    actions: Vec<AuditAction>,
}

impl SqlTransaction {
    pub(crate) async fn begin(pool: &AnyPool, backend: Backend, actor: &Actor) -> Result<Self> {
        let (tx, reservation) = match backend {
            Backend::Sqlite => (pool.begin_with("BEGIN IMMEDIATE").await.db()?, None),
            Backend::Postgres => {
                let mut tx = pool.begin().await.db()?;
                let reservation = audit::reserve(&mut tx).await?;
                (tx, Some(reservation))
            }
        };
        Ok(Self {
            tx,
            actor: actor.clone(),
            reservation,
            actions: Vec::new(),
        })
    }
}

#[async_trait]
impl Transaction for SqlTransaction {
    async fn patient(&mut self, id: PatientId) -> Result<Patient> {
        patients::get_patient(&mut self.tx, id).await
    }

    async fn screening_chart(&mut self, patient: PatientId) -> Result<ScreeningChart> {
        patients::require(&mut self.tx, patient).await?;
        Ok(ScreeningChart {
            weights: patients::weights_of(&mut self.tx, patient).await?,
            records: clinical::records_of(&mut self.tx, patient, None).await?,
            intakes: clinical::intakes_of(&mut self.tx, patient).await?,
            measurements: measurements::list(&mut self.tx, patient).await?,
        })
    }

    async fn add_screening(
        &mut self,
        patient: PatientId,
        screening: &NewScreening,
    ) -> Result<StoredScreening> {
        let stored =
            clinical::add_screening(&mut self.tx, patient, screening, self.actor.user_id).await?;
        self.actions
            .push(super::screening_created(patient, &stored));
        Ok(stored)
    }

    async fn screening(&mut self, id: ScreeningId) -> Result<StoredScreening> {
        clinical::screening(&mut self.tx, id).await
    }

    async fn chart_standing(&mut self, patient: PatientId) -> Result<ChartStanding> {
        safety::standing(&mut self.tx, patient).await
    }

    async fn add_product(&mut self, details: &crate::ProductDetails) -> Result<crate::Product> {
        let product = lots::add_product(&mut self.tx, details, self.actor.user_id).await?;
        self.actions.push(
            AuditAction::general("product.create").with_target(format!("product/{}", product.id)),
        );
        Ok(product)
    }

    async fn lot_product(&mut self, id: crate::ProductId) -> Result<crate::Product> {
        lots::product(&mut self.tx, id).await
    }

    async fn receive_lot(&mut self, details: &crate::LotDetails) -> Result<crate::Lot> {
        let lot = lots::receive(&mut self.tx, details, self.actor.user_id).await?;
        self.actions.push(lot_action("lot.receive", &lot));
        Ok(lot)
    }

    async fn lot_ledger(&mut self, id: crate::LotId) -> Result<crate::LotLedger> {
        lots::ledger(&mut self.tx, id).await
    }

    async fn lot_ledgers_named(&mut self, name: &str) -> Result<Vec<crate::LotLedger>> {
        lots::ledgers_named(&mut self.tx, name).await
    }

    async fn add_lot_event(
        &mut self,
        lot: &crate::Lot,
        event: &crate::NewLotEvent,
    ) -> Result<crate::LotEvent> {
        let recorded = lots::add_event(&mut self.tx, lot.id, event, self.actor.user_id).await?;
        self.actions
            .push(lot_action(&format!("lot.{}", event.kind.as_str()), lot));
        Ok(recorded)
    }

    async fn add_outcome_requests(
        &mut self,
        patient: PatientId,
        requests: &[crate::NewOutcomeRequest],
    ) -> Result<u64> {
        let added = outcomes::add_requests(&mut self.tx, requests).await?;
        if added > 0 {
            self.actions
                .push(AuditAction::on_patient("outcomes.schedule", patient));
        }
        Ok(added)
    }

    async fn outcome_request(
        &mut self,
        id: crate::OutcomeRequestId,
    ) -> Result<crate::OutcomeRequest> {
        outcomes::request(&mut self.tx, id).await
    }

    async fn issue_outcome_link(
        &mut self,
        request: &crate::OutcomeRequest,
        token_hash: &str,
        expires_at: jiff::Timestamp,
    ) -> Result<()> {
        outbox::supersede(&mut self.tx, request.id, "a newer link was sent").await?;
        outcomes::issue_link(
            &mut self.tx,
            request.id,
            token_hash,
            expires_at,
            self.actor.user_id,
        )
        .await?;
        self.actions.push(
            AuditAction::on_patient("outcomes.link", request.patient_id)
                .with_target(format!("outcome_request/{}", request.id)),
        );
        Ok(())
    }

    async fn outcome_link_target(&mut self, token_hash: &str) -> Result<Option<crate::LinkTarget>> {
        let target = outcomes::link_target(&mut self.tx, token_hash).await?;
        if let Some(target) = &target {
            self.actions.push(
                AuditAction::on_patient("outcomes.link_opened", target.request.patient_id)
                    .with_target(format!("outcome_request/{}", target.request.id)),
            );
        }
        Ok(target)
    }

    async fn add_outcome_response(
        &mut self,
        request: &crate::OutcomeRequest,
        response: &crate::NewResponse,
    ) -> Result<()> {
        outcomes::add_response(&mut self.tx, request.id, response, self.actor.user_id).await?;
        outbox::supersede(&mut self.tx, request.id, "the questionnaire was answered").await?;
        self.actions.push(
            AuditAction::on_patient("outcomes.answer", request.patient_id)
                .with_target(format!("outcome_request/{}", request.id)),
        );
        Ok(())
    }

    async fn add_surgical_conversion(
        &mut self,
        plan: &TreatmentPlan,
        conversion: &crate::NewConversion,
    ) -> Result<crate::SurgicalConversion> {
        let recorded = conversions::add(
            &mut self.tx,
            plan.id,
            plan.patient_id,
            conversion,
            self.actor.user_id,
        )
        .await?;
        self.actions.push(
            AuditAction::on_patient("outcomes.surgery", plan.patient_id)
                .with_target(format!("plan/{}", plan.id)),
        );
        Ok(recorded)
    }

    async fn surgical_conversion(
        &mut self,
        id: crate::ConversionId,
    ) -> Result<crate::SurgicalConversion> {
        conversions::get_one(&mut self.tx, id).await
    }

    async fn withdraw_surgical_conversion(
        &mut self,
        conversion: &crate::SurgicalConversion,
        reason: &str,
        at: jiff::Timestamp,
    ) -> Result<()> {
        conversions::withdraw(&mut self.tx, conversion.id, reason, at, self.actor.user_id).await?;
        self.actions.push(
            AuditAction::on_patient("outcomes.surgery_withdrawn", conversion.patient_id)
                .with_target(format!("plan/{}", conversion.plan_id)),
        );
        Ok(())
    }

    async fn add_adverse_event(
        &mut self,
        patient: crate::PatientId,
        via: crate::ReportedVia,
        details: &crate::AdverseEventDetails,
        at: jiff::Timestamp,
    ) -> Result<crate::AdverseEvent> {
        let event =
            adverse_events::add(&mut self.tx, patient, via, details, at, self.actor.user_id)
                .await?;
        self.actions.push(
            AuditAction::on_patient("adverse_event.record", patient)
                .with_target(format!("adverse-event/{}", event.id)),
        );
        Ok(event)
    }

    async fn adverse_event(&mut self, id: crate::AdverseEventId) -> Result<crate::AdverseEvent> {
        adverse_events::get_one(&mut self.tx, id).await
    }

    async fn update_adverse_event(
        &mut self,
        event: &crate::AdverseEvent,
        details: &crate::AdverseEventDetails,
        at: jiff::Timestamp,
    ) -> Result<crate::AdverseEvent> {
        let updated =
            adverse_events::update(&mut self.tx, event, details, at, self.actor.user_id).await?;
        self.actions.push(
            AuditAction::on_patient("adverse_event.update", event.patient_id)
                .with_target(format!("adverse-event/{}", event.id)),
        );
        Ok(updated)
    }

    async fn mark_adverse_event_in_error(
        &mut self,
        event: &crate::AdverseEvent,
        reason: &str,
        at: jiff::Timestamp,
    ) -> Result<()> {
        adverse_events::mark_in_error(&mut self.tx, event, reason, at, self.actor.user_id).await?;
        self.actions.push(
            AuditAction::on_patient("adverse_event.in_error", event.patient_id)
                .with_target(format!("adverse-event/{}", event.id)),
        );
        Ok(())
    }

    async fn add_patient_report(
        &mut self,
        request: &crate::OutcomeRequest,
        text: &str,
        at: jiff::Timestamp,
    ) -> Result<crate::PatientReportId> {
        let id = adverse_events::add_report(&mut self.tx, request.id, request.patient_id, text, at)
            .await?;
        self.actions.push(
            AuditAction::on_patient("adverse_event.reported", request.patient_id)
                .with_target(format!("patient-report/{id}")),
        );
        Ok(id)
    }

    async fn patient_report(&mut self, id: crate::PatientReportId) -> Result<crate::PatientReport> {
        adverse_events::report(&mut self.tx, id).await
    }

    async fn triage_patient_report(
        &mut self,
        report: &crate::PatientReport,
        event: Option<crate::AdverseEventId>,
        note: Option<&str>,
        at: jiff::Timestamp,
    ) -> Result<()> {
        adverse_events::triage(&mut self.tx, report.id, event, note, at, self.actor.user_id)
            .await?;
        self.actions.push(
            AuditAction::on_patient("adverse_event.triaged", report.patient_id)
                .with_target(format!("patient-report/{}", report.id)),
        );
        Ok(())
    }

    async fn set_fee(&mut self, code: &str, cents: Option<i64>, at: jiff::Timestamp) -> Result<()> {
        billing::set_fee(&mut self.tx, code, cents, at, self.actor.user_id).await?;
        self.actions
            .push(AuditAction::general("billing.fee").with_target(format!("code/{code}")));
        Ok(())
    }

    async fn replace_ptp_edits(
        &mut self,
        file_name: &str,
        edits: &[crate::ImportedEdit],
        at: jiff::Timestamp,
    ) -> Result<()> {
        billing::replace_edits(&mut self.tx, file_name, edits, at).await?;
        self.actions.push(
            AuditAction::general("billing.ptp_import")
                .with_target(format!("edits/{}", edits.len())),
        );
        Ok(())
    }

    async fn save_visit_coding(
        &mut self,
        visit: &Appointment,
        expected: i64,
        document: &crate::VisitCodingDocument,
        at: jiff::Timestamp,
    ) -> Result<()> {
        billing::save_visit_coding(
            &mut self.tx,
            visit.id,
            expected,
            document,
            at,
            self.actor.user_id,
        )
        .await?;
        self.actions.push(
            AuditAction::on_patient("billing.coding", visit.patient_id)
                .with_target(format!("appointment/{}", visit.id)),
        );
        Ok(())
    }

    async fn enqueue_mail(&mut self, mail: &crate::NewMail) -> Result<crate::MailId> {
        let id = outbox::enqueue(&mut self.tx, mail, self.actor.user_id).await?;
        self.actions.push(
            AuditAction::on_patient("outbox.queue", mail.patient_id)
                .with_target(format!("outbox/{id}")),
        );
        Ok(id)
    }

    async fn record_delivery(
        &mut self,
        mail: &crate::Mail,
        delivery: &crate::Delivery,
        lease: jiff::Timestamp,
    ) -> Result<bool> {
        if !outbox::record(&mut self.tx, mail.id, delivery, lease).await? {
            return Ok(false);
        }
        let kind = match delivery {
            crate::Delivery::Sent { .. } => "outbox.sent",
            crate::Delivery::Retry { .. } => "outbox.retry",
            crate::Delivery::GaveUp { .. } => "outbox.failed",
        };
        self.actions.push(
            AuditAction::on_patient(kind, mail.patient_id)
                .with_target(format!("outbox/{}", mail.id)),
        );
        Ok(true)
    }

    async fn visit_steps(&mut self, visit: AppointmentId) -> Result<Vec<crate::VisitStep>> {
        visits::of(&mut self.tx, &[visit]).await
    }

    async fn add_visit_step(
        &mut self,
        visit: &Appointment,
        step: &crate::NewVisitStep,
    ) -> Result<crate::VisitStep> {
        let recorded = visits::add(&mut self.tx, visit.id, step, self.actor.user_id).await?;
        self.actions.push(
            AuditAction::on_patient(&format!("visit.{}", step.kind.as_str()), visit.patient_id)
                .with_target(format!("appointment/{}", visit.id)),
        );
        Ok(recorded)
    }

    async fn procedure_note(
        &mut self,
        visit: AppointmentId,
    ) -> Result<Option<crate::ProcedureNote>> {
        notes::of(&mut self.tx, visit).await
    }

    async fn save_procedure_note(
        &mut self,
        visit: &Appointment,
        document: &crate::ProcedureNoteDocument,
        expected: Option<i64>,
    ) -> Result<()> {
        notes::save(
            &mut self.tx,
            visit.id,
            visit.patient_id,
            document,
            expected,
            self.actor.user_id,
        )
        .await?;
        self.actions.push(note_action("note.save", visit));
        Ok(())
    }

    async fn sign_procedure_note(
        &mut self,
        visit: &Appointment,
        expected: i64,
        at: jiff::Timestamp,
    ) -> Result<()> {
        let hash = notes::sign(&mut self.tx, visit.id, expected, self.actor.user_id, at).await?;
        // The signature goes into the hash-chained audit row too: rewriting the note and
        // recomputing its hash would still disagree with the chain.
        self.actions.push(
            AuditAction::on_patient("note.sign", visit.patient_id)
                .with_target(format!("appointment/{} signature/{hash}", visit.id)),
        );
        Ok(())
    }

    async fn add_note_addendum(
        &mut self,
        visit: &Appointment,
        note: i64,
        text: &str,
        at: jiff::Timestamp,
    ) -> Result<()> {
        notes::add_addendum(&mut self.tx, note, text, self.actor.user_id, at).await?;
        self.actions.push(note_action("note.addendum", visit));
        Ok(())
    }

    async fn mark_note_entered_in_error(
        &mut self,
        visit: &Appointment,
        note: i64,
        reason: &str,
        at: jiff::Timestamp,
    ) -> Result<()> {
        notes::mark_entered_in_error(&mut self.tx, note, reason, self.actor.user_id, at).await?;
        self.actions
            .push(note_action("note.entered_in_error", visit));
        Ok(())
    }

    async fn add_storage_readings(
        &mut self,
        readings: &[crate::NewReading],
    ) -> Result<Vec<crate::StorageReading>> {
        let stored = lots::add_readings(&mut self.tx, readings, self.actor.user_id).await?;
        let mut places: Vec<&str> = readings.iter().map(|r| r.location.as_str()).collect();
        places.sort_unstable();
        places.dedup();
        for place in places {
            self.actions.push(
                AuditAction::general("storage.reading").with_target(format!("storage/{place}")),
            );
        }
        Ok(stored)
    }

    async fn add_intake(
        &mut self,
        patient: PatientId,
        intake: &crate::NewIntake,
    ) -> Result<crate::IntakeForm> {
        let form = clinical::add_intake(&mut self.tx, patient, intake, self.actor.user_id).await?;
        self.actions.push(super::intake_created(patient, &form));
        Ok(form)
    }

    async fn lot_recipients(&mut self, lot: crate::LotId) -> Result<Vec<crate::LotRecipient>> {
        lots::recipients(&mut self.tx, lot).await
    }

    async fn add_recall_notice(
        &mut self,
        lot: crate::LotId,
        patient: PatientId,
        method: crate::NoticeMethod,
        note: Option<&str>,
    ) -> Result<crate::RecallNotice> {
        let notice =
            lots::add_notice(&mut self.tx, lot, patient, method, note, self.actor.user_id).await?;
        self.actions
            .push(AuditAction::on_patient("lot.notify", patient).with_target(format!("lot/{lot}")));
        Ok(notice)
    }

    async fn clinic_settings_version(&mut self, version: i64) -> Result<crate::StoredSettings> {
        super::settings::version(&mut self.tx, version).await
    }

    async fn add_clearance(
        &mut self,
        patient: PatientId,
        clearance: &NewClearance,
    ) -> Result<Clearance> {
        let recorded =
            safety::add_clearance(&mut self.tx, patient, clearance, self.actor.user_id).await?;
        self.actions.push(super::clearance_recorded(&recorded));
        Ok(recorded)
    }

    async fn possible_duplicates(
        &mut self,
        details: &PatientDetails,
        except: Option<PatientId>,
    ) -> Result<Vec<Patient>> {
        merge::possible_duplicates(&mut self.tx, details, except).await
    }

    async fn create_patient(&mut self, details: &PatientDetails) -> Result<Patient> {
        let patient = patients::create(&mut self.tx, details).await?;
        self.actions.push(super::patient_created(patient.id));
        Ok(patient)
    }

    async fn merge_patients(
        &mut self,
        kept: PatientId,
        merged: PatientId,
        reason: &str,
    ) -> Result<PatientMerge> {
        let merge = merge::merge(&mut self.tx, kept, merged, reason, self.actor.user_id).await?;
        for patient in [kept, merged] {
            self.actions.push(
                AuditAction::on_patient("patient.merge", patient)
                    .with_target(format!("patient/{merged} into patient/{kept}")),
            );
        }
        Ok(merge)
    }

    async fn create_plan(
        &mut self,
        patient: PatientId,
        plan: &PlanDetails,
        appointments: &[AppointmentDetails],
    ) -> Result<(TreatmentPlan, Vec<Appointment>)> {
        let made = plans::create_plan(
            &mut self.tx,
            patient,
            plan,
            appointments,
            self.actor.user_id,
        )
        .await?;
        self.actions.push(super::plan_created(&made.0));
        Ok(made)
    }

    async fn set_plan_status(
        &mut self,
        id: PlanId,
        expected_version: i64,
        status: PlanStatus,
    ) -> Result<TreatmentPlan> {
        let plan = plans::set_plan_status(&mut self.tx, id, expected_version, status).await?;
        self.actions.push(super::plan_status_changed(&plan));
        Ok(plan)
    }

    async fn calendar(&mut self, query: &CalendarQuery) -> Result<Vec<Appointment>> {
        plans::calendar(&mut self.tx, query).await
    }

    async fn plan_with_appointments(
        &mut self,
        plan: PlanId,
    ) -> Result<(TreatmentPlan, Vec<Appointment>)> {
        let found = plans::plan(&mut self.tx, plan).await?;
        let appointments = plans::plan_appointments(&mut self.tx, plan).await?;
        Ok((found, appointments))
    }

    async fn appointment(&mut self, id: AppointmentId) -> Result<Appointment> {
        plans::appointment(&mut self.tx, id).await
    }

    async fn book_appointment(
        &mut self,
        patient: PatientId,
        details: &AppointmentDetails,
    ) -> Result<Appointment> {
        let appointment = plans::book(&mut self.tx, patient, details).await?;
        self.actions.push(super::appointment_booked(&appointment));
        Ok(appointment)
    }

    async fn update_appointment(
        &mut self,
        id: AppointmentId,
        expected_version: i64,
        details: &AppointmentDetails,
    ) -> Result<Appointment> {
        let appointment =
            plans::update_appointment(&mut self.tx, id, expected_version, details).await?;
        self.actions.push(super::appointment_updated(&appointment));
        Ok(appointment)
    }

    fn record_audit(&mut self, action: AuditAction) {
        self.actions.push(action);
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let SqlTransaction {
            mut tx,
            actor,
            reservation,
            actions,
        } = *self;
        // Without an event nothing commits: `append_all` refuses, and dropping `tx` rolls back.
        audit::append_all(&mut tx, reservation, &actor, &actions).await?;
        tx.commit().await.db()
    }
}

/// A procedure note's audit action, on the patient's chart, naming the visit.
fn note_action(action: &str, visit: &Appointment) -> AuditAction {
    AuditAction::on_patient(action, visit.patient_id)
        .with_target(format!("appointment/{}", visit.id))
}

/// A lot's audit action: on the patient's chart for autologous material, else the clinic's.
fn lot_action(action: &str, lot: &crate::Lot) -> AuditAction {
    let base = match lot.details.patient_id {
        Some(patient) => AuditAction::on_patient(action, patient),
        None => AuditAction::general(action),
    };
    base.with_target(format!("lot/{}", lot.id))
}
