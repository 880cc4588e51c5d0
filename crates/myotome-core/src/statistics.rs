//! The statistics outcome reports use: a proportion with its Wilson score interval, the median,
//! and the Kaplan–Meier estimate of time to an event (conversion to surgery) with the number at
//! risk. Small enough to write out and check by hand; the crates seen (`solow-duration`,
//! `survival`) bring far more than a clinic report needs.

/// The z value of a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A proportion of `events` among `n`, with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    pub events: u64,
    pub n: u64,
    /// `events / n`; `None` when `n` is zero.
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// The Wilson score interval of `events` in `n` at `z` (Wilson 1927; Newcombe, Stat Med 1998).
/// It stays inside 0–1 and behaves at 0 and n events, where the normal approximation does not.
pub fn wilson(events: u64, n: u64, z: f64) -> Proportion {
    if n == 0 {
        return Proportion {
            events,
            n,
            estimate: None,
            low: None,
            high: None,
        };
    }
    let events = events.min(n);
    let n_f = n as f64;
    let p = events as f64 / n_f;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    Proportion {
        events,
        n,
        estimate: Some(p),
        low: Some((centre - half).max(0.0)),
        high: Some((centre + half).min(1.0)),
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    })
}

/// One patient's follow-up: the days from treatment to the event, or to the last day they were
/// known to be without it (censored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub days: u32,
    pub event: bool,
}

/// A step of the Kaplan–Meier curve, at a day on which at least one event happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub day: u32,
    /// Followed up to at least this day, without the event before it.
    pub at_risk: u64,
    pub events: u64,
    /// The probability of being event-free after this day.
    pub survival: f64,
}

/// The Kaplan–Meier product-limit estimate (Kaplan & Meier, JASA 1958). At a day with both
/// events and censorings the censored are counted at risk for that day's events, as is usual.
pub fn kaplan_meier(observations: &[Observation]) -> Vec<Step> {
    let mut sorted = observations.to_vec();
    sorted.sort_by_key(|o| o.days);
    let mut at_risk = sorted.len() as u64;
    let mut survival = 1.0;
    let mut steps = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let day = sorted[i].days;
        let same_day = sorted[i..].iter().take_while(|o| o.days == day).count();
        let events = sorted[i..i + same_day].iter().filter(|o| o.event).count() as u64;
        if events > 0 {
            survival *= 1.0 - events as f64 / at_risk as f64;
            steps.push(Step {
                day,
                at_risk,
                events,
                survival,
            });
        }
        at_risk -= same_day as u64;
        i += same_day;
    }
    steps
}

/// How many were still followed up, event-free, at the start of `day`.
pub fn at_risk_on(observations: &[Observation], day: u32) -> u64 {
    observations.iter().filter(|o| o.days >= day).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn the_wilson_interval_matches_the_published_example() {
        // n = 100, 25 events, z = 1.96: 0.17545 to 0.34305.
        let p = wilson(25, 100, 1.96);
        assert_eq!(p.estimate, Some(0.25));
        assert!(close(p.low.unwrap_or(0.0), 0.17545), "{p:?}");
        assert!(close(p.high.unwrap_or(0.0), 0.34305), "{p:?}");
    }

    #[test]
    fn the_wilson_interval_stays_inside_zero_and_one_at_the_extremes() {
        // Newcombe 1998, table I: 0 of 10 → 0 to 0.2775; 10 of 10 → 0.7225 to 1.
        let none = wilson(0, 10, Z_95);
        assert!(close(none.low.unwrap_or(1.0), 0.0), "{none:?}");
        assert!(close(none.high.unwrap_or(0.0), 0.2775), "{none:?}");
        let all = wilson(10, 10, Z_95);
        assert!(close(all.low.unwrap_or(0.0), 0.7225), "{all:?}");
        assert!(close(all.high.unwrap_or(0.0), 1.0), "{all:?}");
        assert_eq!(wilson(0, 0, Z_95).estimate, None);
    }

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn kaplan_meier_matches_a_hand_worked_curve() {
        // Ten patients. Surgery on days 30, 90, 90 and 200; censored (last seen without
        // surgery) on days 60, 120, 180, 365, 365, 365.
        //   day 30: 10 at risk, 1 event → S = 0.9
        //   day 60: one censored → 8 at risk from day 61
        //   day 90: 8 at risk, 2 events → S = 0.9 × 6/8 = 0.675
        //   days 120, 180 censored → 4 at risk
        //   day 200: 4 at risk, 1 event → S = 0.675 × 3/4 = 0.50625
        let observations: Vec<Observation> = [
            (30, true),
            (60, false),
            (90, true),
            (90, true),
            (120, false),
            (180, false),
            (200, true),
            (365, false),
            (365, false),
            (365, false),
        ]
        .into_iter()
        .map(|(days, event)| Observation { days, event })
        .collect();
        let steps = kaplan_meier(&observations);
        let summary: Vec<(u32, u64, u64)> =
            steps.iter().map(|s| (s.day, s.at_risk, s.events)).collect();
        assert_eq!(summary, vec![(30, 10, 1), (90, 8, 2), (200, 4, 1)]);
        assert!(close(steps[0].survival, 0.9));
        assert!(close(steps[1].survival, 0.675));
        assert!(close(steps[2].survival, 0.50625));
        assert_eq!(at_risk_on(&observations, 0), 10);
        assert_eq!(at_risk_on(&observations, 91), 6);
        assert_eq!(at_risk_on(&observations, 366), 0);
    }
}
