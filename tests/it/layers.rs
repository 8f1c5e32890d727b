//! The modules form layers: no module imports one that (directly or not) imports it back.
//! A new cycle fails here, naming the modules in it and one `use` of each edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> (module it uses -> a file that does).
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(&src).expect("src") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        let module = name.strip_suffix(".rs").unwrap_or(&name).to_owned();
        if module != "lib" && module != "main" {
            modules.insert(module);
        }
    }
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("inside").to_string_lossy().replace('\\', "/");
            let top = relative.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_owned();
            if !modules.contains(&top) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            // Unit tests may reach anywhere; the layers are about the code itself.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let used: String = code[at + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if used != top && modules.contains(&used) {
                    edges.entry(top.clone()).or_default().entry(used).or_insert_with(|| relative.clone());
                }
            }
        }
    }
    edges
}

/// A cycle through `start`, if any (depth-first).
fn cycle_from(start: &str, edges: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        start: &str,
        edges: &BTreeMap<String, BTreeMap<String, String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in edges.get(node).map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if visit(&next, start, edges, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    visit(start, start, edges, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn modules_form_layers_without_cycles() {
    let edges = graph();
    assert!(edges.len() > 10, "the module graph was read: {edges:?}");
    for module in edges.keys() {
        if let Some(cycle) = cycle_from(module, &edges) {
            let steps: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().skip(1).chain(std::iter::once(&cycle[0])))
                .map(|(a, b)| format!("{a} -> {b} (in src/{})", edges[a][b]))
                .collect();
            panic!("a dependency cycle: {}", steps.join(", "));
        }
    }
}
