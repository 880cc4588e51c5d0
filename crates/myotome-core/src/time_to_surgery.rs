//! Time to surgery: how long after treatment the clinic's patients went on to have surgery,
//! as a Kaplan–Meier curve with the number still at risk at the registries' follow-up times.
//!
//! Each treated plan is one observation, from its first session held: to the day of surgery
//! (an event), or to the last day the clinic heard from the patient — a visit held or a
//! questionnaire answered — without one (censored there, not at today: a patient the clinic
//! lost touch with is not known to have kept their joint). A plan not yet treated is not in
//! the curve; nor is a surgery dated before treatment, which is not a conversion after it.

use crate::statistics::{Observation, Step, at_risk_on, kaplan_meier};
use jiff::civil::Date;

/// One plan's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUp {
    pub treated_on: Option<Date>,
    pub surgery_on: Option<Date>,
    pub last_contact: Option<Date>,
}

/// The registries' follow-up times (baseline, 3, 6 and 12 months, then yearly), in days, with
/// their names: where the number at risk is shown.
pub const MARKS: [(u32, &str); 6] = [
    (0, "treatment"),
    (91, "3 months"),
    (182, "6 months"),
    (365, "1 year"),
    (730, "2 years"),
    (1095, "3 years"),
];

/// The number at risk and the estimate at one mark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtMark {
    pub day: u32,
    pub label: &'static str,
    pub at_risk: u64,
    /// The probability of being without surgery through this day.
    pub surgery_free: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimeToSurgery {
    pub observations: Vec<Observation>,
    pub steps: Vec<Step>,
    pub surgeries: u64,
    pub censored: u64,
    /// The longest follow-up, in days.
    pub longest: u32,
    /// Marks up to the longest follow-up.
    pub marks: Vec<AtMark>,
}

fn days_between(from: Date, to: Date) -> Option<u32> {
    let days = to.since(from).ok()?.get_days();
    u32::try_from(days).ok()
}

/// The observation one plan gives, if it is in the curve.
pub fn observation(plan: &FollowUp) -> Option<Observation> {
    let treated = plan.treated_on?;
    match plan.surgery_on {
        Some(surgery) => {
            days_between(treated, surgery).map(|days| Observation { days, event: true })
        }
        None => Some(Observation {
            days: plan
                .last_contact
                .and_then(|last| days_between(treated, last))
                .unwrap_or(0),
            event: false,
        }),
    }
}

/// The probability of being without the event through `day`, from the curve's steps.
pub fn surgery_free_through(steps: &[Step], day: u32) -> f64 {
    steps
        .iter()
        .take_while(|s| s.day <= day)
        .last()
        .map_or(1.0, |s| s.survival)
}

pub fn time_to_surgery(plans: &[FollowUp]) -> TimeToSurgery {
    let observations: Vec<Observation> = plans.iter().filter_map(observation).collect();
    let steps = kaplan_meier(&observations);
    let surgeries = observations.iter().filter(|o| o.event).count() as u64;
    let longest = observations.iter().map(|o| o.days).max().unwrap_or(0);
    let marks = MARKS
        .iter()
        .filter(|(day, _)| *day == 0 || *day <= longest)
        .map(|&(day, label)| AtMark {
            day,
            label,
            at_risk: at_risk_on(&observations, day),
            surgery_free: surgery_free_through(&steps, day),
        })
        .collect();
    TimeToSurgery {
        censored: observations.len() as u64 - surgeries,
        observations,
        steps,
        surgeries,
        longest,
        marks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn plan(treated: Option<Date>, surgery: Option<Date>, last: Option<Date>) -> FollowUp {
        FollowUp {
            treated_on: treated,
            surgery_on: surgery,
            last_contact: last,
        }
    }

    #[test]
    fn a_plan_is_followed_from_treatment_to_surgery_or_to_the_last_contact() {
        let treated = Some(date(2026, 1, 1));
        assert_eq!(
            observation(&plan(treated, Some(date(2026, 4, 11)), None)),
            Some(Observation {
                days: 100,
                event: true
            })
        );
        assert_eq!(
            observation(&plan(treated, None, Some(date(2026, 2, 1)))),
            Some(Observation {
                days: 31,
                event: false
            })
        );
        // Never heard from since: censored on the day of treatment.
        assert_eq!(
            observation(&plan(treated, None, None)),
            Some(Observation {
                days: 0,
                event: false
            })
        );
        assert_eq!(
            observation(&plan(None, Some(date(2026, 4, 11)), None)),
            None
        );
        assert_eq!(
            observation(&plan(treated, Some(date(2025, 12, 1)), None)),
            None,
            "a surgery before treatment is not a conversion"
        );
    }

    /// Hand-worked: five patients treated on 1 January 2026. Surgery on day 100 and day 300;
    /// the others last heard from on day 200, 400 and 400. At day 100, 5 at risk: S = 4/5 =
    /// 0.8. At day 300, 3 at risk (the day-200 patient left): S = 0.8 × 2/3 = 0.5333.
    #[test]
    fn the_curve_and_the_numbers_at_risk_match_a_hand_worked_cohort() {
        let start = date(2026, 1, 1);
        let day = |n: i64| start.checked_add(jiff::Span::new().days(n)).ok();
        let report = time_to_surgery(&[
            plan(Some(start), day(100), None),
            plan(Some(start), day(300), day(250)),
            plan(Some(start), None, day(200)),
            plan(Some(start), None, day(400)),
            plan(Some(start), None, day(400)),
            plan(None, None, None),
        ]);
        assert_eq!(
            report.observations.len(),
            5,
            "the untreated plan is left out"
        );
        assert_eq!((report.surgeries, report.censored), (2, 3));
        assert_eq!(report.steps.len(), 2);
        assert!((report.steps[0].survival - 0.8).abs() < 1e-12);
        assert_eq!(report.steps[1].at_risk, 3);
        assert!((report.steps[1].survival - 0.8 * 2.0 / 3.0).abs() < 1e-12);
        let marks: Vec<(u32, u64)> = report.marks.iter().map(|m| (m.day, m.at_risk)).collect();
        assert_eq!(marks, [(0, 5), (91, 5), (182, 4), (365, 2)]);
        assert!((report.marks[3].surgery_free - 0.8 * 2.0 / 3.0).abs() < 1e-12);
        assert!((report.marks[1].surgery_free - 1.0).abs() < 1e-12);
    }
}
