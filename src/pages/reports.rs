//! The supervision bulletin's page (`templates/admin/reports.html`), its CSV, and the
//! weights page. One list of columns serves the table and the CSV, so the download is
//! exactly the table shown.

use askama::Template;

use super::admin::AdminContext;
use super::PageContext;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::bulletin::{Figures, Grouping, Period, Weights};
use crate::i18n::Locale;
use crate::services::bulletin::{Bulletin, PublicStats};

/// A figure as the table and the CSV give it.
enum Cell {
    Count(u32),
    /// A share 0–1, shown as a percentage; `None`: nothing to count.
    Share(Option<f64>),
    Number(Option<f64>),
}

impl Cell {
    fn shown(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Share(Some(share)) => format!("{:.1}%", share * 100.0),
            Cell::Number(Some(value)) => format!("{value:.1}"),
            Cell::Share(None) | Cell::Number(None) => "—".to_owned(),
        }
    }

    /// Plain numbers for a spreadsheet; an empty cell for n/a.
    fn csv(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Share(Some(share)) => format!("{:.1}", share * 100.0),
            Cell::Number(Some(value)) => format!("{value:.1}"),
            Cell::Share(None) | Cell::Number(None) => String::new(),
        }
    }
}

/// The bulletin's columns: the CSV header code, the heading's message key, the figure.
type Column = (&'static str, &'static str, fn(&Figures, &Weights) -> Cell);

const COLUMNS: [Column; 13] = [
    ("received", "reports.column.received", |f, _| {
        Cell::Count(f.received)
    }),
    (
        "accepted_on_time_pct",
        "reports.column.accepted_on_time",
        |f, _| Cell::Share(f.accepted.share()),
    ),
    (
        "finished_on_time_pct",
        "reports.column.finished_on_time",
        |f, _| Cell::Share(f.finished.share()),
    ),
    ("overdue_now", "reports.column.overdue_now", |f, _| {
        Cell::Count(f.overdue_now)
    }),
    (
        "median_days_to_accept",
        "reports.column.median_accept",
        |f, _| Cell::Number(f.median_days_to_accept),
    ),
    (
        "median_days_to_finish",
        "reports.column.median_finish",
        |f, _| Cell::Number(f.median_days_to_finish),
    ),
    ("returns", "reports.column.returns", |f, _| {
        Cell::Count(f.returns)
    }),
    ("returns_upheld", "reports.column.upheld", |f, _| {
        Cell::Count(f.upheld)
    }),
    ("escalations", "reports.column.escalations", |f, _| {
        Cell::Count(f.escalations)
    }),
    ("reopen_rate_pct", "reports.column.reopen_rate", |f, _| {
        Cell::Share(f.reopen_rate())
    }),
    ("satisfaction", "reports.column.satisfaction", |f, _| {
        Cell::Number(f.satisfaction())
    }),
    ("score", "reports.column.score", |f, w| {
        Cell::Number(f.score(w))
    }),
    // Issue 13: joint-action tasks reported by their date; not part of the score.
    (
        "joint_tasks_on_time_pct",
        "reports.column.joint_tasks_on_time",
        |f, _| Cell::Share(f.joint_tasks.share()),
    ),
];

pub struct ReportRow {
    pub rank: Option<usize>,
    pub code: String,
    pub name: String,
    pub cells: Vec<String>,
}

/// One bar of a chart: where it stands in the SVG's own units, and what it says.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub label: String,
    pub value: String,
}

pub struct Chart {
    pub title: String,
    pub desc: String,
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
}

pub struct WeekRow {
    pub from: String,
    pub to: String,
    pub cells: Vec<String>,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/reports.html")]
pub struct ReportsPage {
    pub admin: AdminContext,
    pub problems: Vec<&'static str>,
    pub from: String,
    pub to: String,
    pub groups: Vec<Choice>,
    pub group_label: &'static str,
    pub period_text: String,
    pub today: String,
    pub headings: Vec<&'static str>,
    pub ranked: Vec<ReportRow>,
    pub unranked: Vec<ReportRow>,
    pub formula: String,
    pub weights_note: String,
    pub csv_href: String,
    pub may_edit_weights: bool,
    pub weeks: Vec<WeekRow>,
    pub week_headings: Vec<&'static str>,
    pub trend_chart: Chart,
    pub score_chart: Chart,
}

fn name_of(reference: &ReferenceData, grouping: Grouping, code: &str, locale: Locale) -> String {
    let named: Option<&dyn Named> = match grouping {
        Grouping::Department => reference.department(code).map(|d| d as &dyn Named),
        Grouping::District => reference.district(code).map(|d| d as &dyn Named),
        Grouping::Category => reference.category(code).map(|c| c as &dyn Named),
    };
    named.map_or_else(|| code.to_owned(), |n| n.name(locale).to_owned())
}

fn rows(
    bulletin: &Bulletin,
    reference: &ReferenceData,
    locale: Locale,
) -> (Vec<ReportRow>, Vec<ReportRow>) {
    let grouping = bulletin.request.grouping;
    let row = |rank: Option<usize>, (code, figures): &(String, Figures)| ReportRow {
        rank,
        code: code.clone(),
        name: name_of(reference, grouping, code, locale),
        cells: COLUMNS
            .iter()
            .map(|(_, _, cell)| cell(figures, &bulletin.weights).shown())
            .collect(),
    };
    (
        bulletin
            .ranked
            .iter()
            .enumerate()
            .map(|(i, r)| row(Some(i + 1), r))
            .collect(),
        bulletin.unranked.iter().map(|r| row(None, r)).collect(),
    )
}

/// The CSV of the table shown: UTF-8 with a byte-order mark (so spreadsheet programs read
/// the Chinese names), one header row of stable codes, ranked rows then the others.
pub fn csv(bulletin: &Bulletin, reference: &ReferenceData, locale: Locale) -> Vec<u8> {
    let grouping = bulletin.request.grouping.as_str();
    let mut writer = ::csv::Writer::from_writer(Vec::from(*b"\xEF\xBB\xBF"));
    let mut header = vec![format!("{grouping}_code"), grouping.to_owned()];
    header.extend(COLUMNS.iter().map(|(code, _, _)| (*code).to_owned()));
    header.push("rank".to_owned());
    // Writing to memory cannot fail.
    let _ = writer.write_record(&header);
    let all = bulletin
        .ranked
        .iter()
        .enumerate()
        .map(|(i, r)| (Some(i + 1), r))
        .chain(bulletin.unranked.iter().map(|r| (None, r)));
    for (rank, (code, figures)) in all {
        let mut record = vec![
            code.clone(),
            name_of(reference, bulletin.request.grouping, code, locale),
        ];
        record.extend(
            COLUMNS
                .iter()
                .map(|(_, _, cell)| cell(figures, &bulletin.weights).csv()),
        );
        record.push(rank.map(|r| r.to_string()).unwrap_or_default());
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// Bars side by side, `values` scaled to the tallest (at least `floor`).
fn column_chart(
    title: String,
    desc: String,
    values: &[(String, f64, String)],
    floor: f64,
) -> Chart {
    const HEIGHT: u32 = 120;
    const STEP: u32 = 40;
    let top = values.iter().map(|(_, v, _)| *v).fold(floor, f64::max);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, (label, value, shown))| {
            let height = if top > 0.0 {
                (value / top * f64::from(HEIGHT)).round() as u32
            } else {
                0
            };
            Bar {
                x: u32::try_from(i).unwrap_or(0) * STEP + 4,
                y: HEIGHT - height,
                width: STEP - 8,
                height,
                label: label.clone(),
                value: shown.clone(),
            }
        })
        .collect();
    Chart {
        title,
        desc,
        width: u32::try_from(values.len().max(1)).unwrap_or(1) * STEP,
        height: HEIGHT,
        bars,
    }
}

/// Horizontal bars, 0–100.
fn score_chart(title: String, desc: String, rows: &[ReportRow], scores: &[f64]) -> Chart {
    const ROW: u32 = 22;
    let bars = rows
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(i, (row, score))| Bar {
            x: 0,
            y: u32::try_from(i).unwrap_or(0) * ROW,
            width: (score * 3.0).round() as u32,
            height: ROW - 6,
            label: row.name.clone(),
            value: format!("{score:.1}"),
        })
        .collect();
    Chart {
        title,
        desc,
        width: 300,
        height: u32::try_from(rows.len().max(1)).unwrap_or(1) * ROW,
        bars,
    }
}

/// What the page shows besides the bulletin itself.
pub struct ReportsFrame {
    pub admin: AdminContext,
    pub problems: Vec<&'static str>,
    pub today: String,
    pub csv_href: String,
    pub may_edit_weights: bool,
}

pub fn page(bulletin: &Bulletin, reference: &ReferenceData, frame: ReportsFrame) -> ReportsPage {
    let admin = frame.admin;
    let locale = admin.ctx.locale;
    let t = |key: &str| crate::i18n::t(locale, key);
    let t_args = |key: &str, args: &[(&str, &str)]| crate::i18n::t_args(locale, key, args);
    let Period { from, to } = bulletin.request.period;
    let (ranked, unranked) = rows(bulletin, reference, locale);
    let weights = bulletin.weights;
    let parts = weights.parts();
    let weight = |i: usize| parts[i].to_string();
    let formula = t_args(
        "reports.formula",
        &[
            ("finished", &weight(0)),
            ("accepted", &weight(1)),
            ("satisfaction", &weight(2)),
            ("reopen", &weight(3)),
            ("returns", &weight(4)),
        ],
    );
    let weights_note = match bulletin.weights_changed_at {
        Some(at) => t_args(
            "reports.weights_changed",
            &[("at", &super::city_minute(at))],
        ),
        None => t("reports.weights_default").to_owned(),
    };
    type WeekColumn = (&'static str, fn(&Figures) -> Cell);
    let week_columns: [WeekColumn; 4] = [
        ("reports.column.received", |f| Cell::Count(f.received)),
        ("reports.column.accepted_on_time", |f| {
            Cell::Share(f.accepted.share())
        }),
        ("reports.column.finished_on_time", |f| {
            Cell::Share(f.finished.share())
        }),
        ("reports.column.escalations", |f| Cell::Count(f.escalations)),
    ];
    let weeks: Vec<WeekRow> = bulletin
        .weeks
        .iter()
        .map(|(week, figures)| WeekRow {
            from: week.from.to_string(),
            to: week.to.to_string(),
            cells: week_columns
                .iter()
                .map(|(_, cell)| cell(figures).shown())
                .collect(),
        })
        .collect();
    let trend_chart = column_chart(
        t("reports.trend.title").to_owned(),
        t("reports.trend.desc").to_owned(),
        &bulletin
            .weeks
            .iter()
            .map(|(week, f)| {
                (
                    week.from.format("%m-%d").to_string(),
                    f64::from(f.received),
                    f.received.to_string(),
                )
            })
            .collect::<Vec<_>>(),
        1.0,
    );
    let scores: Vec<f64> = bulletin
        .ranked
        .iter()
        .map(|(_, f)| f.score(&weights).unwrap_or(0.0))
        .collect();
    let score_chart = score_chart(
        t("reports.score_chart.title").to_owned(),
        t("reports.score_chart.desc").to_owned(),
        &ranked,
        &scores,
    );
    let grouping = bulletin.request.grouping;
    ReportsPage {
        problems: frame.problems,
        from: from.to_string(),
        to: to.to_string(),
        groups: Grouping::ALL
            .iter()
            .map(|g| Choice {
                value: g.as_str(),
                label: t(&format!("reports.group.{}", g.as_str())),
                selected: *g == grouping,
            })
            .collect(),
        group_label: t(&format!("reports.group.{}", grouping.as_str())),
        period_text: t_args(
            "reports.period",
            &[("from", &from.to_string()), ("to", &to.to_string())],
        ),
        today: frame.today,
        headings: COLUMNS.iter().map(|(_, key, _)| t(key)).collect(),
        ranked,
        unranked,
        formula,
        weights_note,
        csv_href: frame.csv_href,
        may_edit_weights: frame.may_edit_weights,
        weeks,
        week_headings: week_columns.iter().map(|(key, _)| t(key)).collect(),
        trend_chart,
        score_chart,
        admin,
    }
}

/// One weight's input: its name, label and the value shown.
pub struct WeightInput {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin/report_weights.html")]
pub struct WeightsPage {
    pub admin: AdminContext,
    pub inputs: Vec<WeightInput>,
    pub error: Option<&'static str>,
}

/// The public figures' columns: counts and shares, no score.
const PUBLIC_COLUMNS: [Column; 6] = [
    COLUMNS[0],
    COLUMNS[1],
    COLUMNS[2],
    COLUMNS[5],
    COLUMNS[9],
    COLUMNS[10],
];

pub struct StatsTable {
    pub id: &'static str,
    pub title: &'static str,
    pub group_label: &'static str,
    pub rows: Vec<ReportRow>,
}

#[derive(Template)]
#[template(path = "public/stats.html")]
pub struct StatsPage {
    pub ctx: PageContext,
    pub period_text: String,
    pub headings: Vec<&'static str>,
    pub city: Vec<String>,
    pub tables: Vec<StatsTable>,
    /// Received, then finished on time, month by month.
    pub charts: Vec<Chart>,
    pub months: Vec<WeekRow>,
}

pub fn stats_page(stats: &PublicStats, reference: &ReferenceData, ctx: PageContext) -> StatsPage {
    let locale = ctx.locale;
    let t = |key: &str| crate::i18n::t(locale, key);
    let weights = Weights::default();
    let cells = |f: &Figures| -> Vec<String> {
        PUBLIC_COLUMNS
            .iter()
            .map(|(_, _, cell)| cell(f, &weights).shown())
            .collect()
    };
    let tables = stats
        .groups
        .iter()
        .map(|(grouping, rows)| StatsTable {
            id: grouping.as_str(),
            title: t(&format!("stats.by.{}", grouping.as_str())),
            group_label: t(&format!("reports.group.{}", grouping.as_str())),
            rows: rows
                .iter()
                .map(|(code, f)| ReportRow {
                    rank: None,
                    code: code.clone(),
                    name: name_of(reference, *grouping, code, locale),
                    cells: cells(f),
                })
                .collect(),
        })
        .collect();
    let month_label = |p: &Period| p.from.format("%Y-%m").to_string();
    // The charts are narrow: a bar is labelled with its month's number alone.
    let bar_label = |p: &Period| p.from.format("%m").to_string();
    let received_chart = column_chart(
        t("stats.chart.received").to_owned(),
        t("stats.chart.received_desc").to_owned(),
        &stats
            .months
            .iter()
            .map(|(p, f)| (bar_label(p), f64::from(f.received), f.received.to_string()))
            .collect::<Vec<_>>(),
        1.0,
    );
    let on_time_chart = column_chart(
        t("stats.chart.on_time").to_owned(),
        t("stats.chart.on_time_desc").to_owned(),
        &stats
            .months
            .iter()
            .map(|(p, f)| {
                let share = f.finished.share();
                (
                    bar_label(p),
                    share.unwrap_or(0.0) * 100.0,
                    Cell::Share(share).shown(),
                )
            })
            .collect::<Vec<_>>(),
        100.0,
    );
    let months = stats
        .months
        .iter()
        .map(|(p, f)| WeekRow {
            from: month_label(p),
            to: String::new(),
            cells: cells(f),
        })
        .collect();
    StatsPage {
        period_text: crate::i18n::t_args(
            locale,
            "reports.period",
            &[
                ("from", &stats.period.from.to_string()),
                ("to", &stats.period.to.to_string()),
            ],
        ),
        headings: PUBLIC_COLUMNS.iter().map(|(_, key, _)| t(key)).collect(),
        city: cells(&stats.city),
        tables,
        charts: vec![received_chart, on_time_chart],
        months,
        ctx,
    }
}
