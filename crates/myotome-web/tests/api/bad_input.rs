//! What the API does with input it cannot use: a clear 4xx JSON answer with a stable code and
//! a sentence, the field named, nothing stored half-way, sizes capped before they are used —
//! and hostile or unusual text stored and returned byte for byte, and searched literally.

use crate::both;
use crate::support::{TestApp, create_patient, patient_body, patient_count};
use reqwest::Method;
use serde_json::{Value, json};

const HOSTILE: [&str; 4] = [
    "Robert'); DROP TABLE patients;--",
    "<script>alert(1)</script>",
    "\"quotes\" and 'apostrophes' \\ backslash",
    "Ünïcødé 🙂 ąčę 日本語",
];

async fn malformed_json_wrong_types_and_missing_fields_are_refused_and_nothing_is_stored(
    app: TestApp,
) {
    let before = patient_count(&app).await;
    let doctor = &app.clinician;

    let reply = doctor
        .raw(
            Method::POST,
            "/api/v1/patients",
            "application/json",
            b"{\"family_name\": ".to_vec(),
        )
        .await;
    reply.assert_error(400, "malformed_request");

    let reply = doctor
        .post(
            "/api/v1/patients",
            json!({ "family_name": 5, "given_names": "A" }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.message().contains("family_name"),
        "{}",
        reply.message()
    );
    assert!(
        reply.body["error"]["fields"]["family_name"].is_string(),
        "{}",
        reply.body
    );

    let reply = doctor
        .post("/api/v1/patients", json!({ "given_names": "A" }))
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.message().contains("missing field `family_name`"),
        "{}",
        reply.message()
    );

    let reply = doctor
        .post(
            "/api/v1/patients",
            json!({ "family_name": "A", "birthdate": "1970-01-01" }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.message().contains("unknown field `birthdate`"),
        "{}",
        reply.message()
    );

    let reply = doctor
        .post("/api/v1/patients", json!(["not", "an", "object"]))
        .await;
    reply.assert_error(422, "invalid_input");

    let reply = doctor
        .raw(
            Method::POST,
            "/api/v1/patients",
            "text/plain",
            b"family_name=A".to_vec(),
        )
        .await;
    reply.assert_error(415, "unsupported_media_type");

    // One bad field among good ones: every problem named, nothing stored.
    let reply = doctor
        .post(
            "/api/v1/patients",
            json!({ "family_name": "   ", "given_names": "Line\nbreak", "birth_date": "2023-02-30",
                    "sex": "sometimes", "deceased": "yesterday",
                    "identifiers": [{ "system": "", "value": "123" }],
                    "contact": { "email": "no-at-sign" } }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    let fields = reply.body["error"]["fields"].as_object().expect("fields");
    for field in [
        "family_name",
        "given_names",
        "birth_date",
        "sex",
        "deceased",
        "identifiers[0].system",
        "contact.email",
    ] {
        assert!(fields.contains_key(field), "{field} is named: {fields:#?}");
    }
    assert!(
        fields["birth_date"]
            .as_str()
            .is_some_and(|m| m.contains("2023-02-30")),
        "{fields:#?}"
    );
    assert_eq!(patient_count(&app).await, before, "nothing stored");
}

both!(
    malformed_json_wrong_types_and_missing_fields_are_refused_and_nothing_is_stored,
    super::malformed_json_wrong_types_and_missing_fields_are_refused_and_nothing_is_stored
);

async fn an_oversized_body_gets_413_json(app: TestApp) {
    let before = patient_count(&app).await;
    let huge = format!(
        "{{\"family_name\": \"{}\"}}",
        "x".repeat(myotome_web::Settings::default().max_body_bytes + 1)
    );
    let reply = app
        .clinician
        .raw(
            Method::POST,
            "/api/v1/patients",
            "application/json",
            huge.into_bytes(),
        )
        .await;
    reply.assert_error(413, "payload_too_large");
    assert_eq!(patient_count(&app).await, before);
}

both!(
    an_oversized_body_gets_413_json,
    super::an_oversized_body_gets_413_json
);

async fn impossible_dates_bad_weights_and_paging_out_of_range_name_the_field(app: TestApp) {
    let doctor = &app.clinician;
    let patient = create_patient(doctor, "Dates").await;

    for kg in [json!(0), json!(-3.5), json!(700), json!("seventy")] {
        let reply = doctor
            .post(
                &format!("/api/v1/patients/{patient}/weights"),
                json!({ "kg": kg }),
            )
            .await;
        reply.assert_error(422, "invalid_input");
        assert!(reply.message().contains("kg"), "{kg}: {}", reply.message());
    }
    let weights = doctor
        .get(&format!("/api/v1/patients/{patient}/weights"))
        .await;
    assert_eq!(weights.assert_status(200), &json!([]), "no weight stored");

    let reply = doctor
        .post(
            &format!("/api/v1/patients/{patient}/records"),
            json!({ "kind": "condition", "text": "Knee pain", "status": "active",
                    "start": "2023-02-30" }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(reply.body["error"]["fields"]["start"].is_string());

    let reply = doctor
        .post(
            &format!("/api/v1/patients/{patient}/records"),
            json!({ "kind": "symptom", "status": "ongoing", "start": "2024-05-01",
                    "end": "2024-04-01", "system": "rxnorm" }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    let fields = reply.body["error"]["fields"].as_object().expect("fields");
    for field in ["kind", "status", "end", "code"] {
        assert!(fields.contains_key(field), "{field}: {fields:#?}");
    }
    let records = doctor
        .get(&format!("/api/v1/patients/{patient}/records"))
        .await;
    assert_eq!(records.assert_status(200), &json!([]), "no record stored");

    let reply = doctor
        .post(
            &format!("/api/v1/patients/{patient}/intake"),
            json!({ "answers": { "likes_needles": true }, "reported_conditions": ["anticoagulant"] }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(reply.body["error"]["fields"]["answers.likes_needles"].is_string());
    assert!(reply.body["error"]["fields"]["reported_conditions[0]"].is_string());

    for (query, field) in [
        ("page=0", "page"),
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("page=abc", "page"),
        ("birth_date=2023-02-30", "birth_date"),
        ("colour=blue", "colour"),
    ] {
        let reply = doctor.get(&format!("/api/v1/patients?{query}")).await;
        reply.assert_error(422, "invalid_input");
        assert!(
            reply.message().contains(field),
            "{query}: {}",
            reply.message()
        );
    }
    let beyond = doctor.get("/api/v1/patients?page=999&per_page=10").await;
    let beyond = beyond.assert_status(200);
    assert_eq!(
        beyond["patients"],
        json!([]),
        "a page past the end is empty, not an error"
    );
    assert!(beyond["total"].as_u64().is_some_and(|t| t >= 1));

    let reply = doctor
        .get("/api/v1/calendar?from=2027-01-01&to=2027-06-01")
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(reply.message().contains("62 days"), "{}", reply.message());
    doctor
        .get("/api/v1/calendar?from=2023-02-30&to=2023-03-01")
        .await
        .assert_error(422, "invalid_input");
    doctor
        .get("/api/v1/calendar?from=2027-02-01")
        .await
        .assert_error(422, "invalid_input");
}

both!(
    impossible_dates_bad_weights_and_paging_out_of_range_name_the_field,
    super::impossible_dates_bad_weights_and_paging_out_of_range_name_the_field
);

async fn unknown_protocols_sites_and_routes_are_refused_with_the_choices(app: TestApp) {
    let doctor = &app.clinician;
    let patient = create_patient(doctor, "Choices").await;

    let reply = doctor
        .post(
            &format!("/api/v1/patients/{patient}/screenings"),
            json!({ "protocols": ["ims", "acupuncture"] }),
        )
        .await;
    reply.assert_error(422, "unknown_protocol");
    for id in [
        "hip-biologics",
        "im-biologic",
        "im-bmc-leg",
        "ims",
        "knee-msc",
    ] {
        assert!(reply.message().contains(id), "{}", reply.message());
    }
    let screenings = doctor
        .get(&format!("/api/v1/patients/{patient}/screenings"))
        .await;
    assert_eq!(
        screenings.assert_status(200),
        &json!([]),
        "not even the known one is stored"
    );

    let reply = doctor.get("/api/v1/protocols/acupuncture").await;
    reply.assert_error(404, "not_found");
    assert!(reply.message().contains("knee-msc"));

    let reply = doctor
        .post(
            &format!("/api/v1/patients/{patient}/plans"),
            json!({ "protocol": "ims", "indication": "knee_osteoarthritis", "region": "foot",
                    "target_sites": [], "schedule": { "start": "2027-01-04" } }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    let fields = reply.body["error"]["fields"].as_object().expect("fields");
    assert!(
        fields["indication"]
            .as_str()
            .is_some_and(|m| m.contains("chronic_back_pain")),
        "{fields:#?}"
    );
    assert!(
        fields["region"]
            .as_str()
            .is_some_and(|m| m.contains("lower_back")),
        "{fields:#?}"
    );
    let reply = doctor
        .post(
            &format!("/api/v1/patients/{patient}/plans"),
            json!({ "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
                    "target_sites": ["multifidus", "multifidus"],
                    "schedule": { "start": "2027-01-04", "dates": ["2027-01-04"] } }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    let fields = reply.body["error"]["fields"].as_object().expect("fields");
    for field in ["side", "target_sites[1]", "schedule"] {
        assert!(fields.contains_key(field), "{field}: {fields:#?}");
    }
    let plans = doctor
        .get(&format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert_eq!(plans.assert_status(200), &json!([]));
    let appointments = doctor
        .get(&format!("/api/v1/patients/{patient}/appointments"))
        .await;
    assert_eq!(
        appointments.assert_status(200),
        &json!([]),
        "no half-booked plan"
    );

    doctor
        .get("/api/v1/patients/999999")
        .await
        .assert_error(404, "not_found");
    doctor
        .get("/api/v1/patients/not-a-number")
        .await
        .assert_error(400, "malformed_request");
    doctor
        .get("/api/v1/nothing-here")
        .await
        .assert_error(404, "not_found");
    app.anonymous
        .get("/nothing/at/all")
        .await
        .assert_error(404, "not_found");
    doctor
        .call(Method::PATCH, "/api/v1/patients", Some(json!({})))
        .await
        .assert_error(405, "method_not_allowed");
}

both!(
    unknown_protocols_sites_and_routes_are_refused_with_the_choices,
    super::unknown_protocols_sites_and_routes_are_refused_with_the_choices
);

async fn hostile_and_unicode_text_is_stored_and_returned_byte_for_byte(app: TestApp) {
    let doctor = &app.clinician;
    for (n, text) in HOSTILE.iter().enumerate() {
        let body = json!({
            "family_name": text, "given_names": text, "birth_date": "1980-05-05",
            "identifiers": [{ "system": text, "value": format!("{text}-{n}") }],
            "contact": { "phone": text, "email": format!("{text}@example.org"),
                         "address": format!("{text}\nsecond line") },
        });
        let created = doctor.post("/api/v1/patients", body).await;
        let created = created.assert_status(201).clone();
        let id = created["id"].as_i64().expect("id");
        let read = doctor.get(&format!("/api/v1/patients/{id}")).await;
        let read = read.assert_status(200);
        for patient in [&created, read] {
            assert_eq!(patient["family_name"], json!(text));
            assert_eq!(patient["given_names"], json!(text));
            assert_eq!(patient["identifiers"][0]["system"], json!(text));
            assert_eq!(
                patient["identifiers"][0]["value"],
                json!(format!("{text}-{n}"))
            );
            assert_eq!(patient["contact"]["phone"], json!(text));
            assert_eq!(
                patient["contact"]["email"],
                json!(format!("{text}@example.org"))
            );
            assert_eq!(
                patient["contact"]["address"],
                json!(format!("{text}\nsecond line"))
            );
        }
        let found = doctor.call(Method::GET, "/api/v1/patients", None).await;
        assert!(
            found.assert_status(200)["total"]
                .as_u64()
                .is_some_and(|t| t > n as u64)
        );
        let search = doctor
            .send(
                doctor
                    .request(Method::GET, "/api/v1/patients")
                    .query(&[("name", *text)]),
            )
            .await;
        let hits = search.assert_status(200)["patients"]
            .as_array()
            .expect("a list")
            .clone();
        assert!(
            hits.iter().any(|p| p["id"] == json!(id)),
            "search by {text:?} finds it"
        );

        let record = doctor
            .post(
                &format!("/api/v1/patients/{id}/records"),
                json!({ "kind": "condition", "system": "snomed", "code": "239872002",
                        "display": text, "text": text, "status": "active" }),
            )
            .await;
        let record = record.assert_status(201);
        assert_eq!(record["text"], json!(text));
        assert_eq!(record["codes"][0]["display"], json!(text));

        let intake = doctor
            .post(
                &format!("/api/v1/patients/{id}/intake"),
                json!({ "note": text }),
            )
            .await;
        assert_eq!(intake.assert_status(201)["note"], json!(text));

        let appointment = doctor
            .post(
                &format!("/api/v1/patients/{id}/appointments"),
                json!({ "kind": "follow_up", "label": text, "date": "2027-05-05" }),
            )
            .await;
        assert_eq!(
            appointment.assert_status(201)["appointment"]["label"],
            json!(text)
        );

        let body = crate::support::ready_plan(
            &app,
            id,
            json!({ "protocol": "ims", "indication": "chronic_back_pain",
                    "region": "lower_back", "side": "left", "target_sites": ["multifidus"],
                    "schedule": { "start": "2027-01-04" }, "notes": text }),
        )
        .await;
        let plan = doctor
            .post(&format!("/api/v1/patients/{id}/plans"), body)
            .await;
        assert_eq!(plan.assert_status(201)["plan"]["notes"], json!(text));
    }
    // The tables survived the attempts.
    assert_eq!(patient_count(&app).await, HOSTILE.len() as u64);

    // Leading and trailing spaces are kept too: only blank names are refused.
    let spaced = doctor
        .post("/api/v1/patients", patient_body("  van der Berg "))
        .await;
    assert_eq!(
        spaced.assert_status(201)["family_name"],
        json!("  van der Berg ")
    );
    let control: Value = json!({ "family_name": "Tab\there" });
    doctor
        .post("/api/v1/patients", control)
        .await
        .assert_error(422, "invalid_input");
}

both!(
    hostile_and_unicode_text_is_stored_and_returned_byte_for_byte,
    super::hostile_and_unicode_text_is_stored_and_returned_byte_for_byte
);

async fn oversized_plans_and_screening_lists_are_refused_at_the_edge_and_nothing_is_stored(
    app: TestApp,
) {
    let doctor = &app.clinician;
    let patient = create_patient(doctor, "Oversized").await;
    let plans = format!("/api/v1/patients/{patient}/plans");
    // A protocol that leaves the number of sessions to the clinic: the count would reach the
    // planner unchecked.
    let plan = |schedule: Value| {
        json!({
            "protocol": "im-bmc-leg", "indication": "peripheral_artery_disease", "region": "leg",
            "side": "right", "target_sites": ["gastrocnemius"],
            "dose": { "product_volume_ml": 9 }, "schedule": schedule,
        })
    };
    let reply = doctor
        .post(
            &plans,
            plan(json!({ "start": "2027-04-05", "sessions": 4_294_967_295_u32 })),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.body["error"]["fields"]["schedule.sessions"]
            .as_str()
            .is_some_and(|m| m.contains("at most 52")),
        "{}",
        reply.body
    );

    let dates: Vec<String> = (0..53)
        .map(|week| {
            jiff::civil::date(2027, 1, 4)
                .checked_add(jiff::Span::new().weeks(week))
                .expect("a date")
                .to_string()
        })
        .collect();
    let reply = doctor.post(&plans, plan(json!({ "dates": dates }))).await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.body["error"]["fields"]["schedule.dates"].is_string(),
        "{}",
        reply.body
    );

    let follow_ups: Vec<Value> = (0..53)
        .map(|_| json!({ "id": "anything", "date": "2027-05-01" }))
        .collect();
    let reply = doctor
        .post(
            &plans,
            plan(json!({ "dates": ["2027-04-05"], "follow_ups": follow_ups })),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.body["error"]["fields"]["schedule.follow_ups"].is_string(),
        "{}",
        reply.body
    );

    let mut many_sites = plan(json!({ "start": "2027-04-05", "sessions": 1 }));
    many_sites["target_sites"] = json!(vec!["gastrocnemius"; 65]);
    let reply = doctor.post(&plans, many_sites).await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.body["error"]["fields"]["target_sites"].is_string(),
        "{}",
        reply.body
    );

    let screenings = format!("/api/v1/patients/{patient}/screenings");
    let reply = doctor
        .post(
            &screenings,
            json!({ "protocols": ["ims", "knee-msc", "ims"] }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.body["error"]["fields"]["protocols[2]"]
            .as_str()
            .is_some_and(|m| m.contains("twice")),
        "{}",
        reply.body
    );
    let reply = doctor
        .post(&screenings, json!({ "protocols": vec!["ims"; 10_000] }))
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.body["error"]["fields"]["protocols"].is_string(),
        "{}",
        reply.body
    );

    assert_eq!(doctor.get(&plans).await.assert_status(200), &json!([]));
    assert_eq!(doctor.get(&screenings).await.assert_status(200), &json!([]));
    let appointments = doctor
        .get(&format!("/api/v1/patients/{patient}/appointments"))
        .await;
    assert_eq!(appointments.assert_status(200), &json!([]));
}

both!(
    oversized_plans_and_screening_lists_are_refused_at_the_edge_and_nothing_is_stored,
    super::oversized_plans_and_screening_lists_are_refused_at_the_edge_and_nothing_is_stored
);

async fn hostile_user_and_token_names_are_stored_and_returned_byte_for_byte(app: TestApp) {
    let admin = &app.admin;
    for (n, text) in HOSTILE.iter().enumerate() {
        let created = admin
            .post(
                "/api/v1/users",
                json!({ "username": format!("hostile_{n}"), "display_name": text,
                        "role": "staff", "password": "a long enough password" }),
            )
            .await;
        let created = created.assert_status(201).clone();
        assert_eq!(created["display_name"], json!(text));
        let listed = admin.get("/api/v1/users").await;
        let listed = listed.assert_status(200).as_array().expect("users").clone();
        let user = listed
            .iter()
            .find(|u| u["id"] == created["id"])
            .expect("the user is listed");
        assert_eq!(user["display_name"], json!(text));

        let renamed = format!("{text} (renamed)");
        let changed = admin
            .put(
                &format!("/api/v1/users/{}", created["id"]),
                json!({ "display_name": renamed, "role": "staff", "disabled": false,
                        "version": created["version"] }),
            )
            .await;
        assert_eq!(changed.assert_status(200)["display_name"], json!(renamed));

        let token = admin
            .post(
                "/api/v1/tokens",
                json!({ "user_id": created["id"], "name": text }),
            )
            .await;
        let token = token.assert_status(201).clone();
        assert_eq!(token["token"]["name"], json!(text));
        let tokens = admin.get("/api/v1/tokens").await;
        let tokens = tokens
            .assert_status(200)
            .as_array()
            .expect("tokens")
            .clone();
        let listed = tokens
            .iter()
            .find(|t| t["id"] == token["token"]["id"])
            .expect("the token is listed");
        assert_eq!(listed["name"], json!(text));
    }
}

both!(
    hostile_user_and_token_names_are_stored_and_returned_byte_for_byte,
    super::hostile_user_and_token_names_are_stored_and_returned_byte_for_byte
);

async fn search_wildcards_in_a_name_match_only_literally(app: TestApp) {
    let doctor = &app.clinician;
    // Each name next to one its wildcard would match if it were not escaped.
    let pairs = [
        ("Percent%Name", "PercentXYZName", "t%N"),
        ("Under_score", "UnderXscore", "r_s"),
        ("Back\\slash", "Backslash", "k\\s"),
    ];
    for (literal, decoy, needle) in pairs {
        let wanted = create_patient(doctor, literal).await;
        let other = create_patient(doctor, decoy).await;
        let search = doctor
            .send(
                doctor
                    .request(Method::GET, "/api/v1/patients")
                    .query(&[("name", needle)]),
            )
            .await;
        let ids: Vec<Value> = search.assert_status(200)["patients"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|p| p["id"].clone())
            .collect();
        assert_eq!(
            ids,
            vec![json!(wanted)],
            "{needle:?} finds {literal:?} and not {decoy:?} ({other})"
        );
    }
}

both!(
    search_wildcards_in_a_name_match_only_literally,
    super::search_wildcards_in_a_name_match_only_literally
);
