//! `evident import --from epoch`: Epoch AI's Benchmarking Hub data (the CSVs
//! of epoch-research/benchmark-stitching, MIT) as sources, results and
//! self-reported benchmark claims. Every mapping choice is here; the README's
//! "Importing other formats" repeats the ones a user sees.
//!
//! **Files.** A directory stands for its `benchmarks_runs.csv` and
//! `external_benchmark_*.csv`; the other files there (`model_versions.csv`,
//! `benchmark_optim.csv`, `distilled_models.csv`) hold no scores and are left
//! alone. A file named on its own must be one of the two kinds. All the files
//! of one command are one atomic import: they share sources and claims.
//!
//! **Epoch's own runs** (`benchmarks_runs.csv`): one result per row whose
//! `Status` is `Success`: id `r:epoch/runs/<run id>`, `model` the Epoch model
//! id, `benchmark` the `task`, metric `score` (the default, so that a claim
//! from a model card that names no metric meets it), `value` the `Best score
//! (across scorers)` in unit `fraction`, `stderr` the `±` of the scorer that
//! gave the best mean in `Scores`, `date` the day of `started_at` (third-party
//! results are dated so that `as of` sees them). The note names the scorer,
//! the task version and the log. Source `s:epoch/hub` (Epoch AI, kind
//! `benchmark`, reliability 0.9), except FrontierMath runs: `s:epoch/hub-
//! frontiermath`, affiliations Epoch AI and OpenAI, because OpenAI commissioned
//! FrontierMath and sees most of it (Every Eval Ever's "collaborative" case).
//!
//! **External files**: one result per row that has a `Model version` and a
//! value in the file's headline column (the column Epoch's own `data_loader.py`
//! takes, [`EXTERNAL`]); rows without either are left out (Epoch cannot use
//! them either). id `r:epoch/<file>/<Airtable rec id>` (the `UUID` column
//! where `id` holds something else, the line where there is no id), `metric`
//! the headline column's name, `value` as written: `63.3%` and the bare 0–100
//! columns are unit `%`, never rescaled (so a claim in `%` meets them
//! exactly); Lech Mazur's 0–10 mean is unit `0-10`, MC-Bench's Elo `Elo`,
//! METR's time horizon `minutes`. Setup: `Shots` (`5`, `0-shot`, `0\n` → an
//! integer; `few` and blank → not stated), `Agent`/`Scaffold` → `harness`,
//! `LiveBench Version` → `split`, GSO's `OPT@1` → `attempts` 1, `Accuracy SE`
//! and `Average Standard error` → `stderr`, `Date added`/`Date` (d/m/yyyy) →
//! `date`. No other row has a date, and none is invented from a paper's
//! month. The note keeps `Notes`, `Name` and the setup no field holds (`Edit
//! format`, `Prompt`, `Tools`, `Frames`, METR's interval).
//!
//! **Sources**: one per report or leaderboard, by title: whitespace and case
//! are merged, a title written twice over is one title, and the maker table's
//! aliases merge one publisher's names ("Standford HELM", "Stanford CRFM
//! Leaderboard" → "Stanford HELM"); `url` is the first link given. A row with
//! no title is attributed to its link; one with neither has no source (and so
//! never counts as evidence: SPEC 8.2, "no source to weigh"). id
//! `s:epoch/<title as an id>`. Kind and reliability (arbitrary, the research
//! note's): a leaderboard 0.75, a maker's report 0.5 (its makers are its
//! affiliations), any other paper (benchmark authors') 0.5.
//!
//! **Self-reported claims**: a row of a maker's report on one of the maker's
//! own models (the maker table, `data/epoch-makers.csv`, says who wrote each
//! report and who made each model) is also a benchmark claim
//! `c:epoch/<file>/<rec id>`: subject the maker, tags `self-reported` and
//! `epoch`, and the row's model, benchmark, metric, value, unit and shots. Its
//! own row's result is first-party support, which never verifies it (SPEC 2):
//! other sources' results do or do not.

use super::converted::{
    Converted, Origin, csv_rows, csv_with_header, expand_paths, number, read_text, slug,
};
use crate::model::Kind;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The shipped maker table.
const DEFAULT_MAKERS: &str = include_str!("../../data/epoch-makers.csv");

/// How an external file's headline value is written.
#[derive(Clone, Copy)]
enum Scale {
    /// `63.3%`, or a bare number out of 100.
    Percent,
    /// Another unit, as it is.
    Unit(&'static str),
}

/// What one `external_benchmark_<stem>.csv` holds.
struct External {
    stem: &'static str,
    benchmark: &'static str,
    /// The headline column (Epoch's `data_loader.py`).
    headline: &'static str,
    scale: Scale,
    /// `attempts` its headline states (GSO's `OPT@1`).
    attempts: Option<u32>,
}

const fn ext(stem: &'static str, benchmark: &'static str, headline: &'static str) -> External {
    External {
        stem,
        benchmark,
        headline,
        scale: Scale::Percent,
        attempts: None,
    }
}

/// Every external file Epoch publishes, with its benchmark's name.
const EXTERNAL: &[External] = &[
    ext("aider_polyglot", "Aider Polyglot", "Percent correct"),
    ext("anli", "ANLI", "Score"),
    ext("arc_agi", "ARC-AGI", "Score"),
    ext("arc_ai2", "ARC (AI2)", "Challenge score"),
    ext("balrog", "BALROG", "Average progress"),
    ext("bbh", "BIG-Bench Hard", "Average"),
    ext("boolq", "BoolQ", "Score"),
    ext("cadeval", "CadEval", "Overall pass (%)"),
    ext("csqa2", "CommonsenseQA 2.0", "Score"),
    ext("cybench", "Cybench", "Unguided % Solved"),
    ext("deepresearch", "DeepResearch Bench", "Average score"),
    ext(
        "factorio_learning_environment",
        "Factorio Learning Environment",
        "Lab Success %",
    ),
    ext("fictionlivebench", "Fiction.LiveBench", "16k token score"),
    ext("geobench", "GeoBench", "ACW Country %"),
    ext("gsm8k", "GSM8K", "EM"),
    External {
        attempts: Some(1),
        ..ext("gso_bench", "GSO", "Score OPT@1")
    },
    ext("hellaswag", "HellaSwag", "Overall accuracy"),
    ext("lambada", "LAMBADA", "Score"),
    External {
        scale: Scale::Unit("0-10"),
        ..ext("lech_mazur_writing", "Lech Mazur Writing", "Mean score")
    },
    ext("livebench", "LiveBench", "Global average"),
    External {
        scale: Scale::Unit("Elo"),
        ..ext("mcbench", "MC-Bench", "ELO")
    },
    External {
        scale: Scale::Unit("minutes"),
        ..ext("metr", "METR Time Horizon", "Time horizon")
    },
    ext("mmlu", "MMLU", "EM"),
    ext("openbookqa", "OpenBookQA", "Accuracy"),
    ext("os_world", "OSWorld", "Score"),
    ext("osuniverse", "OSUniverse", "Weighted Score"),
    ext("piqa", "PIQA", "Score"),
    ext("scienceqa", "ScienceQA", "Score"),
    ext("simple_bench", "SimpleBench", "Score (AVG@5)"),
    ext("superglue", "SuperGLUE", "Score"),
    ext("terminal_bench", "Terminal-Bench", "Accuracy mean"),
    ext("the_agent_company", "TheAgentCompany", "% Resolved"),
    ext("triviaqa", "TriviaQA", "EM"),
    ext("videomme", "Video-MME", "Overall (no subtitles)"),
    ext("vpct", "VPCT", "Correct"),
    ext("weirdml", "WeirdML", "Accuracy"),
    ext("winogrande", "WinoGrande", "Accuracy"),
];

/// Columns whose text goes into a result's note, as `Column: text`.
const NOTE_COLUMNS: &[&str] = &["Name", "Edit format", "Prompt", "Tools", "Frames"];
/// Columns of the agent scaffold or harness.
const HARNESS_COLUMNS: &[&str] = &["Agent", "Scaffold"];
/// Columns of a standard error, in the headline's scale.
const STDERR_COLUMNS: &[&str] = &["Accuracy SE", "Average Standard error"];
/// Columns of the day a row was added (d/m/yyyy).
const DATE_COLUMNS: &[&str] = &["Date added", "Date"];

const RUNS_FILE: &str = "benchmarks_runs.csv";
const EXTERNAL_PREFIX: &str = "external_benchmark_";
const HUB: &str = "s:epoch/hub";
const HUB_FRONTIERMATH: &str = "s:epoch/hub-frontiermath";

/// Reads Epoch's files (`paths`: files or directories) into records.
pub(crate) fn read(
    paths: &[PathBuf],
    makers: Option<&Path>,
    progress: &mut dyn FnMut(u64),
) -> Result<Converted, crate::Error> {
    let mut out = Converted::default();
    let table = match makers {
        None => MakerTable::parse(DEFAULT_MAKERS, "data/epoch-makers.csv", &mut out),
        Some(path) => MakerTable::parse(&read_text(path)?, &path.display().to_string(), &mut out),
    };
    let files = expand_paths(
        paths,
        &|p| {
            file_name(p) == RUNS_FILE
                || (file_name(p).starts_with(EXTERNAL_PREFIX) && file_name(p).ends_with(".csv"))
        },
        &format!("Epoch files ({RUNS_FILE} or {EXTERNAL_PREFIX}*.csv)"),
    )?;
    let mut sources = Sources::new(table);
    let mut bytes = 0u64;
    for path in &files {
        let text = read_text(path)?;
        bytes += text.len() as u64;
        let file = out.add_file(path.display().to_string());
        let name = file_name(path);
        if name == RUNS_FILE {
            read_runs(&text, file, &mut sources, &mut out);
        } else if let Some(spec) = name
            .strip_prefix(EXTERNAL_PREFIX)
            .and_then(|rest| rest.strip_suffix(".csv"))
            .and_then(|stem| EXTERNAL.iter().find(|e| e.stem == stem))
        {
            read_external(&text, file, spec, &mut sources, &mut out);
        } else {
            out.problem(
                Origin { file, line: 1 },
                None,
                format!(
                    "not an Epoch benchmark file: expected {RUNS_FILE} or {EXTERNAL_PREFIX}NAME.csv with NAME one of {}",
                    EXTERNAL.iter().map(|e| e.stem).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        progress(bytes);
    }
    sources.emit(&mut out);
    Ok(out)
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// The maker table (`data/epoch-makers.csv`): aliases, leaderboards, makers'
/// reports and models' makers.
#[derive(Default)]
struct MakerTable {
    /// Lowercased title → canonical title.
    aliases: HashMap<String, String>,
    /// Lowercased canonical title → (its spelling, operator).
    leaderboards: HashMap<String, (String, String)>,
    /// Lowercased canonical title → (its spelling, makers).
    reports: HashMap<String, (String, Vec<String>)>,
    /// (lowercased model id start, maker), longest start first.
    models: Vec<(String, String)>,
    /// (lowercased canonical title, lowercased benchmark or "") → the shots
    /// of its rows that leave `Shots` blank.
    shots: HashMap<(String, String), u32>,
}

impl MakerTable {
    /// Parses the table; its problems go to `out` under `name`.
    fn parse(text: &str, name: &str, out: &mut Converted) -> MakerTable {
        let file = out.add_file(name.to_owned());
        let mut table = MakerTable::default();
        let mut reader = ::csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        rows.extend(csv_rows(&mut reader, text, file, None, out));
        for (at, row) in rows {
            let cell = |i: usize| row.get(i).map(str::trim).unwrap_or("");
            let (what, key, value) = (cell(0), clean_title(cell(1)), cell(2));
            if key.is_empty() {
                out.problem(at, Some("name"), "is empty");
                continue;
            }
            let lower = key.to_lowercase();
            match what {
                "alias" => {
                    table.aliases.insert(lower, clean_title(value));
                }
                "leaderboard" => {
                    table.leaderboards.insert(lower, (key, value.to_owned()));
                }
                "report" => {
                    let makers: Vec<String> = value
                        .split(';')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if makers.is_empty() {
                        out.problem(at, Some("value"), "a report needs its maker");
                    }
                    table.reports.insert(lower, (key, makers));
                }
                "model" if value.is_empty() => {
                    out.problem(at, Some("value"), "a model needs its maker");
                }
                "model" => table.models.push((lower, value.to_owned())),
                "shots" => match value.parse::<u32>() {
                    Ok(n) => {
                        table.shots.insert((lower, cell(3).to_lowercase()), n);
                    }
                    Err(_) => out.problem(
                        at,
                        Some("value"),
                        format!("\"{value}\" is not a number of shots"),
                    ),
                },
                other => out.problem(
                    at,
                    Some("what"),
                    format!("\"{other}\" is not alias, leaderboard, report, model or shots"),
                ),
            }
        }
        table
            .models
            .sort_by_key(|(start, _)| std::cmp::Reverse(start.len()));
        table
    }

    /// The shots the table gives a source's rows of `benchmark` that leave
    /// `Shots` blank.
    fn default_shots(&self, title_key: &str, benchmark: &str) -> Option<u32> {
        let key = |b: &str| (title_key.to_owned(), b.to_owned());
        self.shots
            .get(&key(&benchmark.to_lowercase()))
            .or_else(|| self.shots.get(&key("")))
            .copied()
    }

    /// The maker of a model, by the longest matching start of its id.
    fn maker_of(&self, model: &str) -> Option<&str> {
        let lower = model.to_lowercase();
        self.models
            .iter()
            .find(|(start, _)| lower.starts_with(start.as_str()))
            .map(|(_, maker)| maker.as_str())
    }
}

/// Whitespace runs made one space; a title written twice over made one.
fn clean_title(title: &str) -> String {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let half = title.len() / 2;
    if title.len() % 2 == 0
        && title.is_char_boundary(half)
        && !title.is_empty()
        && title[..half] == title[half..]
    {
        title[..half].to_owned()
    } else {
        title
    }
}

/// The sources of an import, by lowercased canonical title.
struct Sources {
    table: MakerTable,
    by_title: HashMap<String, SourceEntry>,
    /// Titles in the order first seen (so ids and output are stable).
    order: Vec<String>,
    /// The first run of each of Epoch's own sources (general, FrontierMath).
    hub_used: [Option<Origin>; 2],
}

struct SourceEntry {
    id: String,
    title: String,
    url: Option<String>,
    at: Origin,
}

/// A source as a row names it: its id and the makers it speaks for.
struct SourceRef {
    id: String,
    makers: Vec<String>,
    /// The lowercased canonical title, the maker table's key.
    key: String,
}

impl Sources {
    fn new(table: MakerTable) -> Sources {
        Sources {
            table,
            by_title: HashMap::new(),
            order: Vec::new(),
            hub_used: [None; 2],
        }
    }

    /// The source a row's `Source` and link name, if any.
    fn named(&mut self, title: &str, link: &str, at: Origin) -> Option<SourceRef> {
        let mut title = clean_title(title);
        let link = link.trim();
        if title.is_empty() {
            if link.is_empty() {
                return None;
            }
            title = link.to_owned();
        }
        if let Some(canonical) = self.table.aliases.get(&title.to_lowercase()) {
            title = canonical.clone();
        }
        let key = title.to_lowercase();
        let makers = self
            .table
            .reports
            .get(&key)
            .map(|(_, makers)| makers.clone())
            .unwrap_or_default();
        let entry = self.by_title.entry(key.clone()).or_insert_with(|| {
            self.order.push(key.clone());
            SourceEntry {
                id: format!("s:epoch/{}", slug(&title)),
                title,
                url: None,
                at,
            }
        });
        if entry.url.is_none() && !link.is_empty() {
            entry.url = Some(link.to_owned());
        }
        Some(SourceRef {
            id: entry.id.clone(),
            makers,
            key,
        })
    }

    /// Epoch's own source for a task's runs.
    fn hub(&mut self, task: &str, at: Origin) -> &'static str {
        let (slot, id) = if task.to_lowercase().starts_with("frontiermath") {
            (1, HUB_FRONTIERMATH)
        } else {
            (0, HUB)
        };
        self.hub_used[slot].get_or_insert(at);
        id
    }

    /// Adds the sources used to `out`.
    fn emit(self, out: &mut Converted) {
        for (used, id, title, affiliations) in [
            (
                self.hub_used[0],
                HUB,
                "Epoch AI Benchmarking Hub",
                vec!["Epoch AI"],
            ),
            (
                self.hub_used[1],
                HUB_FRONTIERMATH,
                "Epoch AI Benchmarking Hub: FrontierMath",
                vec!["Epoch AI", "OpenAI"],
            ),
        ] {
            if let Some(at) = used {
                let members = json!({
                    "id": id, "title": title, "kind": "benchmark", "publisher": "Epoch AI",
                    "url": "https://epoch.ai/benchmarks", "affiliations": affiliations,
                    "reliability": 0.9,
                });
                push(out, at, Kind::Source, members);
            }
        }
        let mut ids: HashMap<String, String> = HashMap::new();
        for key in &self.order {
            let Some(entry) = self.by_title.get(key) else {
                continue;
            };
            // Two titles that make one id (they differ only in punctuation)
            // would replace each other: say so rather than lose one.
            if let Some(other) = ids.insert(entry.id.clone(), entry.title.clone()) {
                out.problem(
                    entry.at,
                    Some("Source"),
                    format!(
                        "\"{}\" and \"{other}\" make the same source id {}; add an alias row to the maker table",
                        entry.title, entry.id
                    ),
                );
            }
            let mut members = Map::new();
            members.insert("id".into(), json!(entry.id));
            let (kind, publisher, affiliations, reliability) =
                if let Some((title, operator)) = self.table.leaderboards.get(key) {
                    let _ = title;
                    let operator: Vec<&str> = Some(operator.as_str())
                        .filter(|o| !o.is_empty())
                        .into_iter()
                        .collect();
                    (
                        "leaderboard",
                        operator.first().map(|o| o.to_string()),
                        json!(operator),
                        0.75,
                    )
                } else if let Some((_, makers)) = self.table.reports.get(key) {
                    ("report", Some(makers.join(", ")), json!(makers), 0.5)
                } else {
                    ("paper", None, json!([]), 0.5)
                };
            let title = self
                .table
                .leaderboards
                .get(key)
                .map(|(t, _)| t.clone())
                .or_else(|| self.table.reports.get(key).map(|(t, _)| t.clone()))
                .unwrap_or_else(|| entry.title.clone());
            members.insert("title".into(), json!(title));
            members.insert("kind".into(), json!(kind));
            if let Some(publisher) = publisher {
                members.insert("publisher".into(), json!(publisher));
            }
            if let Some(url) = &entry.url {
                members.insert("url".into(), json!(url));
            }
            members.insert("affiliations".into(), affiliations);
            members.insert("reliability".into(), json!(reliability));
            out.record(entry.at, Kind::Source, members);
        }
    }
}

fn push(out: &mut Converted, at: Origin, kind: Kind, members: Value) {
    if let Value::Object(map) = members {
        out.record(at, kind, map);
    }
}

/// A CSV file's rows as (line, cells by column name).
fn rows(text: &str, file: u32, out: &mut Converted) -> Vec<(Origin, HashMap<String, String>)> {
    let Some((mut reader, headers)) = csv_with_header(text, file, out) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (at, row) in csv_rows(&mut reader, text, file, Some(headers.len()), out) {
        let cells = headers
            .iter()
            .zip(row.iter())
            .map(|(h, v)| (h.clone(), v.to_owned()))
            .collect();
        rows.push((at, cells));
    }
    rows
}

/// A cell, trimmed; `None` when absent or blank.
fn cell<'r>(row: &'r HashMap<String, String>, column: &str) -> Option<&'r str> {
    row.get(column).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn read_runs(text: &str, file: u32, sources: &mut Sources, out: &mut Converted) {
    for (at, row) in rows(text, file, out) {
        if cell(&row, "Status").is_some_and(|s| s != "Success") {
            continue;
        }
        let (Some(run), Some(task), Some(model)) =
            (cell(&row, "id"), cell(&row, "task"), cell(&row, "model"))
        else {
            out.problem(at, None, "a run needs its id, task and model");
            continue;
        };
        let Some(best) = cell(&row, "Best score (across scorers)") else {
            continue;
        };
        // Rust reads `NaN`, `inf` and `1e400` as floats; none is a score
        // (they became an absent value: "value: missing").
        let value = match best.parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            parsed => {
                let what = match parsed {
                    Ok(_) => "a finite number",
                    Err(_) => "a number",
                };
                let reason = format!("\"{best}\" is not {what}");
                out.problem(at, Some("Best score (across scorers)"), reason);
                continue;
            }
        };
        let mut members = Map::new();
        members.insert("id".into(), json!(format!("r:epoch/runs/{}", slug(run))));
        members.insert("model".into(), json!(model));
        members.insert("benchmark".into(), json!(task));
        members.insert("metric".into(), json!("score"));
        members.insert("value".into(), number(value));
        members.insert("unit".into(), json!("fraction"));
        let mut note = Vec::new();
        match cell(&row, "Scores").map(best_scorer) {
            Some(Ok(Some((scorer, stderr)))) => {
                members.insert("stderr".into(), number(stderr));
                note.push(format!("scorer {scorer}"));
            }
            Some(Ok(None)) | None => {}
            Some(Err(reason)) => {
                out.problem(at, Some("Scores"), reason);
                continue;
            }
        }
        match cell(&row, "started_at").map(run_date) {
            Some(Some(date)) => {
                members.insert("date".into(), json!(date));
            }
            Some(None) => {
                out.problem(
                    at,
                    Some("started_at"),
                    "is not a date like \"17 November 2025 4:28pm\"",
                );
                continue;
            }
            None => {}
        }
        if let Some(version) = cell(&row, "task version") {
            note.push(format!("task version {version}"));
        }
        if let Some(log) = cell(&row, "log viewer").or_else(|| cell(&row, "logs")) {
            note.push(format!("log {log}"));
        }
        if !note.is_empty() {
            members.insert("note".into(), json!(note.join("; ")));
        }
        members.insert("source".into(), json!(sources.hub(task, at)));
        out.record(at, Kind::Result, members);
    }
}

/// The scorer with the highest mean in `choice:0.85±0.02,other:0.8±0.01`,
/// and its standard error (`None` when the cell lists none).
fn best_scorer(scores: &str) -> Result<Option<(String, f64)>, String> {
    let mut best: Option<(String, f64, f64)> = None;
    for part in scores.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part.rsplit_once(':').and_then(|(name, rest)| {
            let (mean, stderr) = rest.split_once('±')?;
            Some((
                name,
                mean.trim().parse::<f64>().ok()?,
                stderr.trim().parse::<f64>().ok()?,
            ))
        });
        let Some((name, mean, stderr)) =
            parsed.filter(|(_, m, s)| m.is_finite() && s.is_finite() && *s >= 0.0)
        else {
            return Err(format!("\"{part}\" is not scorer:mean±stderr"));
        };
        if best.as_ref().is_none_or(|(_, m, _)| mean > *m) {
            best = Some((name.to_owned(), mean, stderr));
        }
    }
    Ok(best.map(|(name, _, stderr)| (name, stderr)))
}

/// `17 November 2025 4:28pm` → `2025-11-17`.
fn run_date(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let mut words = text.split_whitespace();
    let day: u32 = words.next()?.parse().ok()?;
    let month_name = words.next()?.to_lowercase();
    let month = MONTHS.iter().position(|m| *m == month_name)? + 1;
    let year: u32 = words.next()?.parse().ok()?;
    valid_date(year, month as u32, day)
}

/// `23/7/2024` (day/month/year) → `2024-07-23`.
fn dmy_date(text: &str) -> Option<String> {
    let mut parts = text.trim().split('/');
    let day: u32 = parts.next()?.trim().parse().ok()?;
    let month: u32 = parts.next()?.trim().parse().ok()?;
    let year: u32 = parts.next()?.trim().parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    valid_date(year, month, day)
}

fn valid_date(year: u32, month: u32, day: u32) -> Option<String> {
    let text = format!("{year:04}-{month:02}-{day:02}");
    crate::model::Date::parse(&text).map(|_| text)
}

/// `5`, `0-shot`, `25-shot`, `0\n` → the number; `few` and blank → not
/// stated; anything else is an error.
fn parse_shots(text: &str) -> Result<Option<u32>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("few") {
        return Ok(None);
    }
    let digits = t.strip_suffix("-shot").unwrap_or(t).trim();
    digits
        .parse::<u32>()
        .map(Some)
        .map_err(|_| format!("\"{t}\" is not a number of shots (or few)"))
}

/// A headline or stderr cell in `scale`: `63.3%` or a bare number.
fn parse_value(text: &str, scale: Scale) -> Result<f64, String> {
    let t = text.trim();
    let bare = match scale {
        Scale::Percent => t.strip_suffix('%').unwrap_or(t).trim(),
        Scale::Unit(_) => t,
    };
    match bare.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(format!("\"{t}\" is not a number")),
    }
}

fn unit_of(scale: Scale) -> &'static str {
    match scale {
        Scale::Percent => "%",
        Scale::Unit(unit) => unit,
    }
}

fn read_external(
    text: &str,
    file: u32,
    spec: &External,
    sources: &mut Sources,
    out: &mut Converted,
) {
    let rows = rows(text, file, out);
    for (at, row) in rows {
        let (Some(model), Some(raw_value)) =
            (cell(&row, "Model version"), cell(&row, spec.headline))
        else {
            continue;
        };
        let value = match parse_value(raw_value, spec.scale) {
            Ok(v) => v,
            Err(reason) => {
                out.problem(at, Some(spec.headline), reason);
                continue;
            }
        };
        let rec = ["UUID", "id", "ID"]
            .iter()
            .filter(|c| !(**c == "id" && row.contains_key("UUID")))
            .find_map(|c| cell(&row, c))
            .map_or_else(|| format!("L{}", at.line), slug);
        let result_id = format!("r:epoch/{}/{rec}", spec.stem);
        let mut members = Map::new();
        members.insert("id".into(), json!(result_id));
        members.insert("model".into(), json!(model));
        members.insert("benchmark".into(), json!(spec.benchmark));
        members.insert("metric".into(), json!(spec.headline));
        members.insert("value".into(), number(value));
        members.insert("unit".into(), json!(unit_of(spec.scale)));
        let title = cell(&row, "Source").unwrap_or("");
        let link = cell(&row, "Source link")
            .or_else(|| cell(&row, "Source link (site from table)"))
            .unwrap_or("");
        let source = sources.named(title, link, at);
        let mut note: Vec<String> = Vec::new();
        let shots = match cell(&row, "Shots").map(parse_shots) {
            Some(Ok(shots)) => shots,
            Some(Err(reason)) => {
                out.problem(at, Some("Shots"), reason);
                continue;
            }
            None => {
                let shots = source
                    .as_ref()
                    .and_then(|s| sources.table.default_shots(&s.key, spec.benchmark));
                if let Some(n) = shots {
                    note.push(format!(
                        "{n} shots: the maker table's setup for this source"
                    ));
                }
                shots
            }
        };
        if let Some(shots) = shots {
            members.insert("shots".into(), json!(shots));
        }
        if let Some(attempts) = spec.attempts {
            members.insert("attempts".into(), json!(attempts));
        }
        if let Some(harness) = HARNESS_COLUMNS.iter().find_map(|c| cell(&row, c)) {
            members.insert("harness".into(), json!(harness));
        }
        if let Some(split) = cell(&row, "LiveBench Version") {
            members.insert("split".into(), json!(split));
        }
        let mut bad = false;
        if let Some((column, raw)) = STDERR_COLUMNS
            .iter()
            .find_map(|c| Some((*c, cell(&row, c)?)))
        {
            match parse_value(raw, spec.scale) {
                Ok(se) if se >= 0.0 => {
                    members.insert("stderr".into(), number(se));
                }
                Ok(_) => {
                    out.problem(at, Some(column), "a standard error cannot be negative");
                    bad = true;
                }
                Err(reason) => {
                    out.problem(at, Some(column), reason);
                    bad = true;
                }
            }
        }
        if let Some((column, raw)) = DATE_COLUMNS.iter().find_map(|c| Some((*c, cell(&row, c)?))) {
            match dmy_date(raw) {
                Some(date) => {
                    members.insert("date".into(), json!(date));
                }
                None => {
                    out.problem(
                        at,
                        Some(column),
                        format!("\"{raw}\" is not a day/month/year date"),
                    );
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        for column in ["Notes", "Notes (details)"] {
            if let Some(text) = cell(&row, column) {
                note.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        for column in NOTE_COLUMNS {
            if let Some(text) = cell(&row, column) {
                note.push(format!("{column}: {text}"));
            }
        }
        if let (Some(low), Some(high)) = (cell(&row, "CI_low"), cell(&row, "CI_high")) {
            note.push(format!("CI {low}–{high}"));
        }
        if rec.starts_with("rec") {
            note.push(format!("Epoch record {rec}"));
        }
        if !note.is_empty() {
            members.insert("note".into(), json!(note.join("; ")));
        }
        let maker = sources.table.maker_of(model).map(str::to_owned);
        if let Some(source) = &source {
            members.insert("source".into(), json!(source.id));
        }
        // A maker's report on its own model: also the maker's claim.
        let self_reported = match (&source, &maker) {
            (Some(source), Some(maker)) => {
                source.makers.iter().any(|m| m.eq_ignore_ascii_case(maker))
            }
            _ => false,
        };
        if let (true, Some(maker)) = (self_reported, maker) {
            let unit = unit_of(spec.scale);
            let setup = shots.map(|n| format!(", {n}-shot")).unwrap_or_default();
            let mut claim = Map::new();
            claim.insert("id".into(), json!(format!("c:epoch/{}/{rec}", spec.stem)));
            claim.insert(
                "text".into(),
                json!(format!(
                    "{model} scores {}{} on {} ({}{setup}), as reported by {maker}",
                    raw_value.trim_end_matches('%'),
                    if unit == "%" {
                        "%".to_owned()
                    } else {
                        format!(" {unit}")
                    },
                    spec.benchmark,
                    spec.headline
                )),
            );
            claim.insert("subject".into(), json!(maker));
            claim.insert("tags".into(), json!(["self-reported", "epoch"]));
            claim.insert("model".into(), json!(model));
            claim.insert("benchmark".into(), json!(spec.benchmark));
            claim.insert("metric".into(), json!(spec.headline));
            claim.insert("value".into(), number(value));
            claim.insert("unit".into(), json!(unit));
            if let Some(shots) = shots {
                claim.insert("shots".into(), json!(shots));
            }
            out.record(at, Kind::Claim, claim);
        }
        out.record(at, Kind::Result, members);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(name: &str, text: &str) -> Converted {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        read(&[path], None, &mut |_| {}).expect("read")
    }

    fn find<'c>(c: &'c Converted, id: &str) -> &'c Map<String, Value> {
        c.records
            .iter()
            .find(|(_, _, m)| m.get("id").and_then(Value::as_str) == Some(id))
            .map(|(_, _, m)| m)
            .unwrap_or_else(|| panic!("no record {id}"))
    }

    const MMLU: &str = "\u{feff}id,Name,EM,Model version,Shots,Source,Source link,Notes\n\
        recA,Llama 2 70B,68.9%,Llama-2-70b-hf,5,Llama 2: Open Foundation and Fine-Tuned Chat Models,https://arxiv.org/abs/2307.09288,\n\
        recB,Llama 2 70B,69.5%,Llama-2-70b-hf,5,Standford HELM,https://crfm.stanford.edu/helm,\"5-shot\nCoT\"\n\
        recC,Mistral,62.5%,Mistral-7B-v0.1,5,Llama 2: Open Foundation and Fine-Tuned Chat Models,https://arxiv.org/abs/2307.09288,\n\
        recD,No model,50%,,5,Stanford HELM,,\n";

    #[test]
    fn a_makers_report_on_its_own_model_is_a_self_reported_claim() {
        let c = convert("external_benchmark_mmlu.csv", MMLU);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let claim = find(&c, "c:epoch/mmlu/recA");
        assert_eq!(claim["subject"], "Meta");
        assert_eq!(claim["tags"], json!(["self-reported", "epoch"]));
        assert_eq!(claim["value"], json!(68.9));
        assert_eq!(claim["unit"], "%");
        assert_eq!(claim["metric"], "EM");
        assert_eq!(claim["benchmark"], "MMLU");
        assert_eq!(claim["shots"], json!(5));
        // Meta's report on Mistral's model is a competitor's report: a result only.
        assert!(
            c.records
                .iter()
                .all(|(_, _, m)| m["id"] != "c:epoch/mmlu/recC")
        );
        let result = find(&c, "r:epoch/mmlu/recB");
        assert_eq!(result["source"], "s:epoch/Stanford-HELM");
        assert_eq!(
            result["note"],
            "5-shot CoT; Name: Llama 2 70B; Epoch record recB"
        );
        // A row without a model version is left out.
        assert!(
            c.records
                .iter()
                .all(|(_, _, m)| m["id"] != "r:epoch/mmlu/recD")
        );
        // "Standford HELM" and "Stanford HELM" are one source, a leaderboard.
        let helm: Vec<_> = c
            .records
            .iter()
            .filter(|(_, k, m)| *k == Kind::Source && m["id"] == "s:epoch/Stanford-HELM")
            .collect();
        assert_eq!(helm.len(), 1);
        assert_eq!(helm[0].2["kind"], "leaderboard");
        assert_eq!(helm[0].2["reliability"], json!(0.75));
        let meta = find(
            &c,
            "s:epoch/Llama-2-Open-Foundation-and-Fine-Tuned-Chat-Models",
        );
        assert_eq!(meta["affiliations"], json!(["Meta"]));
        assert_eq!(meta["kind"], "report");
        // Lines are those of the file (the BOM and the header are line 1).
        let (at, _, _) = c
            .records
            .iter()
            .find(|(_, _, m)| m["id"] == "r:epoch/mmlu/recC")
            .expect("recC");
        assert_eq!(at.line, 5);
    }

    #[test]
    fn runs_are_dated_fractions_with_the_best_scorers_stderr() {
        let c = convert(
            "benchmarks_runs.csv",
            "id,task,model,Best score (across scorers),Scores,log viewer,logs,job,started_at,Status,Manual evaluation,task version\n\
             RUN1,MATH level 5,o3_high,0.960,\"normalized_string_match:0.9±0.01,model_graded_equiv:0.96±0.005\",,,,17 November 2025 4:28pm,Success,,1.0.0\n\
             RUN2,FrontierMath-2025-02-28-Private,o3_low,0.097,verification_code:0.1±0.02,,,,1 March 2025 1:00am,Success,,1.1.0\n",
        );
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let run = find(&c, "r:epoch/runs/RUN1");
        assert_eq!(run["value"], json!(0.96));
        assert_eq!(run["unit"], "fraction");
        assert_eq!(run["stderr"], json!(0.005));
        assert_eq!(run["date"], "2025-11-17");
        assert_eq!(run["source"], HUB);
        assert_eq!(find(&c, "r:epoch/runs/RUN2")["source"], HUB_FRONTIERMATH);
        assert_eq!(
            find(&c, HUB_FRONTIERMATH)["affiliations"],
            json!(["Epoch AI", "OpenAI"])
        );
    }

    #[test]
    fn bad_cells_are_located_problems() {
        let c = convert(
            "external_benchmark_mmlu.csv",
            "id,Name,EM,Model version,Shots,Source,Source link,Notes\n\
             rec1,x,sixty,m1,5,S,,\n\
             rec2,x,60%,m2,many,S,,\n",
        );
        let got: Vec<_> = c
            .problems
            .iter()
            .map(|(at, col, r)| (at.line, col.clone(), r.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    2,
                    Some("EM".to_owned()),
                    "\"sixty\" is not a number".to_owned()
                ),
                (
                    3,
                    Some("Shots".to_owned()),
                    "\"many\" is not a number of shots (or few)".to_owned()
                ),
            ]
        );
        let unknown = convert("external_benchmark_nope.csv", "id\n");
        assert_eq!(unknown.problems.len(), 1);
        assert!(
            unknown.problems[0]
                .2
                .starts_with("not an Epoch benchmark file")
        );
    }

    #[test]
    fn setup_columns() {
        assert_eq!(parse_shots("0\n"), Ok(Some(0)));
        assert_eq!(parse_shots("25-shot"), Ok(Some(25)));
        assert_eq!(parse_shots("few"), Ok(None));
        assert_eq!(dmy_date("23/7/2024").as_deref(), Some("2024-07-23"));
        assert_eq!(dmy_date("31/2/2024"), None);
        assert_eq!(
            clean_title("Falcon2-11B Technical ReportFalcon2-11B Technical Report"),
            "Falcon2-11B Technical Report"
        );
        assert_eq!(
            best_scorer("a:0.5±0.1,b:0.7±0.02"),
            Ok(Some(("b".to_owned(), 0.02)))
        );
        assert!(best_scorer("a:0.5").is_err());
        let table = MakerTable::parse(DEFAULT_MAKERS, "makers", &mut Converted::default());
        assert_eq!(table.maker_of("llama3-llava-next-8b"), Some("LLaVA"));
        assert_eq!(table.maker_of("Llama-2-70b-hf"), Some("Meta"));
        let c = convert(
            "external_benchmark_terminal_bench.csv",
            "id,Agent,Model version,Accuracy mean,Accuracy SE,Notes,Source,Source link\n\
             rec1,Droid,gpt-5,58.8%,0.9%,,Terminal-Bench Leaderboard,https://www.tbench.ai/leaderboard\n",
        );
        let r = find(&c, "r:epoch/terminal_bench/rec1");
        assert_eq!(
            (r["harness"].clone(), r["stderr"].clone()),
            (json!("Droid"), json!(0.9))
        );
    }
}
