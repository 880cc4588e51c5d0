//! Patients, records, candidate forms, users and tokens through the use cases, every test on
//! SQLite and on PostgreSQL: each use case checks the matrix itself, names every wrong field
//! by its path at once, takes today from the clinic's clock, and writes as the caller.

use jiff::civil::date;
use myotome_clinic::access::{self, HashInPlace, NewTokenForm, NewUserForm, UserChange};
use myotome_clinic::intake::{self, IntakeAnswersForm};
use myotome_clinic::patients::{self, Deceased, PatientForm, SearchForm, WeightForm};
use myotome_clinic::permissions::Permission;
use myotome_clinic::records::{self, CodingForm, RecordForm};
use myotome_clinic::{Caller, Clinic, ClinicError};
use myotome_store::{Contact, Identifier, IntakeChannel, RecordKind, RecordSource, Role, UserId};
use myotome_testing::{Ctx, store_tests, user};
use support::caller_of;

mod support;

store_tests! {
    Memory => [
        patients_are_added_checked_and_found_by_whoever_may,
        a_weight_without_a_date_is_measured_today_by_the_clinic_clock,
        records_and_candidate_forms_are_entered_by_the_caller,
        users_and_tokens_are_the_admins_and_an_admin_keeps_their_role,
    ],
}

struct Setup {
    clinic: Clinic,
    admin: Caller,
    clinician: Caller,
    staff: Caller,
}

async fn setup(ctx: &Ctx) -> Setup {
    let clinic = support::clinic(ctx, date(2027, 1, 15));
    let store = ctx.store.as_ref();
    Setup {
        clinic,
        admin: caller_of(&user(store, "root", Role::Admin).await),
        clinician: caller_of(&user(store, "dr.okafor", Role::Clinician).await),
        staff: caller_of(&user(store, "nurse.kim", Role::Staff).await),
    }
}

fn fields(error: ClinicError) -> Vec<String> {
    match error {
        ClinicError::Invalid(fields) => fields.into_keys().collect(),
        other => panic!("expected invalid fields, got {other:?}"),
    }
}

fn ada() -> PatientForm {
    PatientForm {
        family_name: "Lovelace".to_owned(),
        given_names: "Ada".to_owned(),
        birth_date: Some("1985-12-10".to_owned()),
        sex: Some("female".to_owned()),
        identifiers: vec![Identifier {
            system: "MRN".to_owned(),
            value: "MRN-0001".to_owned(),
        }],
        ..PatientForm::default()
    }
}

async fn patients_are_added_checked_and_found_by_whoever_may(ctx: Ctx) {
    let s = setup(&ctx).await;
    let refused = patients::add(&s.clinic, &s.admin, &ada()).await;
    assert!(
        matches!(
            refused,
            Err(ClinicError::Forbidden {
                permission: Permission::PatientWrite,
                ..
            })
        ),
        "{refused:?}"
    );

    let wrong = PatientForm {
        family_name: " ".to_owned(),
        birth_date: Some("2027-01-16".to_owned()),
        deceased: Some(Deceased::Date("1-1-2000".to_owned())),
        identifiers: vec![Identifier {
            system: "MRN".to_owned(),
            value: String::new(),
        }],
        contact: Contact {
            email: Some("ada.example.org".to_owned()),
            ..Contact::default()
        },
        ..ada()
    };
    let error = patients::add(&s.clinic, &s.staff, &wrong)
        .await
        .expect_err("every field is refused at once");
    assert_eq!(
        fields(error),
        [
            "birth_date",
            "contact.email",
            "deceased",
            "family_name",
            "identifiers[0].value"
        ]
    );

    let added = patients::add(&s.clinic, &s.staff, &ada())
        .await
        .expect("staff add patients");
    let changed = patients::update(
        &s.clinic,
        &s.clinician,
        added.id,
        added.version,
        &PatientForm {
            deceased: Some(Deceased::Flag(true)),
            ..ada()
        },
    )
    .await
    .expect("the change is saved");
    assert_eq!(changed.details.deceased, Some(None));
    let stale = patients::update(&s.clinic, &s.clinician, added.id, added.version, &ada()).await;
    assert!(matches!(stale, Err(ClinicError::Stale(_))), "{stale:?}");

    let found = patients::search(
        &s.clinic,
        &s.clinician,
        SearchForm {
            identifier: Some("MRN-0001".to_owned()),
            name: Some("  ".to_owned()),
            ..SearchForm::default()
        },
    )
    .await
    .expect("the search runs");
    assert_eq!(found.list.total, 1);
    assert_eq!((found.page.number, found.page.size), (1, 50));
    let paging = patients::search(
        &s.clinic,
        &s.clinician,
        SearchForm {
            page: Some(0),
            per_page: Some(201),
            ..SearchForm::default()
        },
    )
    .await
    .expect_err("no page 0, at most 200 a page");
    assert_eq!(fields(paging), ["page", "per_page"]);
    let read = patients::get(&s.clinic, &s.admin, added.id).await;
    assert!(
        matches!(read, Err(ClinicError::Forbidden { .. })),
        "{read:?}"
    );
}

async fn a_weight_without_a_date_is_measured_today_by_the_clinic_clock(ctx: Ctx) {
    let s = setup(&ctx).await;
    let patient = patients::add(&s.clinic, &s.staff, &ada())
        .await
        .expect("added")
        .id;
    let entry = patients::add_weight(
        &s.clinic,
        &s.staff,
        patient,
        &WeightForm {
            kg: 71.5,
            measured_on: None,
        },
    )
    .await
    .expect("recorded");
    assert_eq!(entry.measured_on, date(2027, 1, 15));
    assert_eq!(entry.grams, 71_500);
    let error = patients::add_weight(
        &s.clinic,
        &s.staff,
        patient,
        &WeightForm {
            kg: 0.0,
            measured_on: Some("2027-01-16".to_owned()),
        },
    )
    .await
    .expect_err("neither a weight nor a past date");
    assert_eq!(fields(error), ["kg", "measured_on"]);
    let weights = patients::weights(&s.clinic, &s.clinician, patient)
        .await
        .expect("read");
    assert_eq!(weights.len(), 1);
}

async fn records_and_candidate_forms_are_entered_by_the_caller(ctx: Ctx) {
    let s = setup(&ctx).await;
    let patient = patients::add(&s.clinic, &s.staff, &ada())
        .await
        .expect("added")
        .id;
    let form = RecordForm {
        kind: "medication".to_owned(),
        codes: vec![CodingForm {
            system: "rxnorm".to_owned(),
            code: "1191".to_owned(),
            display: Some("Aspirin".to_owned()),
        }],
        status: "active".to_owned(),
        start: Some("2026-03-01".to_owned()),
        ..RecordForm::default()
    };
    let record = records::add(&s.clinic, &s.staff, patient, &form)
        .await
        .expect("staff record medications");
    assert_eq!(record.source, RecordSource::Entered { by: s.staff.user });
    assert_eq!(
        record.details.codings[0].system,
        "http://www.nlm.nih.gov/research/umls/rxnorm"
    );
    let wrong = RecordForm {
        kind: "allergies".to_owned(),
        codes: vec![CodingForm::default()],
        end: Some("2026-02-01".to_owned()),
        ..form.clone()
    };
    let error = records::update(&s.clinic, &s.staff, record.id, record.version, &wrong)
        .await
        .expect_err("refused");
    assert_eq!(
        fields(error),
        ["codes[0].code", "codes[0].system", "end", "kind"]
    );
    let listed = records::list(&s.clinic, &s.clinician, patient, Some("medication"))
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].details.kind, RecordKind::Medication);
    let unknown = records::list(&s.clinic, &s.clinician, patient, Some("drug")).await;
    assert_eq!(fields(unknown.expect_err("no such kind")), ["kind"]);
    let refused = records::add(&s.clinic, &s.admin, patient, &form).await;
    assert!(
        matches!(
            refused,
            Err(ClinicError::Forbidden {
                permission: Permission::ChartWrite,
                ..
            })
        ),
        "{refused:?}"
    );

    let question = s.clinic.data.terminology.intake_questions()[0].id.clone();
    let answers = IntakeAnswersForm {
        answers: [(question, true), ("no_such_question".to_owned(), false)].into(),
        reported_conditions: vec!["not_a_concept".to_owned()],
        regions: Vec::new(),
        note: None,
    };
    let error = intake::add(&s.clinic, &s.staff, patient, answers.clone())
        .await
        .expect_err("unknown question and condition");
    assert_eq!(
        fields(error),
        ["answers.no_such_question", "reported_conditions[0]"]
    );
    let mut answers = answers;
    answers.answers.remove("no_such_question");
    answers.reported_conditions.clear();
    let stored = intake::add(&s.clinic, &s.staff, patient, answers)
        .await
        .expect("recorded");
    assert_eq!(stored.channel, IntakeChannel::Staff);
    assert_eq!(stored.submitted_by, s.staff.user);
    let forms = intake::list(&s.clinic, &s.clinician, patient)
        .await
        .expect("listed");
    assert_eq!(forms.len(), 1);
}

async fn users_and_tokens_are_the_admins_and_an_admin_keeps_their_role(ctx: Ctx) {
    let s = setup(&ctx).await;
    let form = NewUserForm {
        username: "j smith".to_owned(),
        display_name: String::new(),
        role: "nurse".to_owned(),
        password: "short".to_owned(),
    };
    let refused = access::add_user(&s.clinic, &s.clinician, &HashInPlace, form.clone()).await;
    assert!(
        matches!(
            refused,
            Err(ClinicError::Forbidden {
                permission: Permission::UserAdmin,
                ..
            })
        ),
        "{refused:?}"
    );
    let error = access::add_user(&s.clinic, &s.admin, &HashInPlace, form.clone())
        .await
        .expect_err("the fields first");
    assert_eq!(fields(error), ["display_name", "role", "username"]);
    let fixed = NewUserForm {
        username: "jsmith".to_owned(),
        display_name: "Jo Smith".to_owned(),
        role: "staff".to_owned(),
        ..form
    };
    let error = access::add_user(&s.clinic, &s.admin, &HashInPlace, fixed.clone())
        .await
        .expect_err("then the password");
    assert_eq!(fields(error), ["password"]);
    let added = access::add_user(
        &s.clinic,
        &s.admin,
        &HashInPlace,
        NewUserForm {
            password: "correct horse battery staple".to_owned(),
            ..fixed.clone()
        },
    )
    .await
    .expect("added");
    assert_eq!(added.role, Role::Staff);
    let taken = access::add_user(
        &s.clinic,
        &s.admin,
        &HashInPlace,
        NewUserForm {
            password: "correct horse battery staple".to_owned(),
            ..fixed
        },
    )
    .await;
    assert!(matches!(taken, Err(ClinicError::Conflict(_))), "{taken:?}");

    let me = s.admin.user.expect("the admin is a person");
    let current = access::user(&s.clinic, &s.admin, me).await.expect("read");
    let locked_out = access::change_user(
        &s.clinic,
        &s.admin,
        me,
        &UserChange {
            display_name: current.display_name.clone(),
            role: "clinician".to_owned(),
            disabled: false,
            version: current.version,
        },
    )
    .await;
    assert!(
        matches!(locked_out, Err(ClinicError::Conflict(_))),
        "{locked_out:?}"
    );
    let error = access::change_password(&s.clinic, &s.admin, &HashInPlace, added.id, "x".into())
        .await
        .expect_err("too short");
    assert_eq!(fields(error), ["password"]);
    let error = access::change_own_password(&s.clinic, &s.staff, &HashInPlace, "x".into())
        .await
        .expect_err("too short");
    assert_eq!(fields(error), ["new_password"]);

    let error = access::new_token(
        &s.clinic,
        &s.admin,
        &NewTokenForm {
            user_id: UserId(9999),
            name: "EHR bridge".to_owned(),
        },
    )
    .await
    .expect_err("no such user");
    assert_eq!(fields(error), ["user_id"]);
    let (token, secret) = access::new_token(
        &s.clinic,
        &s.admin,
        &NewTokenForm {
            user_id: added.id,
            name: "EHR bridge".to_owned(),
        },
    )
    .await
    .expect("created");
    assert_eq!(secret.len(), 64);
    assert!(secret.starts_with(&token.prefix));
    let revoked = access::revoke_token(&s.clinic, &s.admin, token.id)
        .await
        .expect("revoked");
    assert!(revoked.revoked_at.is_some());
    let tokens = access::tokens(&s.clinic, &s.admin).await.expect("listed");
    assert_eq!(tokens.len(), 1);
    let refused = access::tokens(&s.clinic, &s.clinician).await;
    assert!(
        matches!(refused, Err(ClinicError::Forbidden { .. })),
        "{refused:?}"
    );
}
