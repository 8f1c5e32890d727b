//! The rollout timeline: one lane per group and platform, each enforcement target a mark at
//! its deadline, a line for now, a month axis. Drawn as inline SVG, so the page needs nothing
//! from the network; shapes and words (not colour alone) tell BSIs and past deadlines apart.

use super::html::esc;
use crate::analysis::{self, targets::Target};
use crate::model::{LocalDateTime, Platform};
use crate::pipeline::Compilation;
use jiff::ToSpan;
use jiff::civil::Date;
use std::fmt::Write;

/// The devices of one group on one platform.
pub struct Lane {
    pub group: String,
    pub platform: Platform,
    /// In deadline order.
    pub marks: Vec<Mark>,
}

/// One enforcement declaration that reaches a lane.
pub struct Mark {
    pub identifier: String,
    pub version: String,
    pub build: Option<String>,
    /// The BSI half of a supplemental entry (devices at exactly its base version).
    pub bsi: bool,
    pub deadline: LocalDateTime,
    pub past: bool,
    pub policy: String,
    /// `file:line` of the entry's deadline.
    pub place: String,
    /// `DetailsURL`, shown as text (the page links nowhere).
    pub details_url: Option<String>,
    /// How Apple's catalog chose the target or the deadline (the rule, and the deadline
    /// arithmetic), when the policy did not spell them out.
    pub from_catalog: Option<String>,
}

impl Mark {
    /// What the mark says on the page.
    pub fn label(&self) -> String {
        match (&self.build, self.bsi) {
            (Some(build), true) => format!("BSI {build}"),
            (Some(build), false) => format!("{} ({build})", self.version),
            (None, _) => self.version.clone(),
        }
    }
}

/// A lane for every group and every platform a policy reaching that group targets.
pub fn lanes(compiled: &Compilation, now: LocalDateTime) -> Vec<Lane> {
    let targets: Vec<Target<'_>> = compiled.declarations.iter().filter_map(Target::read).collect();
    let resolutions = compiled.resolutions();
    let mut out = Vec::new();
    for group in compiled.groups() {
        for platform in Platform::ALL {
            let targeted = compiled.policies.iter().any(|l| {
                analysis::in_group(Some(&l.policy.targets.groups), group)
                    && l.policy.targets.platforms.contains(&platform)
            });
            if !targeted {
                continue;
            }
            let mut marks: Vec<Mark> = targets
                .iter()
                .filter(|t| {
                    let origin = t.declaration.origin.as_ref().map(|o| o.groups.as_slice());
                    analysis::in_group(origin, group) && t.declaration.applies_to.iter().any(|r| r.platform == platform)
                })
                .filter_map(|t| mark(t, compiled, resolutions.get(&t.declaration.identifier), now))
                .collect();
            marks.sort_by(|a, b| (a.deadline, &a.identifier).cmp(&(b.deadline, &b.identifier)));
            out.push(Lane { group: group.to_string(), platform, marks });
        }
    }
    out
}

fn mark(
    t: &Target<'_>,
    compiled: &Compilation,
    resolved: Option<&crate::resolve::Provenance>,
    now: LocalDateTime,
) -> Option<Mark> {
    let deadline = t.deadline;
    let origin = t.declaration.origin.as_ref()?;
    let entry = t.enforcement.entry.to_string();
    let line = compiled
        .policies
        .iter()
        .find(|l| l.policy.id == origin.policy)
        .map(|l| l.doc.span(&["enforce", &entry, "deadline"]).start.line);
    let place = match line {
        Some(line) => format!("{}:{line}", origin.source),
        None => origin.source.clone(),
    };
    Some(Mark {
        identifier: t.declaration.identifier.clone(),
        version: t.version.to_string(),
        build: t.build.map(ToString::to_string),
        bsi: t.supplemental,
        deadline,
        past: deadline <= now,
        policy: origin.policy.clone(),
        place,
        details_url: t.enforcement.details_url.clone(),
        from_catalog: resolved.filter(|p| p.from_catalog()).map(|p| match &p.arithmetic {
            Some(arithmetic) => format!("{}; {arithmetic}", p.rule),
            None => p.rule.clone(),
        }),
    })
}

const WIDTH: f64 = 1200.0;
const LABELS: f64 = 190.0;
const RIGHT: f64 = 60.0;
const TOP: f64 = 44.0;
const LANE: f64 = 72.0;
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The dates the axis spans: whole months around every deadline and now.
struct Axis {
    start: Date,
    end: Date,
}

impl Axis {
    fn new(lanes: &[Lane], now: LocalDateTime) -> Axis {
        let dates = lanes.iter().flat_map(|l| &l.marks).map(|m| m.deadline.civil().date());
        let today = now.civil().date();
        let (low, high) = dates.fold((today, today), |(lo, hi), d| (lo.min(d), hi.max(d)));
        // Room before the first mark for its label.
        let start = low.checked_sub(10.days()).unwrap_or(low).first_of_month();
        let mut end = high.first_of_month().checked_add(1.month()).unwrap_or(high);
        // At least three months, so a lone deadline is not squeezed against an edge.
        for _ in 0..3 {
            if months_between(start, end) >= 3 {
                break;
            }
            end = end.checked_add(1.month()).unwrap_or(end);
        }
        Axis { start, end }
    }

    fn days(&self) -> f64 {
        f64::from(self.end.since(self.start).map(|s| s.get_days()).unwrap_or(1).max(1))
    }

    /// Horizontal position of a date-time.
    fn x(&self, at: LocalDateTime) -> f64 {
        let civil = at.civil();
        let days = f64::from(civil.date().since(self.start).map(|s| s.get_days()).unwrap_or(0));
        let seconds = f64::from(civil.hour()) * 3600.0 + f64::from(civil.minute()) * 60.0 + f64::from(civil.second());
        LABELS + (days + seconds / 86_400.0) / self.days() * (WIDTH - LABELS - RIGHT)
    }
}

fn months_between(a: Date, b: Date) -> i32 {
    (i32::from(b.year()) - i32::from(a.year())) * 12 + i32::from(b.month()) - i32::from(a.month())
}

/// The timeline as inline SVG.
pub fn svg(lanes: &[Lane], now: LocalDateTime) -> String {
    let axis = Axis::new(lanes, now);
    let height = TOP + LANE * lanes.len() as f64 + 16.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" \
         aria-labelledby=\"timeline-title\">\n\
         <title id=\"timeline-title\">Enforcement deadlines per group and platform</title>\n"
    );
    for (i, lane) in lanes.iter().enumerate() {
        let y = TOP + LANE * i as f64;
        let _ = writeln!(
            out,
            "<g class=\"lane\" data-groups=\"{}\" data-platform=\"{}\"><rect class=\"lane-bg{}\" x=\"0\" y=\"{y}\" \
             width=\"{WIDTH}\" height=\"{LANE}\"/><text class=\"lane-label\" x=\"8\" y=\"{}\"><title>{}</title>{}</text>\
             <text class=\"lane-platform\" x=\"8\" y=\"{}\">{}</text>",
            esc(&lane.group),
            lane.platform.as_str(),
            if i % 2 == 1 { " odd" } else { "" },
            y + 30.0,
            esc(&lane.group),
            esc(&shortened(&lane.group)),
            y + 48.0,
            lane.platform.as_str()
        );
        if lane.marks.is_empty() {
            let _ = write!(out, "<text class=\"none\" x=\"{}\" y=\"{}\">no enforcement</text>", LABELS + 8.0, y + 40.0);
        }
        for mark in &lane.marks {
            out.push_str(&mark_svg(mark, axis.x(mark.deadline), y + LANE / 2.0));
        }
        out.push_str("</g>\n");
    }
    months(&mut out, &axis, height);
    let x = axis.x(now);
    let _ = write!(
        out,
        "<g class=\"now\"><line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\"/>\
         <text x=\"{:.1}\" y=\"{}\">now {}</text></g>\n</svg>",
        TOP - 6.0,
        height - 4.0,
        x + 4.0,
        TOP - 8.0,
        now.civil().date()
    );
    out
}

/// A group name that fits the label column; the lane's `<title>` has it whole.
fn shortened(name: &str) -> String {
    const FITS: usize = 22;
    if name.chars().count() <= FITS {
        return name.to_string();
    }
    let mut short: String = name.chars().take(FITS - 1).collect();
    short.push('…');
    short
}

/// Grid lines and labels at the first of each month (every few months on a long axis).
fn months(out: &mut String, axis: &Axis, height: f64) {
    let total = months_between(axis.start, axis.end).max(1);
    let step = (total + 11) / 12;
    out.push_str("<g class=\"axis\">");
    for i in (0..=total).step_by(usize::try_from(step).unwrap_or(1).max(1)) {
        let Ok(date) = axis.start.checked_add(i.months()) else { break };
        let x = axis.x(LocalDateTime::at(date, jiff::civil::Time::midnight()));
        let name = MONTHS[usize::from(date.month().unsigned_abs()).saturating_sub(1) % 12];
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\"/><text x=\"{:.1}\" y=\"14\">{name} {}</text>",
            TOP - 4.0,
            height - 16.0,
            x + 3.0,
            date.year()
        );
    }
    out.push_str("</g>\n");
}

/// A diamond for an OS update, a triangle for a BSI; hollow and labelled "past" when its
/// deadline has passed; ringed and labelled "latest" when Apple's catalog chose it.
fn mark_svg(mark: &Mark, x: f64, middle: f64) -> String {
    // An update sits above the lane's middle and a BSI below: the two halves of a supplemental
    // entry share a deadline, and neither may hide the other.
    let y = if mark.bsi { middle + 9.0 } else { middle - 7.0 };
    let classes = format!(
        "mark{}{}{}",
        if mark.bsi { " bsi" } else { " update" },
        if mark.past { " past" } else { "" },
        if mark.from_catalog.is_some() { " catalog" } else { "" }
    );
    let ring = match mark.from_catalog {
        Some(_) => format!("<circle class=\"ring\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"12\"/>"),
        None => String::new(),
    };
    let shape = if mark.bsi {
        format!(
            "<polygon points=\"{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\"/>",
            y - 8.0,
            x + 8.0,
            y + 7.0,
            x - 8.0,
            y + 7.0
        )
    } else {
        format!(
            "<polygon points=\"{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}\"/>",
            y - 8.0,
            x + 8.0,
            y + 8.0,
            x - 8.0
        )
    };
    let past = if mark.past { " (past)" } else { "" };
    let catalog = if mark.from_catalog.is_some() { " ◎" } else { "" };
    let why = mark.from_catalog.as_deref().map(|rule| format!("; Apple's catalog: {rule}")).unwrap_or_default();
    let label_y = if mark.bsi { y + 22.0 } else { y - 12.0 };
    format!(
        "<g class=\"{classes}\" data-identifier=\"{}\" data-deadline=\"{}\"><title>{} by {} ({}, {}){}</title>\
         {ring}{shape}<text x=\"{x:.1}\" y=\"{label_y:.1}\">{}{catalog}{past}</text></g>",
        esc(&mark.identifier),
        mark.deadline,
        esc(&mark.label()),
        mark.deadline,
        esc(&mark.policy),
        esc(&mark.place),
        esc(&why),
        esc(&mark.label()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(deadline: &str, bsi: bool) -> Mark {
        Mark {
            identifier: "x.enforcement.1".into(),
            version: "26.4".into(),
            build: bsi.then(|| "25E5a".into()),
            bsi,
            deadline: deadline.parse().expect("deadline"),
            past: false,
            policy: "p".into(),
            place: "policies/p.yaml:3".into(),
            details_url: None,
            from_catalog: None,
        }
    }

    /// The axis spans whole months around every mark and now, at least three of them.
    #[test]
    fn axis_covers_marks_and_now() {
        let lanes =
            [Lane { group: "all".into(), platform: Platform::MacOS, marks: vec![mark("2027-03-31T23:00:00", false)] }];
        let axis = Axis::new(&lanes, "2026-12-15T09:00:00".parse().expect("now"));
        assert_eq!((axis.start, axis.end), (Date::constant(2026, 12, 1), Date::constant(2027, 4, 1)));
        let alone = Axis::new(&[], "2026-12-15T09:00:00".parse().expect("now"));
        assert_eq!(months_between(alone.start, alone.end), 3);
    }

    #[test]
    fn long_group_names_are_shortened_for_the_label_column() {
        assert_eq!(shortened("staff"), "staff");
        assert_eq!(shortened("a-very-long-group-name-for-labs"), "a-very-long-group-nam…");
    }

    /// A BSI half says so: its label names the build, never a letter derived from it.
    #[test]
    fn labels_tell_bsi_halves() {
        assert_eq!(mark("2026-12-01T18:00:00", true).label(), "BSI 25E5a");
        assert_eq!(mark("2026-12-01T18:00:00", false).label(), "26.4");
    }
}
