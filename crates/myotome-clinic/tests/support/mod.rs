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
