//! Patients (`patients`, `patient_identifiers`), the patient search, and weights (`weights`).
//! Every function runs inside the caller's transaction; the caller appends the audit event.
//!
//! Names are matched through `family_key`/`given_key`, lower-cased here in Rust (Unicode-aware,
//! the same on both backends: SQLite's `lower()` only folds ASCII), and ordered by them.

use super::codec::{
    self, contains_pattern, date_text, get, placeholders, prefix_pattern, sex_text, source_columns,
    ts_text,
};
use super::error::{DbResult, unique_or_database};
use crate::keys;
use crate::{
    Contact, Identifier, Patient, PatientDetails, PatientId, PatientList, PatientSearch, Result,
    StoreError, WeightEntry, WeightId,
};
use jiff::civil::Date;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, family_name, given_names, birth_date, sex, deceased, deceased_on, \
                       phone, email, address, version, created_at, updated_at, merged_into";

/// Largest page a search returns.
pub(crate) const MAX_PAGE_SIZE: u32 = 200;

fn patient_from(row: &AnyRow, identifiers: Vec<Identifier>) -> Result<Patient> {
    let deceased: i64 = get(row, "deceased")?;
    Ok(Patient {
        id: PatientId(get(row, "id")?),
        details: PatientDetails {
            family_name: get(row, "family_name")?,
            given_names: get(row, "given_names")?,
            birth_date: codec::opt_date(row, "birth_date")?,
            sex: codec::opt_word(row, "sex", codec::parse_sex)?,
            deceased: if deceased == 1 {
                Some(codec::opt_date(row, "deceased_on")?)
            } else {
                None
            },
            identifiers,
            contact: Contact {
                phone: get(row, "phone")?,
                email: get(row, "email")?,
                address: get(row, "address")?,
            },
        },
        version: get(row, "version")?,
        created_at: codec::ts(row, "created_at")?,
        updated_at: codec::ts(row, "updated_at")?,
        merged_into: get::<Option<i64>>(row, "merged_into")?.map(PatientId),
    })
}

fn not_found(id: PatientId) -> StoreError {
    StoreError::NotFound {
        what: "patient",
        id: id.to_string(),
    }
}

/// `NotFound` unless the patient exists.
pub(crate) async fn require(conn: &mut AnyConnection, id: PatientId) -> Result<()> {
    if exists(conn, id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// `NotFound` unless the patient exists, and `Conflict` when the chart was merged into
/// another: what is written belongs on the chart that stays.
pub(crate) async fn require_live(conn: &mut AnyConnection, id: PatientId) -> Result<()> {
    let found: Option<Option<i64>> =
        sqlx::query_scalar("SELECT merged_into FROM patients WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
    match found {
        None => Err(not_found(id)),
        Some(Some(kept)) => Err(StoreError::Conflict(format!(
            "patient {id} was merged into patient {kept}; write on that chart"
        ))),
        Some(None) => Ok(()),
    }
}

pub(crate) async fn exists(conn: &mut AnyConnection, id: PatientId) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM patients WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    Ok(found.is_some())
}

pub(crate) async fn identifiers(
    conn: &mut AnyConnection,
    id: PatientId,
) -> Result<Vec<Identifier>> {
    let rows = sqlx::query(
        "SELECT system, value FROM patient_identifiers WHERE patient_id = $1 ORDER BY position",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    rows.iter()
        .map(|row| {
            Ok(Identifier {
                system: get(row, "system")?,
                value: get(row, "value")?,
            })
        })
        .collect()
}

/// Replaces the patient's identifiers, refusing one that belongs to another patient.
async fn write_identifiers(
    conn: &mut AnyConnection,
    id: PatientId,
    list: &[Identifier],
) -> Result<()> {
    sqlx::query("DELETE FROM patient_identifiers WHERE patient_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .db()?;
    for (position, identifier) in list.iter().enumerate() {
        if list[..position].contains(identifier) {
            return Err(StoreError::Conflict(format!(
                "the identifier {} {} is listed twice; list it once",
                identifier.system, identifier.value
            )));
        }
        // Ask first, for a clear refusal before the insert fails; the unique constraint still
        // decides when two writers race. The sentence never says which patient holds the
        // identifier: that would tell the caller about a patient without an audit row.
        let taken = || {
            format!(
                "the identifier {} {} already belongs to another patient; one identifier names \
                 one patient",
                identifier.system, identifier.value
            )
        };
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT patient_id FROM patient_identifiers WHERE system = $1 AND value = $2",
        )
        .bind(&identifier.system)
        .bind(&identifier.value)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        if owner.is_some() {
            return Err(StoreError::Conflict(taken()));
        }
        sqlx::query(
            "INSERT INTO patient_identifiers (patient_id, position, system, value, value_key) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(position as i64)
        .bind(&identifier.system)
        .bind(&identifier.value)
        .bind(keys::identifier_key(&identifier.value))
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_or_database(e, taken))?;
    }
    Ok(())
}

/// The patient's name keys ([`crate::keys`]).
pub(crate) fn name_keys(details: &PatientDetails) -> (String, String) {
    (
        keys::fold_name(&details.family_name),
        keys::fold_name(&details.given_names),
    )
}

/// Re-keys every patient whose keys were made under older rules ([`keys::KEYS_VERSION`]), in
/// batches, with their identifiers. Run when the store opens; idempotent, so two servers
/// opening one database at once only do the same work twice.
pub(crate) async fn rekey(pool: &sqlx::AnyPool) -> Result<u64> {
    let mut done = 0;
    loop {
        let mut tx = pool.begin().await.db()?;
        let rows = sqlx::query(
            "SELECT id, family_name, given_names FROM patients WHERE keys_version < $1 \
             ORDER BY id LIMIT 500",
        )
        .bind(keys::KEYS_VERSION)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        if rows.is_empty() {
            return Ok(done);
        }
        for row in &rows {
            let id: i64 = get(row, "id")?;
            let family: String = get(row, "family_name")?;
            let given: String = get(row, "given_names")?;
            sqlx::query(
                "UPDATE patients SET family_key = $1, given_key = $2, keys_version = $3 \
                 WHERE id = $4 AND keys_version < $3",
            )
            .bind(keys::fold_name(&family))
            .bind(keys::fold_name(&given))
            .bind(keys::KEYS_VERSION)
            .bind(id)
            .execute(&mut *tx)
            .await
            .db()?;
            let identifiers =
                sqlx::query("SELECT id, value FROM patient_identifiers WHERE patient_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await
                    .db()?;
            for identifier in &identifiers {
                let row_id: i64 = get(identifier, "id")?;
                let value: String = get(identifier, "value")?;
                sqlx::query("UPDATE patient_identifiers SET value_key = $1 WHERE id = $2")
                    .bind(keys::identifier_key(&value))
                    .bind(row_id)
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
        }
        tx.commit().await.db()?;
        done += rows.len() as u64;
    }
}

fn deceased_columns(details: &PatientDetails) -> (i64, Option<String>) {
    match details.deceased {
        None => (0, None),
        Some(on) => (1, on.map(date_text)),
    }
}

pub(crate) async fn create(conn: &mut AnyConnection, details: &PatientDetails) -> Result<Patient> {
    let now = ts_text(codec::now());
    let (family_key, given_key) = name_keys(details);
    let (deceased, deceased_on) = deceased_columns(details);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO patients (family_name, given_names, family_key, given_key, birth_date, sex, \
         deceased, deceased_on, phone, email, address, version, created_at, updated_at, \
         facts_changed_at, keys_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12, $12, $13) RETURNING id",
    )
    .bind(&details.family_name)
    .bind(&details.given_names)
    .bind(&family_key)
    .bind(&given_key)
    .bind(details.birth_date.map(date_text))
    .bind(details.sex.map(sex_text))
    .bind(deceased)
    .bind(deceased_on)
    .bind(&details.contact.phone)
    .bind(&details.contact.email)
    .bind(&details.contact.address)
    .bind(&now)
    .bind(keys::KEYS_VERSION)
    .fetch_one(&mut *conn)
    .await
    .db()?;
    let id = PatientId(id);
    write_identifiers(conn, id, &details.identifiers).await?;
    get_patient(conn, id).await
}

pub(crate) async fn get_patient(conn: &mut AnyConnection, id: PatientId) -> Result<Patient> {
    let sql = format!("SELECT {COLUMNS} FROM patients WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| not_found(id))?;
    let identifiers = identifiers(conn, id).await?;
    patient_from(&row, identifiers)
}

pub(crate) async fn update(
    conn: &mut AnyConnection,
    id: PatientId,
    expected_version: i64,
    details: &PatientDetails,
) -> Result<Patient> {
    require_live(conn, id).await?;
    let now = ts_text(codec::now());
    let (family_key, given_key) = name_keys(details);
    let (deceased, deceased_on) = deceased_columns(details);
    let updated: Option<i64> = sqlx::query_scalar(
        "UPDATE patients SET family_name = $1, given_names = $2, family_key = $3, given_key = $4, \
         birth_date = $5, sex = $6, deceased = $7, deceased_on = $8, phone = $9, email = $10, \
         address = $11, version = version + 1, updated_at = $12, keys_version = $15, \
         facts_changed_at = CASE WHEN birth_date IS DISTINCT FROM $5 OR sex IS DISTINCT FROM $6 \
             OR deceased <> $7 OR deceased_on IS DISTINCT FROM $8 \
             THEN $12 ELSE facts_changed_at END \
         WHERE id = $13 AND version = $14 AND merged_into IS NULL RETURNING id",
    )
    .bind(&details.family_name)
    .bind(&details.given_names)
    .bind(&family_key)
    .bind(&given_key)
    .bind(details.birth_date.map(date_text))
    .bind(details.sex.map(sex_text))
    .bind(deceased)
    .bind(deceased_on)
    .bind(&details.contact.phone)
    .bind(&details.contact.email)
    .bind(&details.contact.address)
    .bind(&now)
    .bind(id.0)
    .bind(expected_version)
    .bind(keys::KEYS_VERSION)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    if updated.is_none() {
        return Err(stale_or_missing(conn, "patients", "patient", id.0, expected_version).await);
    }
    write_identifiers(conn, id, &details.identifiers).await?;
    get_patient(conn, id).await
}

/// After an optimistic update matched no row: `NotFound`, or `Stale` with the stored version.
pub(crate) async fn stale_or_missing(
    conn: &mut AnyConnection,
    table: &'static str,
    what: &'static str,
    id: i64,
    sent_version: i64,
) -> StoreError {
    // `table` is one of our own table names, never input.
    let sql = format!("SELECT version FROM {table} WHERE id = $1");
    let current: std::result::Result<Option<i64>, _> = sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await;
    match current {
        Err(e) => super::error::database(e),
        Ok(None) => StoreError::NotFound {
            what,
            id: id.to_string(),
        },
        Ok(Some(current_version)) => StoreError::Stale {
            what,
            id: id.to_string(),
            current_version,
            sent_version,
        },
    }
}

/// A bound value of the search's WHERE clause.
enum Bind {
    Text(String),
    Int(i64),
}

/// `column LIKE %needle%`, its pattern bound.
fn contains(binds: &mut Vec<Bind>, column: &str, needle: &str) -> String {
    binds.push(Bind::Text(contains_pattern(needle)));
    format!("{column} LIKE ${} ESCAPE '\\'", binds.len())
}

/// Most words of a name search split between given and family names.
const MAX_NAME_WORDS: usize = 6;

/// What a folded name search matches: "Family, Given" (each part within its name); otherwise
/// the words anywhere in the family or the given names, or, for two words or more, "Given
/// Family" and "Family Given" split between the two.
fn name_condition(binds: &mut Vec<Bind>, name: &str) -> String {
    if let Some((family, given)) = name.split_once(',') {
        let (family, given) = (family.trim(), given.trim());
        let mut parts = Vec::new();
        if !family.is_empty() {
            parts.push(contains(binds, "family_key", family));
        }
        if !given.is_empty() {
            parts.push(contains(binds, "given_key", given));
        }
        if !parts.is_empty() {
            return format!("({})", parts.join(" AND "));
        }
    }
    let name = name.replace(',', " ");
    let words: Vec<&str> = name.split_whitespace().collect();
    let whole = words.join(" ");
    let mut alternatives = vec![
        contains(binds, "family_key", &whole),
        contains(binds, "given_key", &whole),
    ];
    // Every split of the words into given names and family name, either way round ("Anneke
    // van der Berg", "Nguyen Van An"); at most the first six words, so the query stays small.
    let words = &words[..words.len().min(MAX_NAME_WORDS)];
    for split in 1..words.len() {
        let (head, tail) = (words[..split].join(" "), words[split..].join(" "));
        alternatives.push(format!(
            "({} AND {})",
            contains(binds, "given_key", &head),
            contains(binds, "family_key", &tail)
        ));
        alternatives.push(format!(
            "({} AND {})",
            contains(binds, "family_key", &head),
            contains(binds, "given_key", &tail)
        ));
    }
    format!("({})", alternatives.join(" OR "))
}

pub(crate) async fn search(
    conn: &mut AnyConnection,
    search: &PatientSearch,
) -> Result<PatientList> {
    // A chart merged into another is read through the one it was merged into.
    let mut conditions: Vec<String> = vec!["merged_into IS NULL".to_owned()];
    let mut binds: Vec<Bind> = Vec::new();
    if let Some(name) = search
        .name
        .as_deref()
        .map(keys::fold_name)
        .filter(|n| !n.is_empty())
    {
        conditions.push(name_condition(&mut binds, &name));
    }
    if let Some(birth_date) = search.birth_date {
        binds.push(Bind::Text(date_text(birth_date)));
        conditions.push(format!("birth_date = ${}", binds.len()));
    }
    if let Some(identifier) = search
        .identifier
        .as_deref()
        .map(keys::identifier_key)
        .filter(|i| !i.is_empty())
    {
        // By prefix, served by `patient_identifiers_by_key`.
        binds.push(Bind::Text(prefix_pattern(&identifier)));
        conditions.push(format!(
            "id IN (SELECT patient_id FROM patient_identifiers WHERE value_key LIKE ${} ESCAPE '\\')",
            binds.len()
        ));
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };

    let count_sql = format!("SELECT COUNT(*) FROM patients {where_clause}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for bind in &binds {
        count = match bind {
            Bind::Text(text) => count.bind(text.clone()),
            Bind::Int(n) => count.bind(*n),
        };
    }
    let total = count.fetch_one(&mut *conn).await.db()?;

    let size = search.page.size.clamp(1, MAX_PAGE_SIZE);
    let number = search.page.number.max(1);
    let offset = i64::from(number - 1) * i64::from(size);
    binds.push(Bind::Int(i64::from(size)));
    binds.push(Bind::Int(offset));
    let page_sql = format!(
        "SELECT {COLUMNS} FROM patients {where_clause} \
         ORDER BY family_key, given_key, id LIMIT ${} OFFSET ${}",
        binds.len() - 1,
        binds.len()
    );
    let mut page = sqlx::query(&page_sql);
    for bind in &binds {
        page = match bind {
            Bind::Text(text) => page.bind(text.clone()),
            Bind::Int(n) => page.bind(*n),
        };
    }
    let rows = page.fetch_all(&mut *conn).await.db()?;

    let patients = with_identifiers(conn, &rows).await?;
    Ok(PatientList {
        patients,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Patients by id, in the order asked, leaving out ids that do not exist; at most
/// [`MAX_PAGE_SIZE`] ids.
pub(crate) async fn by_ids(conn: &mut AnyConnection, ids: &[PatientId]) -> Result<Vec<Patient>> {
    let mut wanted: Vec<i64> = Vec::new();
    for id in ids {
        if !wanted.contains(&id.0) && wanted.len() < MAX_PAGE_SIZE as usize {
            wanted.push(id.0);
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM patients WHERE id IN ({})",
        placeholders(1, wanted.len())
    );
    let mut query = sqlx::query(&sql);
    for id in &wanted {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut *conn).await.db()?;
    let mut found = with_identifiers(conn, &rows).await?;
    found.sort_by_key(|p| wanted.iter().position(|id| *id == p.id.0));
    Ok(found)
}

/// The patients whose ids `ids_sql` selects (a `SELECT` of patient ids with one `$1`
/// parameter, bound to `param`), with their identifiers: two set-based reads whatever their
/// number — no list of ids travels as parameters, so no placeholder limit applies.
pub(crate) async fn selected_by(
    conn: &mut AnyConnection,
    ids_sql: &str,
    param: i64,
) -> Result<Vec<Patient>> {
    let sql = format!("SELECT {COLUMNS} FROM patients WHERE id IN ({ids_sql}) ORDER BY id");
    let rows = sqlx::query(&sql)
        .bind(param)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let sql = format!(
        "SELECT patient_id, system, value FROM patient_identifiers \
         WHERE patient_id IN ({ids_sql}) ORDER BY patient_id, position"
    );
    let found = sqlx::query(&sql)
        .bind(param)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut by_patient = identifiers_by_patient(&found)?;
    rows.iter()
        .map(|row| {
            let id: i64 = get(row, "id")?;
            patient_from(row, by_patient.remove(&id).unwrap_or_default())
        })
        .collect()
}

/// `patient_identifiers` rows (`patient_id, system, value`, in position order) by patient.
fn identifiers_by_patient(
    rows: &[AnyRow],
) -> Result<std::collections::HashMap<i64, Vec<Identifier>>> {
    let mut by_patient: std::collections::HashMap<i64, Vec<Identifier>> = Default::default();
    for row in rows {
        by_patient
            .entry(get(row, "patient_id")?)
            .or_default()
            .push(Identifier {
                system: get(row, "system")?,
                value: get(row, "value")?,
            });
    }
    Ok(by_patient)
}

/// Rows of `patients` with their identifiers, read in one query rather than one per patient.
pub(crate) async fn with_identifiers(
    conn: &mut AnyConnection,
    rows: &[AnyRow],
) -> Result<Vec<Patient>> {
    let ids: Vec<i64> = rows
        .iter()
        .map(|row| get::<i64>(row, "id"))
        .collect::<Result<_>>()?;
    let mut by_patient: std::collections::HashMap<i64, Vec<Identifier>> = Default::default();
    if !ids.is_empty() {
        let sql = format!(
            "SELECT patient_id, system, value FROM patient_identifiers \
             WHERE patient_id IN ({}) ORDER BY patient_id, position",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        by_patient = identifiers_by_patient(&query.fetch_all(&mut *conn).await.db()?)?;
    }
    rows.iter()
        .zip(&ids)
        .map(|(row, id)| patient_from(row, by_patient.remove(id).unwrap_or_default()))
        .collect()
}

// --- Weights ----------------------------------------------------------------------------------------

const WEIGHT_COLUMNS: &str = "id, patient_id, measured_on, grams, source_kind, entered_by, source_system, source_id, recorded_at";

fn weight_from(row: &AnyRow) -> Result<WeightEntry> {
    Ok(WeightEntry {
        id: WeightId(get(row, "id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        measured_on: codec::date(row, "measured_on")?,
        grams: codec::u32_of(row, "grams")?,
        source: codec::source(row)?,
        recorded_at: codec::ts(row, "recorded_at")?,
    })
}

pub(crate) async fn add_weight(
    conn: &mut AnyConnection,
    patient: PatientId,
    measured_on: Date,
    grams: u32,
    source: &crate::RecordSource,
) -> Result<WeightEntry> {
    require_live(conn, patient).await?;
    let columns = source_columns(source);
    let sql = format!(
        "INSERT INTO weights (patient_id, measured_on, grams, source_kind, entered_by, \
         source_system, source_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {WEIGHT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patient.0)
        .bind(date_text(measured_on))
        .bind(i64::from(grams))
        .bind(columns.kind)
        .bind(columns.entered_by)
        .bind(columns.system)
        .bind(columns.id)
        .bind(ts_text(codec::now()))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            unique_or_database(e, || {
                format!(
                    "patient {patient} already has the weight imported from {} as {}",
                    columns.system.unwrap_or_default(),
                    columns.id.unwrap_or_default()
                )
            })
        })?;
    weight_from(&row)
}

pub(crate) async fn weights(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<WeightEntry>> {
    require(conn, patient).await?;
    weights_of(conn, patient).await
}

/// [`weights`] for a patient the caller has already found (the chart read).
pub(crate) async fn weights_of(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<WeightEntry>> {
    let sql = format!(
        "SELECT {WEIGHT_COLUMNS} FROM weights WHERE patient_id = $1 \
         ORDER BY measured_on DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(weight_from).collect()
}
