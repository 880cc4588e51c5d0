//! Server-side SVG charts for reports: proportions as bars with their 95 % interval as a
//! whisker, and a claimed range as a shaded band; a Kaplan–Meier curve with its censorings and
//! the number at risk printed under its axis; a patient's score over the timepoints. Drawn here in a few lines rather than with
//! a plotting crate: `plotters` lays text out with a font backend (ttf or ab_glyph plus the
//! system's fonts), which a server printing two kinds of chart should not depend on. Every
//! number is also printed as text beside its bar, so the chart reads in black and white.

use myotome_core::statistics::Proportion;
use myotome_core::time_to_surgery::{TimeToSurgery, surgery_free_through};
use std::fmt::Write;

/// One bar.
pub struct Bar<'a> {
    pub label: &'a str,
    pub proportion: &'a Proportion,
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A chart's opening: its size, and its title as the accessible name and as a tooltip.
fn open(title: &str, width: f64, height: f64) -> String {
    let title = escape(title);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{title}"><title>{title}</title>"#
    )
}

/// A bar chart of proportions (0–100 %), each with its interval, and `band` (low, high in
/// percent) shaded behind them when given. `title` is the chart's accessible name.
pub fn proportions(title: &str, bars: &[Bar<'_>], band: Option<(f64, f64)>) -> String {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 280.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 56.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |percent: f64| TOP + plot_h * (1.0 - percent.clamp(0.0, 100.0) / 100.0);
    let mut svg = open(title, WIDTH, HEIGHT);
    if let Some((low, high)) = band {
        let _ = write!(
            svg,
            r##"<rect x="{LEFT}" y="{:.1}" width="{plot_w}" height="{:.1}" fill="#e8e2f4" stroke="#6b5b95" stroke-dasharray="4 3"/>"##,
            y(high),
            (y(low) - y(high)).max(1.0)
        );
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#3d2f63">claimed {low:.0}–{high:.0} %</text>"##,
            WIDTH - RIGHT - 4.0,
            y(high) - 4.0
        );
    }
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#c8c8c8"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#222">{tick:.0} %</text>"##,
            WIDTH - RIGHT,
            y(tick),
            y(tick),
            LEFT - 6.0,
            y(tick) + 4.0
        );
    }
    let slot = plot_w / bars.len().max(1) as f64;
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let centre = x + slot / 2.0;
        let width = (slot * 0.5).min(80.0);
        let label_y = HEIGHT - BOTTOM + 18.0;
        let _ = write!(
            svg,
            r##"<text x="{centre:.1}" y="{label_y:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            escape(bar.label)
        );
        let p = bar.proportion;
        let Some(estimate) = p.estimate else {
            let _ = write!(
                svg,
                r##"<text x="{centre:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">no answers</text>"##,
                y(0.0) - 6.0
            );
            continue;
        };
        let top = y(estimate * 100.0);
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{top:.1}" width="{width:.1}" height="{:.1}" fill="#1f5f99"/>"##,
            centre - width / 2.0,
            (y(0.0) - top).max(0.0)
        );
        if let (Some(low), Some(high)) = (p.low, p.high) {
            let (yl, yh) = (y(low * 100.0), y(high * 100.0));
            let _ = write!(
                svg,
                r##"<path d="M{a:.1} {yl:.1}H{b:.1}M{centre:.1} {yl:.1}V{yh:.1}M{a:.1} {yh:.1}H{b:.1}" stroke="#111" stroke-width="2" fill="none"/>"##,
                a = centre - 8.0,
                b = centre + 8.0,
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{centre:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{:.0} % ({} of {})</text>"##,
            label_y + 16.0,
            estimate * 100.0,
            p.events,
            p.n
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A Kaplan–Meier curve (surgery-free, 0–100 %) over `longest` days: each step where
/// surgeries happened, a tick where a patient's follow-up ended without one, and under the
/// axis the number still at risk at each mark — as the curve is printed in the literature.
pub fn survival(title: &str, curve: &TimeToSurgery) -> String {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 300.0;
    const LEFT: f64 = 56.0;
    const RIGHT: f64 = 24.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 76.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let span = f64::from(curve.longest.max(365));
    let x = |day: u32| LEFT + plot_w * f64::from(day) / span;
    let y = |fraction: f64| TOP + plot_h * (1.0 - fraction.clamp(0.0, 1.0));
    let mut svg = open(title, WIDTH, HEIGHT);
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#c8c8c8"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#222">{:.0} %</text>"##,
            WIDTH - RIGHT,
            y(tick),
            y(tick),
            LEFT - 6.0,
            y(tick) + 4.0,
            tick * 100.0
        );
    }
    let axis_y = y(0.0);
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#222">at risk</text>"##,
        4.0,
        axis_y + 40.0
    );
    for mark in &curve.marks {
        let mx = x(mark.day);
        let _ = write!(
            svg,
            r##"<line x1="{mx:.1}" x2="{mx:.1}" y1="{axis_y:.1}" y2="{:.1}" stroke="#222"/><text x="{mx:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text><text x="{mx:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            axis_y + 5.0,
            axis_y + 20.0,
            escape(mark.label),
            axis_y + 40.0,
            mark.at_risk
        );
    }
    // The curve: flat until each step, then down.
    let mut path = format!("M{:.1} {:.1}", x(0), y(1.0));
    for step in &curve.steps {
        let _ = write!(path, "H{:.1}V{:.1}", x(step.day), y(step.survival));
    }
    let _ = write!(path, "H{:.1}", x(curve.longest));
    let _ = write!(
        svg,
        r##"<path d="{path}" stroke="#1f5f99" stroke-width="2.5" fill="none"/>"##
    );
    for censored in curve.observations.iter().filter(|o| !o.event) {
        let cx = x(censored.days);
        let cy = y(surgery_free_through(&curve.steps, censored.days));
        let _ = write!(
            svg,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="#1f5f99" stroke-width="1.5"/>"##,
            cy - 5.0,
            cy + 5.0
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#222">{} {}, {} followed without (ticks)</text>"##,
        WIDTH - RIGHT,
        HEIGHT - 6.0,
        curve.surgeries,
        if curve.surgeries == 1 {
            "surgery"
        } else {
            "surgeries"
        },
        curve.censored
    );
    svg.push_str("</svg>");
    svg
}

/// One point of a patient's trajectory: the timepoint's name and the score, if answered.
pub struct Point<'a> {
    pub label: &'a str,
    pub value: Option<f64>,
}

/// A patient's score at each timepoint, in order, on the score's own range, with the baseline
/// answer (when there is one) as a dashed line. `better` says which way is better ("lower is
/// better").
pub fn trajectory(
    title: &str,
    points: &[Point<'_>],
    baseline: Option<f64>,
    range: (f64, f64),
    better: &str,
) -> String {
    const WIDTH: f64 = 640.0;
    const HEIGHT: f64 = 240.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 40.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let (low, high) = if range.1 > range.0 {
        range
    } else {
        (range.0, range.0 + 1.0)
    };
    let y = |v: f64| TOP + plot_h * (1.0 - ((v - low) / (high - low)).clamp(0.0, 1.0));
    let slot = plot_w / points.len().max(1) as f64;
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let mut svg = open(title, WIDTH, HEIGHT);
    for tick in [low, (low + high) / 2.0, high] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#c8c8c8"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#222">{}</text>"##,
            WIDTH - RIGHT,
            y(tick),
            y(tick),
            LEFT - 6.0,
            y(tick) + 4.0,
            short_number(tick)
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="14" font-size="12" text-anchor="end" fill="#222">{}</text>"##,
        WIDTH - RIGHT,
        escape(better)
    );
    if let Some(baseline) = baseline {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#6b5b95" stroke-dasharray="4 3"/>"##,
            WIDTH - RIGHT,
            y(baseline),
            y(baseline)
        );
    }
    let mut path = String::new();
    for (i, point) in points.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            x(i),
            HEIGHT - BOTTOM + 18.0,
            escape(point.label)
        );
        let Some(value) = point.value else {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#555">not answered</text>"##,
                x(i),
                HEIGHT - BOTTOM + 32.0
            );
            continue;
        };
        let command = if path.is_empty() { 'M' } else { 'L' };
        let _ = write!(path, "{command}{:.1} {:.1}", x(i), y(value));
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="5" fill="#1f5f99"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
            x(i),
            y(value),
            x(i),
            y(value) - 9.0,
            short_number(value)
        );
    }
    if !path.is_empty() {
        let _ = write!(
            svg,
            r##"<path d="{path}" stroke="#1f5f99" stroke-width="2" fill="none"/>"##
        );
    }
    svg.push_str("</svg>");
    svg
}

fn short_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use myotome_core::statistics::{Z_95, wilson};

    #[test]
    fn a_chart_names_itself_prints_each_number_and_escapes_its_labels() {
        let p = wilson(25, 100, Z_95);
        let none = wilson(0, 0, Z_95);
        let svg = proportions(
            "Responders <IMS>",
            &[
                Bar {
                    label: "At follow-up & after",
                    proportion: &p,
                },
                Bar {
                    label: "Later",
                    proportion: &none,
                },
            ],
            Some((80.0, 90.0)),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("aria-label=\"Responders &lt;IMS&gt;\""));
        assert!(svg.contains("25 % (25 of 100)"));
        assert!(svg.contains("At follow-up &amp; after"));
        assert!(svg.contains("claimed 80–90 %"));
        assert!(svg.contains("no answers"));
    }

    #[test]
    fn the_survival_curve_prints_the_numbers_at_risk_and_its_counts() {
        use jiff::civil::date;
        use myotome_core::time_to_surgery::{FollowUp, time_to_surgery};
        let start = date(2026, 1, 1);
        let curve = time_to_surgery(&[
            FollowUp {
                treated_on: Some(start),
                surgery_on: Some(date(2026, 5, 1)),
                last_contact: None,
            },
            FollowUp {
                treated_on: Some(start),
                surgery_on: None,
                last_contact: Some(date(2027, 1, 10)),
            },
        ]);
        let svg = survival("Time to surgery", &curve);
        assert!(svg.contains("aria-label=\"Time to surgery\""));
        assert!(svg.contains(">at risk<"));
        assert!(svg.contains(">3 months<"));
        assert!(svg.contains("1 surgery, 1 followed without"));
        assert!(
            svg.contains("V120.0"),
            "the curve steps down to 50 %: {svg}"
        );
    }

    #[test]
    fn a_trajectory_marks_what_was_not_answered() {
        let svg = trajectory(
            "Pain",
            &[
                Point {
                    label: "Before",
                    value: Some(7.0),
                },
                Point {
                    label: "6 weeks",
                    value: None,
                },
                Point {
                    label: "3 months",
                    value: Some(2.5),
                },
            ],
            Some(7.0),
            (0.0, 10.0),
            "lower is better",
        );
        assert!(svg.contains(">not answered<"));
        assert!(svg.contains(">2.5<") && svg.contains(">7<"));
        assert!(svg.contains("lower is better"));
    }
}
