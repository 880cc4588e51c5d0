//! Server-side SVG charts for reports: proportions as bars with their 95 % interval as a
//! whisker, and a claimed range as a shaded band. Drawn here in a few lines rather than with
//! a plotting crate: `plotters` lays text out with a font backend (ttf or ab_glyph plus the
//! system's fonts), which a server printing two kinds of chart should not depend on. Every
//! number is also printed as text beside its bar, so the chart reads in black and white.

use myotome_core::statistics::Proportion;
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
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = write!(svg, "<title>{}</title>", escape(title));
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
}
