//! The documentation's sections that the code and the docs point to exist: a `doctor` line
//! that names a missing section of the troubleshooting guide sends an admin nowhere.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The anchor GitHub (and most Markdown renderers) give a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (lines in fenced code left out).
fn anchors(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.insert(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![PathBuf::from(dir)];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out
}

/// `name.md#anchor` references in `text`.
fn references(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(".md#") {
        let name_start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |p| p + 1);
        let rest = &text[i + 4..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        out.push((
            format!("{}.md", &text[name_start..i]),
            rest[..end].to_owned(),
        ));
    }
    out
}

/// The last string literal of each `fail(…)` call: the section of the troubleshooting guide
/// a failed `doctor` check points to.
fn doctor_sections(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (start, _) in source.match_indices("fail(") {
        let bytes = source.as_bytes();
        let (mut depth, mut i, mut last, mut lit) = (0, start + 4, None, String::new());
        while i < bytes.len() {
            match bytes[i] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'"' => {
                    lit.clear();
                    i += 1;
                    while bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        lit.push(bytes[i] as char);
                        i += 1;
                    }
                    last = Some(lit.clone());
                }
                _ => {}
            }
            i += 1;
        }
        // `fn fail(what: …, fix: …, section: &str)` itself has no literal.
        if let Some(section) = last {
            out.push(section);
        }
    }
    out
}

#[test]
fn every_section_a_doctor_check_names_is_in_the_troubleshooting_guide() {
    let guide = anchors(Path::new("docs/troubleshooting.md"));
    let mut seen = 0;
    for path in files("src/cli/doctor", "rs") {
        let source = std::fs::read_to_string(&path).unwrap();
        for section in doctor_sections(&source) {
            seen += 1;
            assert!(
                guide.contains(&section),
                "{path:?} points to docs/troubleshooting.md#{section}, which is not there"
            );
        }
    }
    assert!(seen > 20, "the checks were not found ({seen})");
}

#[test]
fn every_link_to_a_section_of_the_docs_finds_it() {
    let mut sources = files("src", "rs");
    sources.extend(files("docs", "md"));
    sources.extend(files("templates", "html"));
    sources.extend(files("locales", "ftl"));
    sources.push(PathBuf::from("README.md"));
    let mut checked = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for (file, section) in references(&text) {
            let target = if file == "README.md" {
                PathBuf::from("README.md")
            } else {
                Path::new("docs").join(&file)
            };
            // Links to other projects' files (`jitsi-contract.md` of the shared notes, say)
            // are not this project's to check.
            if !target.exists() {
                continue;
            }
            checked += 1;
            assert!(
                anchors(&target).contains(&section),
                "{path:?} links to {file}#{section}, which is not there"
            );
        }
    }
    assert!(checked > 20, "the links were not found ({checked})");
}

/// The threat model names the tests that hold each defence (`path::test_name`, or
/// `path::tests::test_name` for a unit test); each must exist, or the table promises a test
/// that was renamed or dropped.
#[test]
fn every_test_the_threat_model_names_exists() {
    let text = std::fs::read_to_string("docs/threat-model.md").unwrap();
    let mut checked = 0;
    for cell in text.split('`') {
        let Some((path, name)) = cell.split_once(".rs::") else {
            continue;
        };
        let path = format!("{path}.rs");
        let name = name.trim_start_matches("tests::");
        if name.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("docs/threat-model.md names {path}: {e}"));
        assert!(
            source.contains(&format!("fn {name}(")),
            "docs/threat-model.md names {path}::{name}, which is not there"
        );
        checked += 1;
    }
    assert!(checked > 40, "the tests were not found ({checked})");
}

/// Source files the docs point readers to exist (they move when the code is reorganised).
#[test]
fn every_source_file_the_docs_name_exists() {
    let mut docs = files("docs", "md");
    docs.push(PathBuf::from("README.md"));
    docs.extend(["ARCHITECTURE.md", "CONTRIBUTING.md"].map(PathBuf::from));
    let mut checked = 0;
    for doc in docs.iter().filter(|d| d.exists()) {
        let text = std::fs::read_to_string(doc).unwrap();
        for (i, _) in text.match_indices("src/") {
            if text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '/' || c == '.') {
                continue;
            }
            let rest = &text[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.')))
                .unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches(['.', '/']);
            if path.ends_with(".rs") || Path::new(path).is_dir() {
                checked += 1;
                assert!(
                    Path::new(path).exists(),
                    "{doc:?} names {path}, which is not there"
                );
            } else if !path.contains('.') {
                // A folder named in prose (`src/login/`).
                checked += 1;
                assert!(
                    Path::new(path).is_dir(),
                    "{doc:?} names {path}, which is not there"
                );
            }
        }
    }
    assert!(checked > 10, "the paths were not found ({checked})");
}
