//! Meta commands: lines starting with `.`, as in sqlite. Any unambiguous
//! prefix of a command's name will do (`.sc` is `.schema`).

use super::{Flow, MAX_READ_DEPTH, Redirect, Session, lex};
use crate::cli::files;
use evident::model::fields::{self, FieldType};
use evident::model::{Kind, Status};
use evident::render::Format;
use evident::suggest::did_you_mean;
use evident::{Error, ImportOptions};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One meta command.
#[derive(Debug)]
struct Command {
    name: &'static str,
    args: &'static str,
    about: &'static str,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "help",
        args: "[TOPIC]",
        about: "the language, with examples (.help topics lists the topics)",
    },
    Command {
        name: "format",
        args: "[FORMAT]",
        about: "show or set the output format: table json jsonl csv tsv markdown line",
    },
    Command {
        name: "pager",
        args: "[on|off]",
        about: "show or set paging: on a terminal, long results go through $PAGER (less -FRX)",
    },
    Command {
        name: "output",
        args: "[FILE]",
        about: "send results to FILE (no colour, no pager); with no FILE, back to the screen",
    },
    Command {
        name: "once",
        args: "FILE",
        about: "send the next results only to FILE",
    },
    Command {
        name: "timer",
        args: "[on|off]",
        about: "show or set the timer (elapsed time after each statement, on standard error)",
    },
    Command {
        name: "schema",
        args: "[COLLECTION]",
        about: "the collections, their fields and types; derived fields marked",
    },
    Command {
        name: "stats",
        args: "",
        about: "records by kind and claims by status",
    },
    Command {
        name: "read",
        args: "FILE",
        about: "run a script file (statements and meta commands)",
    },
    Command {
        name: "import",
        args: "FILE [--skip-invalid]",
        about: "import JSON Lines (.gz too), atomically",
    },
    Command {
        name: "export",
        args: "FILE",
        about: "write every record as JSON Lines (compressed if FILE ends in .gz)",
    },
    Command {
        name: "quit",
        args: "",
        about: "leave the shell (also .exit, Ctrl-D)",
    },
    Command {
        name: "exit",
        args: "",
        about: "leave the shell",
    },
];

/// Finds a command by name or unambiguous prefix.
fn resolve(typed: &str) -> Result<&'static Command, String> {
    if let Some(command) = COMMANDS.iter().find(|c| c.name == typed) {
        return Ok(command);
    }
    let matching: Vec<&Command> = COMMANDS
        .iter()
        .filter(|c| !typed.is_empty() && c.name.starts_with(typed))
        .collect();
    match matching.as_slice() {
        [command] => Ok(command),
        [] => {
            let mut message = format!("unknown command \".{typed}\"");
            if let Some(meant) = did_you_mean(typed, COMMANDS.iter().map(|c| c.name)) {
                message.push_str(&format!(" — did you mean \".{meant}\"?"));
            }
            message.push_str(" (.help meta lists the commands)");
            Err(message)
        }
        several => {
            let names: Vec<String> = several.iter().map(|c| format!(".{}", c.name)).collect();
            Err(format!(
                "\".{typed}\" is ambiguous: it could be {}",
                names.join(" or ")
            ))
        }
    }
}

/// Splits a meta command's arguments at white space; double quotes group
/// (with `\"` and `\\` inside them).
fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut arg = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted argument".to_owned()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => arg.push(c),
                        None => return Err("unterminated quoted argument".to_owned()),
                    },
                    Some(c) => arg.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                arg.push(c);
            }
        }
        args.push(arg);
    }
    Ok(args)
}

/// A setting's value: on or off (also yes/no, true/false, 1/0).
fn on_off(setting: &str) -> Result<bool, String> {
    match setting.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(format!("expected on or off, found \"{setting}\"")),
    }
}

/// Whether a meta command line shows information (which then goes where
/// results go) rather than doing something.
fn shows_information(line: &str) -> bool {
    let body = line.trim().trim_start_matches('.');
    let name = body.split(char::is_whitespace).next().unwrap_or("");
    resolve(name).is_ok_and(|c| {
        matches!(
            c.name,
            "help" | "format" | "pager" | "timer" | "schema" | "stats"
        )
    })
}

/// `~/x` is `$HOME/x`.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

impl Session<'_> {
    /// Runs a meta command line (starting with `.`). Information asked for
    /// goes to `out`; confirmations and errors to `err`.
    pub(super) fn meta(&mut self, line: &str, out: &mut dyn Write, err: &mut dyn Write) -> Flow {
        let result = if shows_information(line) {
            // Information goes where results go (`.output`, the pager).
            let mut text = Vec::new();
            let result = self.try_meta(line, &mut text, err);
            let mut failed = None;
            if !text.is_empty() {
                self.results_to(out, &mut |out, _| {
                    let written = out.write_all(&text).and_then(|()| out.flush());
                    failed = written.err();
                    failed.is_none()
                });
            }
            match failed {
                // The reader went away (the pager was quit): not an error.
                Some(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    Err(format!("could not write: {e}"))
                }
                _ => result,
            }
        } else {
            self.try_meta(line, out, err)
        };
        match result {
            Ok(flow) => flow,
            Err(message) => {
                let _ = writeln!(err, "{message}");
                Flow::Failed
            }
        }
    }

    fn try_meta(
        &mut self,
        line: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, String> {
        // A `;` out of habit is forgiven.
        let line = line.trim().trim_end_matches(';').trim_end();
        let body = line.strip_prefix('.').unwrap_or(line);
        let (name, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        let command = resolve(name)?;
        let args = split_args(rest)?;
        let usage = || {
            format!("usage: .{} {}", command.name, command.args)
                .trim_end()
                .to_owned()
        };
        let wrote = |r: io::Result<()>| {
            r.map(|()| Flow::Continue)
                .map_err(|e| format!("could not write: {e}"))
        };
        match (command.name, args.as_slice()) {
            ("help", []) => wrote(out.write_all(help_overview().as_bytes())),
            ("help", [topic]) => wrote(out.write_all(help_topic(topic)?.as_bytes())),
            ("format", []) => wrote(writeln!(out, "{}", self.format.name())),
            ("format", [name]) => match Format::from_name(&name.to_ascii_lowercase()) {
                Some(format) => {
                    self.format = format;
                    Ok(Flow::Continue)
                }
                None => Err(format!(
                    "unknown format \"{name}\": choose one of {}",
                    Format::NAMES.join(", ")
                )),
            },
            ("timer", []) => wrote(writeln!(
                out,
                "timer {}",
                if self.timer { "on" } else { "off" }
            )),
            ("timer", [setting]) => {
                self.timer = on_off(setting)?;
                Ok(Flow::Continue)
            }
            ("pager", []) => wrote(writeln!(
                out,
                "pager {}",
                if self.pager { "on" } else { "off" }
            )),
            ("pager", [setting]) => {
                self.pager = on_off(setting)?;
                Ok(Flow::Continue)
            }
            ("output", []) => {
                self.output = None;
                Ok(Flow::Continue)
            }
            ("output", [file]) => {
                self.output = Some(Redirect::create(&expand_home(file))?);
                Ok(Flow::Continue)
            }
            ("once", [file]) => {
                self.once = Some(Redirect::create(&expand_home(file))?);
                Ok(Flow::Continue)
            }
            ("schema", []) => wrote(out.write_all(
                schema_text(&[Kind::Source, Kind::Claim, Kind::Evidence, Kind::Result]).as_bytes(),
            )),
            ("schema", [collection]) => {
                let kind = collection_kind(collection)?;
                wrote(out.write_all(schema_text(&[kind]).as_bytes()))
            }
            ("stats", []) => {
                let text = self.stats().map_err(|e| e.to_string())?;
                wrote(out.write_all(text.as_bytes()))
            }
            ("read", [file]) => self.read(&expand_home(file), out, err),
            ("import", [file]) => self.import(&expand_home(file), false, err),
            ("import", [a, b]) if a == "--skip-invalid" || b == "--skip-invalid" => {
                let file = if a == "--skip-invalid" { b } else { a };
                self.import(&expand_home(file), true, err)
            }
            ("export", [file]) => self.export(&expand_home(file), err),
            ("quit" | "exit", []) => Ok(Flow::Quit),
            _ => Err(usage()),
        }
    }

    fn stats(&self) -> Result<String, Error> {
        let counters = self.db.counters()?;
        let mut text = String::from("records\n");
        for kind in [Kind::Source, Kind::Claim, Kind::Evidence, Kind::Result] {
            text.push_str(&format!(
                "  {:<12}{:>10}\n",
                kind.collection(),
                counters.of_kind(kind)
            ));
        }
        text.push_str("claims by status\n");
        for status in Status::ALL {
            text.push_str(&format!(
                "  {:<12}{:>10}\n",
                status.name(),
                counters.of_status(status)
            ));
        }
        Ok(text)
    }

    /// `.read FILE`: runs a script file as if it were piped in.
    fn read(
        &mut self,
        path: &Path,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, String> {
        if self.reading.len() >= MAX_READ_DEPTH {
            return Err(format!(
                "{}: .read nested more than {MAX_READ_DEPTH} deep (does a script read itself?)",
                path.display()
            ));
        }
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|f| f.take(super::MAX_INPUT_BYTES).read_to_end(&mut bytes))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{}: the script is not valid UTF-8", path.display()))?;
        self.reading.push(path.to_path_buf());
        let flow = self.run_text(&text, out, err);
        self.reading.pop();
        // Whatever the script did, the catalog may be stale.
        self.catalog.invalidate();
        Ok(flow)
    }

    /// `.import FILE`: atomic, as `evident import`.
    fn import(
        &mut self,
        path: &Path,
        skip_invalid: bool,
        err: &mut dyn Write,
    ) -> Result<Flow, String> {
        let name = path.display().to_string();
        let reader = files::open_input(path).map_err(|e| format!("{name}: {e}"))?;
        let started = Instant::now();
        let result =
            self.db
                .import_jsonl_with(&name, reader, ImportOptions { skip_invalid }, &mut |_| {});
        self.catalog.invalidate();
        let report = result.map_err(|e| e.to_string())?;
        files::write_import_report(err, &name, &report, started.elapsed());
        Ok(Flow::Continue)
    }

    /// `.export FILE`: as `evident export -o FILE`.
    fn export(&mut self, path: &Path, err: &mut dyn Write) -> Result<Flow, String> {
        let n = files::export_to_file(self.db, path)?;
        let _ = writeln!(err, "exported {n} records to {}", path.display());
        Ok(Flow::Continue)
    }
}

/// A collection (`claims`) or kind (`claim`) name, with a suggestion when misspelt.
fn collection_kind(name: &str) -> Result<Kind, String> {
    let lower = name.to_ascii_lowercase();
    if let Some(kind) = Kind::from_collection(&lower).or_else(|| Kind::from_name(&lower)) {
        return Ok(kind);
    }
    let collections = ["claims", "sources", "evidence", "results"];
    let mut message = format!("unknown collection \"{name}\"");
    if let Some(meant) = did_you_mean(name, collections) {
        message.push_str(&format!(" — did you mean \"{meant}\"?"));
    }
    Err(message)
}

fn type_text(ty: FieldType) -> String {
    match ty {
        FieldType::Ref(kind) => format!("id of a {}", kind.name()),
        other => other.name().to_owned(),
    }
}

/// `.schema`: each collection with its fields, types, whether derived, and
/// the values a field conventionally takes.
fn schema_text(kinds: &[Kind]) -> String {
    let mut text = String::new();
    for (i, &kind) in kinds.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(kind.collection());
        text.push('\n');
        for field in fields::fields(kind) {
            let mut line = format!(
                "  {:<21}{:<17}{}",
                field.name,
                type_text(field.ty),
                if field.derived { "derived" } else { "" }
            );
            if !field.known_values.is_empty() {
                let pad = if field.derived { "  " } else { "         " };
                line.push_str(pad);
                line.push_str(&field.known_values.join(" "));
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    text
}

fn help_overview() -> String {
    let mut text = String::from(
        "Type a statement and press Enter; it runs when it is complete (the `;` is optional).\n\
         Enter inside an unfinished statement continues it on the next line.\n\
         Tab completes keywords, fields and values; Up brings back earlier statements;\n\
         Ctrl-C abandons the input, Ctrl-D leaves.\n\n\
         Statements (.help statements):\n  \
           claims where status = unresolved and subject = SpaceX\n  \
           count claims group by status\n  \
           show c1        explain c1\n\n\
         Meta commands (any unambiguous prefix will do):\n",
    );
    text.push_str(&meta_list());
    text.push_str("\nHelp topics: ");
    text.push_str(&TOPICS.iter().map(|t| t.0).collect::<Vec<_>>().join(", "));
    text.push_str(" (or a collection: .help claims)\n");
    text
}

fn meta_list() -> String {
    COMMANDS
        .iter()
        .map(|c| {
            format!(
                "  {:<32}{}\n",
                format!(".{} {}", c.name, c.args).trim_end(),
                c.about
            )
        })
        .collect()
}

const STATEMENTS: &str = "\
Statements (separate several with `;`; `--` starts a comment):

  COLLECTION [as of DATE] [where CONDITION] [group by FIELD, …]
             [order by KEY [asc|desc], …] [limit N [offset M]] [select ITEM, …]
      the records of a collection: claims, sources, evidence, results;
      with group by, one row per group (ITEM, KEY: a group field, count,
      avg(F), min(F), max(F), sum(F))
  count COLLECTION [as of DATE] [where CONDITION] [group by FIELD, …]
             [order by KEY …] [limit N [offset M]]
      how many; one row per group with group by
  show ID          one record; a claim with its evidence and why it has its status
  explain ID       how a claim's status and confidence were derived, step by step
  add KIND {name: value, …}
                   add (or replace) a claim, source, evidence or result
  retract ID       remove a record no other record refers to
  history ID       every recorded write of a record, with a claim's status after each
  changes [since TIME] [until TIME] [where CONDITION]
                   claims whose status changed between two recorded times (.help history)

Examples:
  claims where status = unresolved select id, text
  claims as of 2026-06-01 where subject = SpaceX order by confidence desc limit 5
  count sources group by kind
  count claims where status = contested group by subject order by count desc limit 5
  evidence where source.kind = memo and claim.status = unresolved
  add claim {id: c99, text: \"Colossus hosts 555,000 GPUs\", subject: xAI, tags: [compute]}
  retract c99
";

const OPERATORS: &str = "\
Conditions (after `where`, combined with and, or, not and parentheses):

  FIELD = value          also != < <= > >=
  FIELD in (v1, v2)      FIELD not in (…)
  FIELD ~ \"text\"         contains, ignoring case
  FIELD has value        list membership: tags, affiliations
  FIELD is null          FIELD is not null: whether the field is absent
  FIELD                  a boolean field on its own: independent
  any evidence (COND)    on claims and sources; also no and all; `any evidence` alone: has evidence

A field that is absent compares false with every operator (`not` then gives true).
`=` on strings is exact; `~` ignores case. A reference goes on with a dot:
source.kind, claim.status. Inside a quantifier's parentheses, fields are evidence fields.

Examples:
  claims where status in (verified, contested) and not tags has rumour
  claims where any evidence (stance = refutes and independent)
  sources where reliability >= 0.75 and publisher is not null
  results where benchmark ~ \"swe\" and source.kind = leaderboard
";

const VALUES: &str = "\
Values:

  \"text\"          a string; escapes \\\" \\\\ \\n \\t \\u{…}
  word            a bare name is a string too: status = unresolved
  0.7  -3  1e3    numbers
  2026-06-16      a date (YYYY-MM-DD)
  true  false     booleans
  [a, b]          a list, in `add` records

Known values: status (verified refuted contested unresolved), stance
(supports refutes), source kind (article blog statement memo filing paper
report benchmark leaderboard dataset factcheck encyclopedia other).
Tab after an operator offers them, and the subjects, tags and ids in the database.
";

const FORMATS: &str = "\
Output formats (.format NAME):

  table    a table for people (the default on a terminal)
  json     one JSON array per statement
  jsonl    one JSON object per row, one per line (the default into a pipe)
  csv      comma-separated values with a header line
  tsv      tab-separated values with a header line (\\t \\n \\\\ inside values)
  markdown a GitHub table
  line     one `field = value` line per field, a blank line after each row

Numbers keep every digit, except in tables, which round them to 4 decimals.

Results go to standard output; messages, errors and timings to standard error.
On a terminal, results longer than the screen go through $PAGER (less -FRX when
it is not set; PAGER= or .pager off turns it off). .output FILE sends results to
FILE until .output alone; .once FILE sends only the next ones.
";

const KEYS: &str = "\
Keys:

  Enter        run the statement, or continue it on the next line if unfinished
  Tab          complete keywords, fields, operators and values
  Up / Down    earlier statements (a multi-line statement comes back whole)
  Right        accept the grey hint from history
  Ctrl-R       search the history
  Ctrl-C       abandon the input
  Ctrl-D       leave

The history is kept in $XDG_DATA_HOME/evident/history (~/.local/share/evident/history).
";

const HISTORY: &str = "\
Two time axes:

  as of DATE      what the evidence said on a day, by the evidence's own dates
                  (and sources' publication dates): claims created after the
                  day are left out, and evidence with no date counts on no day.
      claims as of 2026-06-01 where subject = SpaceX select id, status

  history ID      when things were recorded in this database: every write of
  changes …       a record, and which claims' statuses flipped between two
                  recorded times (UTC, to the millisecond).
      history c:colossus-555k-gpus
      changes since 2026-12-01 where status_before = verified
      changes since 2026-12-01T09:30:00Z until 2026-12-02

A TIME is a DATE (midnight UTC) or YYYY-MM-DDTHH:MM:SS[.fff]Z. `history` rows:
recorded, action (add, replace, retract, or derive: another record's write
changed the claim), record (as export writes it), and for a claim its status
and confidence after. `changes` rows: id, text, status_before, status,
confidence_before, confidence, changed (the last write that changed the status);
`where` may use those and the claim's own fields.
History lives in the database: `export` writes the records as they are now,
`evident export --history` every recorded write.
";

/// Help topics: name and text (fields and meta are built when asked).
const TOPICS: &[(&str, &str)] = &[
    ("statements", STATEMENTS),
    ("history", HISTORY),
    ("operators", OPERATORS),
    ("conditions", OPERATORS),
    ("fields", ""),
    ("values", VALUES),
    ("formats", FORMATS),
    ("meta", ""),
    ("keys", KEYS),
    ("topics", ""),
];

fn help_topic(topic: &str) -> Result<String, String> {
    let lower = topic.trim_start_matches('.').to_ascii_lowercase();
    if let Ok(kind) = collection_kind(&lower) {
        return Ok(schema_text(&[kind]));
    }
    let exact = TOPICS.iter().find(|(name, _)| *name == lower);
    let matching: Vec<&(&str, &str)> = TOPICS
        .iter()
        .filter(|(name, _)| name.starts_with(&lower))
        .collect();
    let (name, text) = match (exact, matching.as_slice()) {
        (Some(topic), _) => *topic,
        (None, [topic]) => **topic,
        (None, []) => {
            // A meta command's name gives its line of the list.
            if let Ok(command) = resolve(&lower) {
                return Ok(format!(
                    "{:<32}{}\n",
                    format!(".{} {}", command.name, command.args).trim_end(),
                    command.about
                ));
            }
            let mut message = format!("no help on \"{topic}\"");
            if let Some(meant) = did_you_mean(&lower, TOPICS.iter().map(|t| t.0)) {
                message.push_str(&format!(" — did you mean \"{meant}\"?"));
            }
            message.push_str(&format!("; topics: {}", topic_names()));
            return Err(message);
        }
        (None, several) => {
            let names: Vec<&str> = several.iter().map(|t| t.0).collect();
            return Err(format!(
                "\"{topic}\" is ambiguous: it could be {}",
                names.join(" or ")
            ));
        }
    };
    Ok(match name {
        "fields" => format!(
            "Fields of each collection (.schema shows the same; derived fields are computed by the engine):\n\n{}",
            schema_text(&[Kind::Source, Kind::Claim, Kind::Evidence, Kind::Result])
        ),
        "meta" => format!(
            "Meta commands (any unambiguous prefix will do):\n{}",
            meta_list()
        ),
        "topics" => format!(
            "Help topics: {}; or a collection: .help claims\n",
            topic_names()
        ),
        _ => text.to_owned(),
    })
}

fn topic_names() -> String {
    TOPICS.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
}

/// Completes a meta command line; `dot` is where its `.` is.
pub(super) fn complete(before: &str, dot: usize) -> (usize, Vec<String>) {
    let body = &before[dot + 1..];
    let Some((name, rest)) = body.split_once(char::is_whitespace) else {
        let names = COMMANDS
            .iter()
            .filter(|c| c.name.starts_with(body))
            .map(|c| format!(".{}", c.name))
            .collect();
        return (dot, names);
    };
    let Ok(command) = resolve(name) else {
        return (before.len(), Vec::new());
    };
    // Only the first argument is completed here; files are the editor's.
    let rest = rest.trim_start();
    if rest.contains(char::is_whitespace) {
        return (before.len(), Vec::new());
    }
    let start = before.len() - rest.len();
    let options: Vec<&str> = match command.name {
        "format" => Format::NAMES.to_vec(),
        "timer" | "pager" => vec!["on", "off"],
        "help" => TOPICS.iter().map(|t| t.0).collect(),
        "schema" => vec!["claims", "sources", "evidence", "results"],
        _ => Vec::new(),
    };
    let lower = rest.to_ascii_lowercase();
    (
        start,
        options
            .into_iter()
            .filter(|o| o.starts_with(&lower))
            .map(String::from)
            .collect(),
    )
}

/// Whether the cursor is on the file argument of `.read`, `.import`,
/// `.export`, `.output` or `.once`.
pub(super) fn takes_file(line: &str, pos: usize) -> bool {
    let Some(before) = line.get(..pos) else {
        return false;
    };
    let trimmed = before.trim_start();
    let Some(body) = trimmed.strip_prefix('.') else {
        return false;
    };
    match body.split_once(char::is_whitespace) {
        Some((name, _)) => resolve(name)
            .is_ok_and(|c| matches!(c.name, "read" | "import" | "export" | "output" | "once")),
        None => false,
    }
}

/// Whether a script line is a meta command: it starts with `.` and is not
/// inside a string the statement before it left open.
pub(super) fn is_meta_line(line: &str, statement_so_far: &str) -> bool {
    line.trim_start().starts_with('.') && !lex::ends_in_open_string(statement_so_far)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{run, run_in, test_db};
    use super::*;

    #[test]
    fn prefixes_unknown_and_ambiguous_commands() {
        assert_eq!(resolve("help").map(|c| c.name), Ok("help"));
        assert_eq!(resolve("h").map(|c| c.name), Ok("help"));
        assert_eq!(resolve("sc").map(|c| c.name), Ok("schema"));
        assert_eq!(resolve("st").map(|c| c.name), Ok("stats"));
        assert_eq!(resolve("q").map(|c| c.name), Ok("quit"));
        assert_eq!(resolve("exi").map(|c| c.name), Ok("exit"));
        assert_eq!(
            resolve("s").map(|c| c.name),
            Err("\".s\" is ambiguous: it could be .schema or .stats".to_owned())
        );
        assert_eq!(
            resolve("ex").map(|c| c.name),
            Err("\".ex\" is ambiguous: it could be .export or .exit".to_owned())
        );
        assert_eq!(
            resolve("fromat").map(|c| c.name),
            Err("unknown command \".fromat\" — did you mean \".format\"? (.help meta lists the commands)".to_owned())
        );
        assert!(resolve("").is_err());
        assert!(
            resolve("zzz")
                .unwrap_err()
                .starts_with("unknown command \".zzz\" (.help")
        );
    }

    #[test]
    fn arguments() {
        assert_eq!(
            split_args(r#" a  "b c" "d\"e" "#).unwrap(),
            vec!["a", "b c", "d\"e"]
        );
        assert!(split_args("\"open").is_err());
        assert_eq!(split_args("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn help_and_topics() {
        let (_dir, db) = test_db();
        let (flow, out, _) = run(&db, ".help");
        assert_eq!(flow, Flow::Continue);
        assert!(
            out.contains(".schema [COLLECTION]") && out.contains("Help topics: statements"),
            "{out}"
        );
        for (topic, expected) in [
            ("statements", "count COLLECTION"),
            ("op", "FIELD has value"),
            ("fields", "independent_support"),
            ("formats", "jsonl"),
            ("meta", ".import FILE [--skip-invalid]"),
            ("keys", "Ctrl-C"),
            ("values", "YYYY-MM-DD"),
            ("claims", "evidence_count"),
            ("import", ".import FILE"),
            ("history", "as of DATE      what the evidence said on a day"),
        ] {
            let (flow, out, err) = run(&db, &format!(".he {topic}"));
            assert_eq!(flow, Flow::Continue, "{topic}: {err}");
            assert!(out.contains(expected), "{topic}: {out}");
        }
        let (flow, _, err) = run(&db, ".help opertors");
        assert_eq!(flow, Flow::Failed);
        assert!(err.contains("did you mean \"operators\"?"), "{err}");
        let (flow, _, _) = run(&db, ".help a b");
        assert_eq!(flow, Flow::Failed);
    }

    #[test]
    fn the_examples_in_the_help_run() {
        let (_dir, db) = test_db();
        let mut session = Session::new(&db, Format::Jsonl);
        let mut examples = 0;
        for text in [STATEMENTS, OPERATORS] {
            let (_, after) = text.split_once("Examples:\n").unwrap();
            for line in after.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let (flow, _, err) = run_in(&mut session, line);
                assert_eq!(flow, Flow::Continue, "{line}: {err}");
                examples += 1;
            }
        }
        assert!(examples >= 10);
    }

    #[test]
    fn format_and_timer() {
        let (_dir, db) = test_db();
        let mut session = Session::new(&db, Format::Jsonl);
        assert_eq!(run_in(&mut session, ".format").1, "jsonl\n");
        assert_eq!(run_in(&mut session, ".f csv").0, Flow::Continue);
        assert_eq!(run_in(&mut session, "count claims").1, "count\n2\n");
        assert_eq!(run_in(&mut session, ".format json").0, Flow::Continue);
        assert_eq!(run_in(&mut session, "count claims").1, "[{\"count\":2}]\n");
        let (flow, _, err) = run_in(&mut session, ".format xml");
        assert_eq!(flow, Flow::Failed);
        assert!(
            err.contains(
                "unknown format \"xml\": choose one of table, json, jsonl, csv, tsv, markdown, line"
            ),
            "{err}"
        );
        assert_eq!(session.format, Format::Json, "a bad format changes nothing");

        assert_eq!(run_in(&mut session, ".timer").1, "timer off\n");
        assert_eq!(run_in(&mut session, ".timer on;").0, Flow::Continue);
        let (_, _, err) = run_in(&mut session, "count claims");
        assert!(err.starts_with("time: ") && err.ends_with(" ms\n"), "{err}");
        assert_eq!(run_in(&mut session, ".t off").0, Flow::Continue);
        assert_eq!(run_in(&mut session, "count claims").2, "");
        assert_eq!(run_in(&mut session, ".timer maybe").0, Flow::Failed);
    }

    #[test]
    fn output_and_once_send_results_to_files() {
        let (dir, db) = test_db();
        let (all, one) = (dir.path().join("all.out"), dir.path().join("one.csv"));
        let mut session = Session::new(&db, Format::Jsonl);
        let (flow, _, err) = run_in(&mut session, &format!(".output {}", all.display()));
        assert_eq!(flow, Flow::Continue, "{err}");
        assert_eq!(
            run_in(&mut session, "count claims"),
            (Flow::Continue, String::new(), String::new())
        );
        // Errors still go to standard error.
        let (flow, out, err) = run_in(&mut session, "claims where staus = x");
        assert_eq!((flow, out.as_str()), (Flow::Failed, ""));
        assert!(err.contains("did you mean \"status\"?"), "{err}");
        assert_eq!(
            run_in(&mut session, ".format").1,
            "",
            "information goes to the file too"
        );
        assert_eq!(run_in(&mut session, ".format csv").0, Flow::Continue);
        assert_eq!(
            run_in(&mut session, &format!(".once \"{}\"", one.display())).0,
            Flow::Continue
        );
        assert_eq!(run_in(&mut session, "count sources").1, "");
        assert_eq!(run_in(&mut session, "count evidence").1, "");
        assert_eq!(run_in(&mut session, ".output").0, Flow::Continue);
        assert_eq!(run_in(&mut session, "count claims").1, "count\n2\n");
        assert_eq!(
            std::fs::read_to_string(&all).unwrap(),
            "{\"count\":2}\njsonl\ncount\n2\n"
        );
        assert_eq!(std::fs::read_to_string(&one).unwrap(), "count\n2\n");
        let (flow, _, err) = run_in(&mut session, ".output /no/such/dir/f");
        assert_eq!(flow, Flow::Failed);
        assert!(err.starts_with("/no/such/dir/f: "), "{err}");
        assert_eq!(run_in(&mut session, ".once").0, Flow::Failed, "usage");
    }

    #[test]
    fn the_pager_setting() {
        let (_dir, db) = test_db();
        let mut session = Session::new(&db, Format::Jsonl);
        assert_eq!(run_in(&mut session, ".pager").1, "pager on\n");
        assert_eq!(run_in(&mut session, ".pa off").0, Flow::Continue);
        assert_eq!(run_in(&mut session, ".pager").1, "pager off\n");
        assert_eq!(run_in(&mut session, ".pager sometimes").0, Flow::Failed);
        // Not on a terminal: no pager, whatever the setting.
        assert_eq!(run_in(&mut session, ".pager on").0, Flow::Continue);
        assert_eq!(run_in(&mut session, "count claims").1, "{\"count\":2}\n");
    }

    #[test]
    fn schema_and_stats() {
        let (_dir, db) = test_db();
        let (flow, out, _) = run(&db, ".schema");
        assert_eq!(flow, Flow::Continue);
        for expected in ["sources\n", "claims\n", "evidence\n", "results\n"] {
            assert!(out.contains(expected), "{out}");
        }
        assert!(out.contains("  status               string           derived  verified refuted contested unresolved\n"), "{out}");
        assert!(
            out.contains("  source               id of a source\n"),
            "{out}"
        );
        assert!(
            out.contains("  kind                 string                    article blog"),
            "{out}"
        );
        let (_, out, _) = run(&db, ".sc evidence");
        assert!(
            out.starts_with("evidence\n  id ") && !out.contains("claims"),
            "{out}"
        );
        let (flow, _, err) = run(&db, ".schema claimz");
        assert_eq!(flow, Flow::Failed);
        assert!(err.contains("did you mean \"claims\"?"), "{err}");

        let (flow, out, _) = run(&db, ".stats");
        assert_eq!(flow, Flow::Continue);
        assert_eq!(
            out,
            "records\n  sources              2\n  claims               2\n  evidence             2\n  results              0\n\
             claims by status\n  verified             1\n  refuted              0\n  contested            0\n  unresolved           1\n"
        );
        assert_eq!(run(&db, ".stats now").0, Flow::Failed);
    }

    #[test]
    fn read_runs_a_script_file() {
        let (dir, db) = test_db();
        let script = dir.path().join("s.evq");
        std::fs::write(&script, ".format csv\ncount claims;\n-- done\n").unwrap();
        let mut session = Session::new(&db, Format::Jsonl);
        let (flow, out, err) = run_in(&mut session, &format!(".read {}", script.display()));
        assert_eq!(
            (flow, out.as_str()),
            (Flow::Continue, "count\n2\n"),
            "{err}"
        );
        assert_eq!(
            session.format,
            Format::Csv,
            "settings made by the script stay"
        );
        // A failing script reports its error, in the script's own lines.
        std::fs::write(&script, "count claims;\n\nclaims where staus = x\n").unwrap();
        let (flow, _, err) = run(&db, &format!(".r \"{}\"", script.display()));
        assert_eq!(flow, Flow::Failed);
        assert!(err.contains("line 3"), "{err}");
        // A script that reads itself stops at the depth limit.
        std::fs::write(&script, format!(".read {}\n", script.display())).unwrap();
        let (flow, _, err) = run(&db, &format!(".read {}", script.display()));
        assert_eq!(flow, Flow::Failed);
        assert!(err.contains("nested more than 16 deep"), "{err}");
        let (flow, _, err) = run(&db, ".read /no/such/file");
        assert_eq!(flow, Flow::Failed);
        assert!(err.starts_with("/no/such/file: "), "{err}");
        assert_eq!(run(&db, ".read").0, Flow::Failed);
    }

    #[test]
    fn import_and_export() {
        let (dir, db) = test_db();
        let plain = dir.path().join("more.jsonl");
        std::fs::write(
            &plain,
            "{\"type\":\"claim\",\"id\":\"c3\",\"text\":\"t\",\"subject\":\"Zeta\"}\n",
        )
        .unwrap();
        let mut session = Session::new(&db, Format::Jsonl);
        assert_eq!(
            session
                .catalog
                .get()
                .values_of(evident::model::Kind::Claim, "subject"),
            vec!["Acme", "Model X"]
        );
        let (flow, _, err) = run_in(&mut session, &format!(".import {}", plain.display()));
        assert_eq!(flow, Flow::Continue, "{err}");
        assert!(
            err.contains("1 claim read; 1 added, 0 replaced, 0 unchanged"),
            "{err}"
        );
        assert_eq!(
            session
                .catalog
                .get()
                .values_of(evident::model::Kind::Claim, "subject"),
            vec!["Acme", "Model X", "Zeta"],
            "imports refresh completion"
        );

        // Compressed, by extension.
        let gz = dir.path().join("more.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(b"{\"type\":\"claim\",\"id\":\"c4\",\"text\":\"t\"}\n")
            .unwrap();
        std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
        let (flow, _, err) = run_in(&mut session, &format!(".im {}", gz.display()));
        assert_eq!(flow, Flow::Continue, "{err}");
        assert_eq!(run_in(&mut session, "count claims").1, "{\"count\":4}\n");

        // Invalid lines: nothing imported, every problem reported; or skipped.
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, "{\"type\":\"claim\",\"id\":\"c5\",\"text\":\"t\"}\n{\"type\":\"claim\",\"id\":\"c6\"}\n").unwrap();
        let (flow, _, err) = run_in(&mut session, &format!(".import {}", bad.display()));
        assert_eq!(flow, Flow::Failed);
        assert!(err.contains("bad.jsonl:2: text"), "{err}");
        assert_eq!(run_in(&mut session, "count claims").1, "{\"count\":4}\n");
        let (flow, _, err) = run_in(
            &mut session,
            &format!(".import --skip-invalid {}", bad.display()),
        );
        assert_eq!(flow, Flow::Continue, "{err}");
        assert!(err.contains("1 invalid line skipped"), "{err}");
        let (flow, _, err) = run_in(&mut session, ".import /no/such.jsonl");
        assert_eq!(flow, Flow::Failed);
        assert!(err.starts_with("/no/such.jsonl: "), "{err}");

        // Export, plain and compressed, then back into an empty database.
        let out = dir.path().join("all.jsonl");
        let (flow, _, err) = run_in(&mut session, &format!(".export {}", out.display()));
        assert_eq!(flow, Flow::Continue, "{err}");
        assert!(err.starts_with("exported 9 records to "), "{err}");
        let mut expected = Vec::new();
        db.export_jsonl(&mut expected).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), expected);
        let out_gz = dir.path().join("all.jsonl.gz");
        assert_eq!(
            run_in(&mut session, &format!(".exp {}", out_gz.display())).0,
            Flow::Continue
        );
        let other =
            evident::Connection::local(evident::Database::open(dir.path().join("other")).unwrap());
        let (flow, _, err) = run(&other, &format!(".import {}", out_gz.display()));
        assert_eq!(flow, Flow::Continue, "{err}");
        let mut again = Vec::new();
        other.export_jsonl(&mut again).unwrap();
        assert_eq!(again, expected);
        let (flow, _, _) = run(
            &db,
            &format!(".export {}/no/such/dir/x.jsonl", dir.path().display()),
        );
        assert_eq!(flow, Flow::Failed);
    }

    #[test]
    fn quit_and_exit() {
        let (_dir, db) = test_db();
        assert_eq!(run(&db, ".quit").0, Flow::Quit);
        assert_eq!(run(&db, ".q").0, Flow::Quit);
        assert_eq!(run(&db, ".exit").0, Flow::Quit);
        assert_eq!(run(&db, "  .exi  ").0, Flow::Quit);
        assert_eq!(run(&db, ".quit now").0, Flow::Failed);
        let (flow, _, err) = run(&db, ".bogus");
        assert_eq!(flow, Flow::Failed);
        assert!(err.starts_with("unknown command \".bogus\""), "{err}");
    }

    #[test]
    fn completion_of_meta_commands() {
        assert_eq!(
            complete(".", 0),
            (
                0,
                vec![
                    ".help", ".format", ".pager", ".output", ".once", ".timer", ".schema",
                    ".stats", ".read", ".import", ".export", ".quit", ".exit"
                ]
                .into_iter()
                .map(String::from)
                .collect()
            )
        );
        assert_eq!(
            complete(".s", 0),
            (0, vec![".schema".to_owned(), ".stats".to_owned()])
        );
        assert_eq!(complete("  .he", 2), (2, vec![".help".to_owned()]));
        assert_eq!(
            complete(".format j", 0),
            (8, vec!["json".to_owned(), "jsonl".to_owned()])
        );
        assert_eq!(
            complete(".timer ", 0),
            (7, vec!["on".to_owned(), "off".to_owned()])
        );
        assert_eq!(complete(".help st", 0), (6, vec!["statements".to_owned()]));
        assert_eq!(complete(".sc e", 0), (4, vec!["evidence".to_owned()]));
        assert_eq!(complete(".read x", 0), (6, vec![]));
        assert!(takes_file(".read fi", 8) && takes_file(".imp x", 6) && takes_file(".export ", 8));
        assert!(!takes_file(".read", 5) && !takes_file(".format j", 9) && !takes_file("claims", 6));
    }

    #[test]
    fn meta_lines_in_scripts() {
        assert!(is_meta_line(".help", ""));
        assert!(is_meta_line("  .quit\n", "claims\n"));
        assert!(!is_meta_line(".x\"}", "add claim {text: \"a\n"));
        assert!(!is_meta_line("claims", ""));
    }
}
