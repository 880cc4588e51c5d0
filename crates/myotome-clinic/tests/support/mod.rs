//! What the use-case tests start from: the clinic over a test store with the built-in data and
//! a stopped clock, and callers for stored users.

use jiff::civil::Date;
use myotome_clinic::{Caller, Clinic, FixedClock};
use myotome_core::ClinicalData;
use myotome_store::{Actor, User};
use myotome_testing::Ctx;
use std::sync::Arc;

/// The clinic on `ctx`'s store, with the built-in protocols, its clock stopped on `today`.
pub fn clinic(ctx: &Ctx, today: Date) -> Clinic {
    let data = Arc::new(ClinicalData::builtin().expect("the built-in data loads"));
    Clinic::new(ctx.store.clone(), data, Arc::new(FixedClock::on(today)))
}

/// `user` calling the use cases.
pub fn caller_of(user: &User) -> Caller {
    Caller {
        user: Some(user.id),
        role: user.role,
        actor: Actor {
            user_id: Some(user.id),
            name: user.username.clone(),
            from: "test".to_owned(),
        },
    }
}

/// Screens `patient` for `protocol` as `clinician` and signs the result: what a plan of that
/// protocol rests on. A screening left incomplete (nobody asked about a contraindication) is
/// completed first the way a clinician does: the patient answers "no" to each question, and
/// the screening made with the answers is the one signed.
#[allow(dead_code)] // not every test binary plans
pub async fn screened_and_signed(
    clinic: &Clinic,
    clinician: &Caller,
    patient: myotome_store::PatientId,
    protocol: &str,
) -> myotome_store::StoredScreening {
    let run = myotome_clinic::screening::ScreeningRun {
        protocols: Some(vec![protocol.to_owned()]),
        as_of: None,
    };
    let mut stored = myotome_clinic::screening::screen(clinic, clinician, patient, &run)
        .await
        .expect("the screening runs");
    let mut screening = stored.pop().expect("one screening per protocol");
    if myotome_clinic::screening::is_incomplete(&screening.result) {
        let answers = myotome_clinic::screening::unasked_questions(
            &clinic.data.terminology,
            &screening.result,
        )
        .into_iter()
        .map(|q| (q.id.clone(), false))
        .collect();
        screening =
            myotome_clinic::screening::record_answers(clinic, clinician, screening.id, &answers)
                .await
                .expect("the answers are recorded");
    }
    myotome_clinic::screening::sign(clinic, clinician, screening.id)
        .await
        .expect("the clinician signs")
}

/// The same clinic with its clock stopped on another day.
#[allow(dead_code)] // not every test binary needs it
pub fn clinic_on(clinic: &Clinic, today: Date) -> Clinic {
    Clinic::new(
        clinic.store.clone(),
        clinic.data.clone(),
        Arc::new(FixedClock::on(today)),
    )
}

/// The patient's (first) plan session marked held on its day, as the front desk marks it;
/// its visit.
#[allow(dead_code)] // not every test binary holds sessions
pub async fn session_held(
    clinic: &Clinic,
    caller: &Caller,
    patient: myotome_store::PatientId,
) -> myotome_store::AppointmentId {
    let visits = myotome_clinic::booking::list(clinic, caller, patient)
        .await
        .expect("the visits read");
    let session = visits
        .iter()
        .find(|v| v.details.kind == myotome_store::AppointmentKind::Session)
        .expect("a session");
    myotome_clinic::booking::change(
        clinic,
        caller,
        session.id,
        myotome_clinic::booking::AppointmentChange {
            version: session.version,
            date: session.details.date,
            status: myotome_store::AppointmentStatus::Completed,
            start_time: None,
            duration_minutes: None,
            clinician: None,
            label: None,
            accept_violations: false,
            shift_later: false,
        },
    )
    .await
    .expect("the session is marked held");
    session.id
}
