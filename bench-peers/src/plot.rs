//! The SVG plot: median cost against group size, one panel per scenario, one line per
//! implementation, log-log.

use std::path::Path;

use plotters::prelude::*;

use crate::run::Results;

/// Why the plot could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("plot: {0}")]
pub struct PlotError(String);

/// Line colours, in the order of `results.labels`.
const COLORS: [RGBColor; 5] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
];

/// Draws `scenarios` (side by side) from `results` into the SVG file `path`.
///
/// # Errors
/// [`PlotError`] when drawing or writing fails, or a scenario has no measurement.
pub fn draw(path: &Path, results: &Results, scenarios: &[&str]) -> Result<(), PlotError> {
    let err = |e: &dyn std::fmt::Display| PlotError(e.to_string());
    let width = 520 * u32::try_from(scenarios.len().max(1)).map_err(|e| err(&e))?;
    let root = SVGBackend::new(path, (width, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let panels = root.split_evenly((1, scenarios.len().max(1)));
    for (panel, scenario) in panels.iter().zip(scenarios) {
        let points: Vec<_> = results
            .measurements
            .iter()
            .filter(|m| m.scenario == *scenario)
            .collect();
        let (Some(x_min), Some(x_max)) = (
            points.iter().map(|m| m.n).min(),
            points.iter().map(|m| m.n).max(),
        ) else {
            return Err(PlotError(format!("no measurement of {scenario}")));
        };
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        let y_min = points.iter().map(|m| ms(m.median)).fold(f64::MAX, f64::min);
        let y_max = points.iter().map(|m| ms(m.median)).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{scenario} (median, ms)"), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(
                (x_min as f64 * 0.8..x_max as f64 * 1.25).log_scale(),
                (y_min * 0.7..y_max * 1.5).log_scale(),
            )
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("group size N")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.2}"))
            .draw()
            .map_err(|e| err(&e))?;
        for (i, label) in results.labels.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let mut line: Vec<(f64, f64)> = points
                .iter()
                .filter(|m| m.implementation == *label)
                .map(|m| (m.n as f64, ms(m.median)))
                .collect();
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            chart
                .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                .map_err(|e| err(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
