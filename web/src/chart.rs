//! The geometry of the burn-down chart: scales, ticks and the points of each line, computed
//! from a plan's burn-down series. The view only turns these numbers into SVG elements.

use aud_core::api::BurnPoint;

use crate::format;

/// Width of the chart in SVG user units (it scales to its container).
pub const WIDTH: f64 = 760.0;
/// Height of the chart in SVG user units.
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// A y scale from 0 to `max` with round tick values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    /// The top of the axis (at least the largest value, and at least 1).
    pub max: usize,
    /// Tick values from 0 to `max`, evenly spaced.
    pub ticks: Vec<usize>,
}

/// A y scale for values up to `largest` with at most about `target` intervals, each a round
/// step (1, 2 or 5 times a power of ten).
pub fn nice_scale(largest: usize, target: usize) -> Scale {
    let target = target.max(1);
    let mut step = 1usize;
    'search: for power in 0..19u32 {
        let base = 10usize.saturating_pow(power);
        for m in [1usize, 2, 5] {
            step = m.saturating_mul(base);
            if largest.div_ceil(step) <= target {
                break 'search;
            }
        }
    }
    let max = largest.div_ceil(step).max(1).saturating_mul(step);
    Scale {
        max,
        ticks: (0..=max / step).map(|i| i * step).collect(),
    }
}

/// Which run numbers (1-based) get a label on the x axis: all of them up to `max_labels`, else
/// every k-th with k a round step, always starting at 1.
pub fn x_label_runs(runs: usize, max_labels: usize) -> Vec<usize> {
    if runs == 0 {
        return Vec::new();
    }
    let max_labels = max_labels.max(1);
    let step = [1usize, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]
        .into_iter()
        .find(|s| runs.div_ceil(*s) <= max_labels)
        .unwrap_or_else(|| runs.div_ceil(max_labels));
    (1..=runs).step_by(step).collect()
}

/// A point of a line, in SVG user units.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position (down is larger).
    pub y: f64,
}

/// One run as a marker on the plan line.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMarker {
    /// Where it is drawn.
    pub at: Point,
    /// 1-based position of the run in the plan.
    pub run: usize,
    /// The task verified.
    pub task_number: u32,
    /// The plan's violations after the run.
    pub plan_violations: usize,
    /// The tooltip text.
    pub title: String,
}

/// One task's violations over the runs that verified it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLine {
    /// The task.
    pub task_number: u32,
    /// Its runs, then a flat extension to the last run of the plan (its total holds until
    /// it is verified again).
    pub points: Vec<Point>,
    /// The markers of its own runs.
    pub markers: Vec<(Point, String)>,
}

/// Everything the burn-down SVG draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The plotting area: left, top, right, bottom.
    pub plot: (f64, f64, f64, f64),
    /// Y ticks: value and vertical position.
    pub y_ticks: Vec<(usize, f64)>,
    /// X labels: run number and horizontal position.
    pub x_ticks: Vec<(usize, f64)>,
    /// The plan line, one marker per run.
    pub plan: Vec<RunMarker>,
    /// One line per task verified at least once, by task number.
    pub tasks: Vec<TaskLine>,
}

/// The horizontal position of the `i`-th (0-based) of `n` runs.
fn x_of(i: usize, n: usize) -> f64 {
    let width = WIDTH - LEFT - RIGHT;
    if n <= 1 {
        LEFT + width / 2.0
    } else {
        LEFT + width * i as f64 / (n - 1) as f64
    }
}

/// The vertical position of `value` on a scale up to `max`.
fn y_of(value: usize, max: usize) -> f64 {
    let height = HEIGHT - TOP - BOTTOM;
    TOP + height * (1.0 - value as f64 / max.max(1) as f64)
}

/// Lays out the chart of a burn-down series.
pub fn layout(series: &[BurnPoint]) -> Chart {
    let n = series.len();
    let largest = series
        .iter()
        .map(|p| p.plan_violations.max(p.task_violations))
        .max()
        .unwrap_or(0);
    let scale = nice_scale(largest, 5);
    let plan = series
        .iter()
        .enumerate()
        .map(|(i, p)| RunMarker {
            at: Point {
                x: x_of(i, n),
                y: y_of(p.plan_violations, scale.max),
            },
            run: i + 1,
            task_number: p.task_number,
            plan_violations: p.plan_violations,
            title: format!(
                "Run {} · {}\nTask {} (verification {}): {} violation{}\nPlan: {} violation{}",
                i + 1,
                format::short_time(&p.created_at),
                p.task_number,
                p.sequence,
                p.task_violations,
                plural(p.task_violations),
                p.plan_violations,
                plural(p.plan_violations),
            ),
        })
        .collect();
    let mut task_numbers: Vec<u32> = series.iter().map(|p| p.task_number).collect();
    task_numbers.sort_unstable();
    task_numbers.dedup();
    let tasks = task_numbers
        .into_iter()
        .map(|task_number| {
            let markers: Vec<(Point, String)> = series
                .iter()
                .enumerate()
                .filter(|(_, p)| p.task_number == task_number)
                .map(|(i, p)| {
                    let at = Point {
                        x: x_of(i, n),
                        y: y_of(p.task_violations, scale.max),
                    };
                    let title = format!(
                        "Task {task_number}, verification {} · {}\n{} violation{}",
                        p.sequence,
                        format::short_time(&p.created_at),
                        p.task_violations,
                        plural(p.task_violations)
                    );
                    (at, title)
                })
                .collect();
            let mut points: Vec<Point> = markers.iter().map(|(p, _)| p.clone()).collect();
            if let Some(last) = points.last().cloned() {
                let end = x_of(n.saturating_sub(1), n);
                if end > last.x {
                    points.push(Point { x: end, y: last.y });
                }
            }
            TaskLine {
                task_number,
                points,
                markers,
            }
        })
        .collect();
    Chart {
        plot: (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM),
        y_ticks: scale
            .ticks
            .iter()
            .map(|&v| (v, y_of(v, scale.max)))
            .collect(),
        x_ticks: x_label_runs(n, 12)
            .into_iter()
            .map(|run| (run, x_of(run - 1, n)))
            .collect(),
        plan,
        tasks,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The `points` attribute of an SVG polyline.
pub fn polyline(points: impl IntoIterator<Item = Point>) -> String {
    points
        .into_iter()
        .map(|p| format!("{:.1},{:.1}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A distinct, readable colour for a task's line.
pub fn task_color(task_number: u32) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#d9480f", "#2b8a3e", "#862e9c", "#1971c2", "#e67700", "#0b7285", "#c2255c", "#5f3dc4",
    ];
    let i = usize::try_from(task_number.saturating_sub(1)).unwrap_or(0) % PALETTE.len();
    PALETTE[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(task_number: u32, sequence: u32, task: usize, plan: usize) -> BurnPoint {
        BurnPoint {
            run_id: 0,
            task_number,
            sequence,
            created_at: "2026-11-28T10:07:31Z".into(),
            task_violations: task,
            plan_violations: plan,
        }
    }

    #[test]
    fn nice_scales_round_up_to_a_step() {
        assert_eq!(
            nice_scale(0, 5),
            Scale {
                max: 1,
                ticks: vec![0, 1]
            }
        );
        assert_eq!(nice_scale(1, 5).ticks, [0, 1]);
        assert_eq!(nice_scale(4, 5).ticks, [0, 1, 2, 3, 4]);
        assert_eq!(nice_scale(7, 5).ticks, [0, 2, 4, 6, 8]);
        assert_eq!(nice_scale(10, 5).ticks, [0, 2, 4, 6, 8, 10]);
        assert_eq!(nice_scale(23, 5).ticks, [0, 5, 10, 15, 20, 25]);
        assert_eq!(nice_scale(101, 5).max, 150);
        let big = nice_scale(987_654, 5);
        assert!(big.max >= 987_654 && big.ticks.len() <= 6, "{big:?}");
        assert_eq!(nice_scale(usize::MAX / 2, 5).ticks.first(), Some(&0));
    }

    #[test]
    fn x_labels_thin_out_with_many_runs() {
        assert!(x_label_runs(0, 12).is_empty());
        assert_eq!(x_label_runs(3, 12), [1, 2, 3]);
        assert_eq!(x_label_runs(12, 12).len(), 12);
        assert_eq!(x_label_runs(13, 12), [1, 3, 5, 7, 9, 11, 13]);
        assert_eq!(x_label_runs(100, 12).len(), 10);
    }

    #[test]
    fn layout_places_one_marker_per_run_inside_the_plot() {
        let series = [
            point(1, 1, 3, 3),
            point(2, 1, 7, 10),
            point(1, 2, 0, 7),
            point(2, 2, 2, 2),
        ];
        let chart = layout(&series);
        let (left, top, right, bottom) = chart.plot;
        assert_eq!(chart.plan.len(), 4);
        assert_eq!(chart.plan[0].at.x, left);
        assert_eq!(chart.plan[3].at.x, right);
        for m in &chart.plan {
            assert!((top..=bottom).contains(&m.at.y));
        }
        // The scale is 0..10: 10 violations is the top, 0 the bottom.
        assert_eq!(chart.plan[1].at.y, top);
        assert_eq!(chart.tasks[0].markers[1].0.y, bottom);
        assert!(
            chart.plan[0].title.contains("Run 1"),
            "{}",
            chart.plan[0].title
        );
        assert!(chart.plan[1].title.contains("Plan: 10 violations"));
        assert!(
            chart.plan[1]
                .title
                .contains("Task 2 (verification 1): 7 violations")
        );
        // Task 1 ran at runs 1 and 3; its line holds its last total to the last run.
        assert_eq!(chart.tasks.len(), 2);
        let t1 = &chart.tasks[0];
        assert_eq!(t1.task_number, 1);
        assert_eq!(t1.markers.len(), 2);
        assert_eq!(t1.points.len(), 3);
        assert_eq!(t1.points[2].x, right);
        assert_eq!(t1.points[2].y, t1.points[1].y);
        // Task 2 ran last: no extension.
        assert_eq!(chart.tasks[1].points.len(), 2);
        assert_eq!(chart.y_ticks.first().map(|t| t.0), Some(0));
        assert_eq!(chart.y_ticks.last().map(|t| t.0), Some(10));
        assert_eq!(chart.x_ticks.len(), 4);
    }

    #[test]
    fn a_single_run_is_centred_and_an_empty_series_draws_nothing() {
        let chart = layout(&[point(1, 1, 0, 0)]);
        let (left, _, right, bottom) = chart.plot;
        assert_eq!(chart.plan[0].at.x, (left + right) / 2.0);
        assert_eq!(chart.plan[0].at.y, bottom);
        assert!(chart.plan[0].title.contains("0 violations"));
        let empty = layout(&[]);
        assert!(empty.plan.is_empty() && empty.tasks.is_empty() && empty.x_ticks.is_empty());
    }

    #[test]
    fn polyline_formats_points() {
        let pts = [Point { x: 1.0, y: 2.26 }, Point { x: 3.5, y: 4.0 }];
        assert_eq!(polyline(pts), "1.0,2.3 3.5,4.0");
        assert_eq!(polyline([]), "");
        assert_ne!(task_color(1), task_color(2));
        assert_eq!(task_color(1), task_color(9));
        assert_eq!(task_color(0), task_color(1));
    }
}
