//! What `ddmc status check` shows: text for people, one JSON object for programs. Both
//! carry the same facts; the cli decides where they go.

use super::compliance::Status;
use super::report::{DeclarationState, DeviceStatus};
use super::{Checked, StatusCheck};
use serde_json::{Value, json};
use std::fmt::Write;

/// The first column is as wide as the longest status word.
const STATUS_WIDTH: usize = 10;

/// `1 of 2 targets compliant`, or why there is nothing to check.
pub fn summary(check: &StatusCheck) -> String {
    let total = check.targets.len();
    if total == 0 {
        return format!("no enforcement target applies to {} devices in group `{}`", check.platform, check.group);
    }
    let met = check.targets.iter().filter(|t| t.verdict.status == Status::Compliant).count();
    let noun = if total == 1 { "target" } else { "targets" };
    format!("{met} of {total} {noun} compliant")
}

/// The human form: the device, one block per target, notes, a summary.
pub fn human(check: &StatusCheck) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "device: {} ({})", device_line(&check.device, check), check.device.source.as_str());
    if let Some(update) = check.device.update.as_ref() {
        let state = update.install_state.map(|s| s.as_str());
        match (&update.pending, state) {
            (Some(pending), Some(state)) => {
                let _ = writeln!(out, "update: {pending} pending, {state}");
            }
            (Some(pending), None) => {
                let _ = writeln!(out, "update: {pending} pending");
            }
            (None, Some(state)) => {
                let _ = writeln!(out, "update: none pending, install state {state}");
            }
            (None, None) => {}
        }
    }
    let _ = writeln!(out, "group: {}", check.group);
    if let Some(now) = check.now {
        let _ = writeln!(out, "now: {now} (device local time)");
    }
    for checked in &check.targets {
        out.push('\n');
        target_block(&mut out, checked);
    }
    if !check.notes.is_empty() {
        out.push('\n');
        for note in &check.notes {
            let _ = writeln!(out, "note: {note}");
        }
    }
    let _ = writeln!(out, "\n{}", summary(check));
    out
}

fn device_line(device: &DeviceStatus, check: &StatusCheck) -> String {
    let mut builds = Vec::new();
    if let Some(build) = &device.build {
        builds.push(format!("build {build}"));
    }
    if let Some(build) = device.supplemental_build.as_ref().filter(|b| Some(*b) != device.build.as_ref()) {
        builds.push(format!("supplemental build {build}"));
    }
    let builds = if builds.is_empty() { String::new() } else { format!(", {}", builds.join(", ")) };
    format!("{} {}{builds}", check.platform, device.version)
}

fn target_block(out: &mut String, checked: &Checked) {
    let target = &checked.target;
    let pad = " ".repeat(STATUS_WIDTH + 1);
    let _ = writeln!(out, "{:<STATUS_WIDTH$} {}", checked.verdict.status.as_str(), target.label());
    let _ = writeln!(out, "{pad}{}", checked.verdict.reason);
    let _ = writeln!(out, "{pad}policy `{}` ({}): {}", target.policy, target.source, target.identifiers.join(", "));
    for on in &checked.on_device {
        let _ = writeln!(out, "{pad}on the device: {}", on_device_text(&on.state, on.current));
    }
}

/// `com.example.p.enforcement.1 valid, active` and what else the device says of it.
fn on_device_text(state: &DeclarationState, current: Option<bool>) -> String {
    let mut words = vec![state.identifier.clone()];
    if let Some(valid) = &state.valid {
        words.push(valid.clone());
    }
    match state.active {
        Some(true) => words.push("active".into()),
        Some(false) => words.push("inactive".into()),
        None => {}
    }
    let mut text = match words.split_first() {
        Some((id, [])) => id.clone(),
        Some((id, rest)) => format!("{id} {}", rest.join(", ")),
        None => String::new(),
    };
    if current == Some(false) {
        text.push_str("; an older version (its ServerToken differs from the repository's)");
    }
    let reasons: Vec<String> = state.reasons.iter().map(ToString::to_string).collect();
    if !reasons.is_empty() {
        text.push_str(&format!(" ({})", reasons.join("; ")));
    }
    text
}

/// The JSON form: the same facts, with stable keys.
pub fn json(check: &StatusCheck) -> Value {
    let device = &check.device;
    let update = device.update.as_ref();
    let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
    json!({
        "device": {
            "source": device.source.slug(),
            "platform": check.platform.as_str(),
            "platform_from": device.platform_from.as_ref().map_or(Value::Null, |(key, value)| json!({
                "key": key,
                "value": value,
            })),
            "version": device.version.to_string(),
            "os_version": device.version.os.to_string(),
            "extra_version": text(device.version.extra.map(|e| e.to_string())),
            "build_version": text(device.build.as_ref().map(ToString::to_string)),
            "supplemental_build_version": text(device.supplemental_build.as_ref().map(ToString::to_string)),
            "pending": update.and_then(|u| u.pending.as_ref()).map_or(Value::Null, |p| json!({
                "os_version": p.version.to_string(),
                "build_version": text(p.build.as_ref().map(ToString::to_string)),
            })),
            "install_state": text(update.and_then(|u| u.install_state).map(|s| s.as_str().to_string())),
            "failure": update.and_then(|u| u.failure.as_ref()).map_or(Value::Null, |f| json!({
                "count": f.count,
                "reason": text(f.reason.clone()),
                "timestamp": text(f.timestamp.clone()),
            })),
        },
        "group": check.group,
        "now": text(check.now.map(|n| n.to_string())),
        "compliant": check.compliant(),
        "summary": summary(check),
        "targets": check.targets.iter().map(target_json).collect::<Vec<Value>>(),
        "notes": check.notes,
    })
}

fn target_json(checked: &Checked) -> Value {
    let target = &checked.target;
    json!({
        "status": checked.verdict.status.as_str(),
        "reason": checked.verdict.reason,
        "target": target.label(),
        "os_version": target.os_version.to_string(),
        "build_version": target.build.as_ref().map(ToString::to_string),
        "supplemental": target.supplemental,
        "deadline": target.deadline.to_string(),
        "deadline_passed": checked.verdict.deadline_passed,
        "reaches_device": target.reaches,
        "policy": target.policy,
        "source": target.source,
        "declarations": target.identifiers,
        "on_device": checked.on_device.iter().map(|on| json!({
            "identifier": on.state.identifier,
            "valid": on.state.valid,
            "active": on.state.active,
            "current": on.current,
            "reasons": on.state.reasons.iter().map(ToString::to_string).collect::<Vec<String>>(),
        })).collect::<Vec<Value>>(),
    })
}
