//! Writing `sources.toml` from the console: add a `[[source]]`, change one
//! (pause and resume are `enabled`), add a word to a `[[category]]`'s
//! `matches`.
//!
//! The file is edited with `toml_edit`, so every comment, the order and the
//! formatting of the rest stay as a person wrote them (a changed value keeps
//! the comment beside it). The new text is validated by [`Config::parse`],
//! the code `check` runs, *before* anything is written: a refused change
//! answers `check`'s own `FILE:LINE:COL: message` lines and leaves the file
//! as it was. An accepted one is written atomically (a temporary file in
//! the same folder, flushed to disk, renamed over the old one), so a crash
//! leaves either the old file or the new one, never half of it.
//!
//! Callers serialize edits (one at a time per file): an edit reads, changes
//! and writes the whole file.

use std::io::Write;
use std::path::{Path, PathBuf};

use publish::admin::sources::SourceAdminError;
use serde_json::{Map, Value as Json};
use toml_edit::{Array, DocumentMut, Item, Table, TableLike, Value};

use crate::config::{Config, ConfigError, MANUAL_SOURCE, SOURCE_KEYS};

/// A change accepted and written.
#[derive(Debug)]
pub struct Written {
    /// The configuration as now written.
    pub config: Config,
    /// What was changed, before and after (for the audit), as JSON.
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// Append a `[[source]]` made of `fields` (after the last one).
pub fn add_source(path: &Path, fields: &Map<String, Json>) -> Result<Written, SourceAdminError> {
    check_fields(fields)?;
    edit(path, |doc| {
        let mut table = Table::new();
        // In the order of `check`'s keys: `id`, `name`, `kind`, `url`, ...
        for key in SOURCE_KEYS {
            if let Some(v) = fields.get(*key) {
                if !v.is_null() {
                    table.insert(key, to_item(key, v)?);
                }
            }
        }
        let after = table_json(&table);
        match doc.get_mut("source") {
            Some(Item::ArrayOfTables(sources)) => sources.push(table),
            Some(_) => {
                return Err(SourceAdminError::Refused(vec![
                    "`source` must be an array of tables: [[source]]".to_string(),
                ]))
            }
            None => {
                let mut sources = toml_edit::ArrayOfTables::new();
                sources.push(table);
                doc.insert("source", Item::ArrayOfTables(sources));
            }
        }
        Ok((None, Some(after)))
    })
}

/// Change the `[[source]]` `id`: each key of `changes` is set (a `null`
/// removes it). Its `id` never changes.
pub fn update_source(
    path: &Path,
    id: &str,
    changes: &Map<String, Json>,
) -> Result<Written, SourceAdminError> {
    check_fields(changes)?;
    if let Some(new) = changes.get("id") {
        if new.as_str() != Some(id) {
            return Err(invalid("id", "the id of a source never changes"));
        }
    }
    edit(path, |doc| {
        let table = source_table(doc, id)?;
        let before = table_json(table);
        for (key, v) in changes {
            if key == "id" {
                continue;
            }
            if v.is_null() {
                table.remove(key);
                continue;
            }
            let mut item = to_item(key, v)?;
            // The comment beside a value stays beside its new value.
            if let (Some(Item::Value(old)), Item::Value(new)) = (table.get(key), &mut item) {
                *new.decor_mut() = old.decor().clone();
            }
            table.insert(key, item);
        }
        let after = table_json(table);
        Ok((Some(before), Some(after)))
    })
}

/// Add `word` to the `matches` of the `[[category]]` `slug` (nothing when
/// it is there already, in any case).
pub fn map_category(path: &Path, word: &str, slug: &str) -> Result<Written, SourceAdminError> {
    let word = word.trim();
    if word.is_empty() {
        return Err(invalid("word", "the word cannot be empty"));
    }
    edit(path, |doc| {
        let table = doc
            .get_mut("category")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|cats| {
                cats.iter_mut()
                    .find(|t| t.get("slug").and_then(Item::as_str) == Some(slug))
            })
            .ok_or_else(|| SourceAdminError::NotFound(format!("category {slug:?}")))?;
        let before = table_json(table);
        match table.get_mut("matches") {
            None => {
                let mut arr = Array::new();
                arr.push(word);
                table.insert("matches", Item::Value(Value::Array(arr)));
            }
            Some(item) => {
                let arr = item
                    .as_array_mut()
                    .ok_or_else(|| invalid("slug", "this category's `matches` is not an array"))?;
                let known = arr
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|m| m.to_lowercase() == word.to_lowercase());
                if !known {
                    arr.push(word);
                }
            }
        }
        let after = table_json(table);
        Ok((Some(before), Some(after)))
    })
}

/// Read the file, change it with `change`, validate the new text as
/// `check` does, and write it atomically when accepted.
pub(crate) fn edit(
    path: &Path,
    change: impl FnOnce(&mut DocumentMut) -> Result<(Option<Json>, Option<Json>), SourceAdminError>,
) -> Result<Written, SourceAdminError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SourceAdminError::Failed(format!("{}: {e}", path.display())))?;
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        // The file on disk is already broken: say so the way `check` does.
        match Config::parse(&text, path) {
            Err(ConfigError::Invalid { path, problems }) => SourceAdminError::Refused(
                problems
                    .iter()
                    .map(|p| format!("{path}:{}:{}: {}", p.line, p.col, p.message))
                    .collect(),
            ),
            _ => SourceAdminError::Failed(format!("{}: {e}", path.display())),
        }
    })?;
    let (before, after) = change(&mut doc)?;
    let new_text = doc.to_string();
    let config = match Config::parse(&new_text, path) {
        Ok(config) => config,
        Err(ConfigError::Invalid { path, problems }) => {
            return Err(SourceAdminError::Refused(
                problems
                    .iter()
                    .map(|p| format!("{path}:{}:{}: {}", p.line, p.col, p.message))
                    .collect(),
            ))
        }
        Err(e) => return Err(SourceAdminError::Failed(e.to_string())),
    };
    write_atomically(path, new_text.as_bytes())
        .map_err(|e| SourceAdminError::Failed(format!("{}: {e}", path.display())))?;
    Ok(Written {
        config,
        before,
        after,
    })
}

/// The `[[source]]` whose id is `id`.
fn source_table<'d>(doc: &'d mut DocumentMut, id: &str) -> Result<&'d mut Table, SourceAdminError> {
    doc.get_mut("source")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|sources| {
            sources
                .iter_mut()
                .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
        })
        .ok_or_else(|| SourceAdminError::NotFound(format!("source {id:?}")))
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> SourceAdminError {
    SourceAdminError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Keys `check` would not know are refused before anything is edited; the
/// values themselves are `check`'s business.
fn check_fields(fields: &Map<String, Json>) -> Result<(), SourceAdminError> {
    for key in fields.keys() {
        if !SOURCE_KEYS.contains(&key.as_str()) {
            return Err(invalid(
                key,
                format!(
                    "unknown key `{key}` in [[source]] (expected one of: {})",
                    SOURCE_KEYS.join(", ")
                ),
            ));
        }
    }
    if fields.get("id").and_then(Json::as_str) == Some(MANUAL_SOURCE) {
        return Err(invalid(
            "id",
            format!("source id {MANUAL_SOURCE:?} is reserved for the events entered by hand"),
        ));
    }
    Ok(())
}

/// A JSON value as TOML: `selectors` as a `[source.selectors]` table, the
/// rest as plain values.
fn to_item(key: &str, v: &Json) -> Result<Item, SourceAdminError> {
    if key == "selectors" {
        let Json::Object(map) = v else {
            return Err(invalid(key, "`selectors` must be an object"));
        };
        let mut table = Table::new();
        for (k, v) in map {
            if !v.is_null() {
                table.insert(k, Item::Value(to_value(k, v)?));
            }
        }
        return Ok(Item::Table(table));
    }
    Ok(Item::Value(to_value(key, v)?))
}

pub(crate) fn to_value(key: &str, v: &Json) -> Result<Value, SourceAdminError> {
    Ok(match v {
        Json::String(s) => Value::from(s.as_str()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) => Value::from(f),
            _ => return Err(invalid(key, "a number out of range")),
        },
        Json::Array(items) => {
            let mut arr = Array::new();
            for item in items {
                arr.push(to_value(key, item)?);
            }
            Value::Array(arr)
        }
        Json::Object(map) => {
            let mut t = toml_edit::InlineTable::new();
            for (k, v) in map {
                if !v.is_null() {
                    t.insert(k, to_value(k, v)?);
                }
            }
            Value::InlineTable(t)
        }
        Json::Null => return Err(invalid(key, "null is not a value here")),
    })
}

/// A table as JSON (for the audit's before/after).
pub(crate) fn table_json(t: &dyn TableLike) -> Json {
    Json::Object(
        t.iter()
            .filter_map(|(k, item)| item_json(item).map(|v| (k.to_string(), v)))
            .collect(),
    )
}

fn item_json(item: &Item) -> Option<Json> {
    match item {
        Item::None => None,
        Item::Value(v) => Some(value_json(v)),
        Item::Table(t) => Some(table_json(t)),
        Item::ArrayOfTables(a) => Some(Json::Array(a.iter().map(|t| table_json(t)).collect())),
    }
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::String(s) => Json::from(s.value().as_str()),
        Value::Integer(i) => Json::from(*i.value()),
        Value::Float(f) => Json::from(*f.value()),
        Value::Boolean(b) => Json::from(*b.value()),
        Value::Datetime(d) => Json::from(d.value().to_string()),
        Value::Array(a) => Json::Array(a.iter().map(value_json).collect()),
        Value::InlineTable(t) => table_json(t),
    }
}

/// Replace `path` with `bytes` atomically: a temporary file in the same
/// folder (same file system, same permissions), flushed, renamed over the
/// old one, then the folder flushed so the rename itself survives a crash.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Write through a symbolic link to the file it names.
    let target: PathBuf = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sources.toml".to_string());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    if let Ok(meta) = std::fs::metadata(&target) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FILE: &str = r#"# The council's sources.
# Keep this comment.

[aggregator]
name = "Test"            # the name
timezone = "America/Toronto"
schedule = "*/30 * * * *"

[[source]]
id = "a"                 # first
url = "https://a.example.org/a.ics"
schedule = "0 * * * *"   # hourly, on purpose

# A comment between sources.
[[source]]
id = "b"
url = "https://b.example.org/feed"
[source.selectors]
event = "article"        # one per event

# Venues come next.
[[venue]]
id = "salle"
name = "Salle"

[[category]]
slug = "musique"
name = { fr = "Musique", en = "Music" }
matches = ["concert", "music"]   # words
"#;

    fn file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.toml");
        std::fs::write(&path, FILE).unwrap();
        (dir, path)
    }

    fn map(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_new_source_goes_after_the_last_one_and_everything_else_stays() {
        let (_dir, path) = file();
        let w = add_source(
            &path,
            &map(
                json!({"id": "c", "name": "Centre C", "url": "https://c.example.org/agenda",
                        "lang": "fr", "priority": 3, "venue": "salle", "categories": ["musique"],
                        "selectors": {"event": ".ev", "title": "h2"}}),
            ),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Everything before the new table is byte for byte what it was.
        let cut = FILE.find("# Venues come next.").unwrap();
        assert!(text.starts_with(&FILE[..cut]), "{text}");
        // The new table sits between the last source and the venues, whose
        // comment stays with them; the rest follows unchanged.
        let new = &text[cut..text.find("# Venues come next.").unwrap()];
        assert_eq!(
            new,
            "[[source]]\nid = \"c\"\nname = \"Centre C\"\nurl = \"https://c.example.org/agenda\"\npriority = 3\nlang = \"fr\"\ncategories = [\"musique\"]\nvenue = \"salle\"\n\n[source.selectors]\nevent = \".ev\"\ntitle = \"h2\"\n\n"
        );
        assert!(text.ends_with(&FILE[cut..]), "{text}");
        assert_eq!(w.config.sources.len(), 3);
        assert_eq!(w.config.sources[2].id.as_str(), "c");
        assert_eq!(w.config.sources[2].priority, 3);
        assert_eq!(
            w.config.sources[2]
                .selectors
                .as_ref()
                .unwrap()
                .title
                .as_deref(),
            Some("h2")
        );
        assert_eq!(w.after.unwrap()["venue"], "salle");
        Config::load(&path).unwrap();
    }

    #[test]
    fn a_change_keeps_the_comment_beside_the_value() {
        let (_dir, path) = file();
        let w = update_source(
            &path,
            "a",
            &map(json!({"schedule": "15 * * * *", "enabled": false})),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            FILE.replace(
                "schedule = \"0 * * * *\"   # hourly, on purpose\n",
                "schedule = \"15 * * * *\"   # hourly, on purpose\nenabled = false\n"
            )
        );
        assert!(!w.config.sources[0].enabled);
        assert_eq!(w.before.unwrap()["schedule"], "0 * * * *");
        assert_eq!(w.after.unwrap()["schedule"], "15 * * * *");
        // Resume: back to true, in place.
        update_source(&path, "a", &map(json!({"enabled": true}))).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("on purpose\nenabled = true\n"), "{text}");
        // A null removes the key.
        update_source(&path, "a", &map(json!({"enabled": null}))).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("enabled"), "{text}");
    }

    #[test]
    fn a_refused_write_leaves_the_file_as_it_was_with_the_messages_of_check() {
        let (_dir, path) = file();
        let bad = add_source(
            &path,
            &map(json!({"id": "a", "url": "https://x.example.org/", "schedule": "61 * * * *"})),
        );
        let Err(SourceAdminError::Refused(messages)) = bad else {
            panic!("{bad:?}")
        };
        assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);
        // Exactly what `check` says of the same text.
        let mut doc: DocumentMut = FILE.parse().unwrap();
        let mut t = Table::new();
        t.insert("id", toml_edit::value("a"));
        t.insert("url", toml_edit::value("https://x.example.org/"));
        t.insert("schedule", toml_edit::value("61 * * * *"));
        doc["source"].as_array_of_tables_mut().unwrap().push(t);
        let Err(e) = Config::parse(&doc.to_string(), &path) else {
            panic!()
        };
        assert_eq!(messages.join("\n"), e.to_string());
        let p = path.display().to_string();
        assert!(
            messages.iter().any(|m| m.starts_with(&format!("{p}:"))
                && m.contains("duplicate source id \"a\"")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("invalid cron expression")),
            "{messages:?}"
        );
        // The built-in source's id, an unknown key, an unknown source.
        assert!(matches!(
            add_source(&path, &map(json!({"id": "saisie", "url": "https://x.example.org/"}))),
            Err(SourceAdminError::Invalid { field, .. }) if field == "id"
        ));
        assert!(matches!(
            add_source(&path, &map(json!({"id": "z", "url": "https://x.example.org/", "colour": 1}))),
            Err(SourceAdminError::Invalid { field, .. }) if field == "colour"
        ));
        assert!(matches!(
            update_source(&path, "nope", &map(json!({"enabled": false}))),
            Err(SourceAdminError::NotFound(_))
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);
    }

    #[test]
    fn a_word_is_added_to_a_category_once() {
        let (_dir, path) = file();
        let w = map_category(&path, "spectacle musical", "musique").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("matches = [\"concert\", \"music\", \"spectacle musical\"]   # words\n"),
            "{text}"
        );
        assert_eq!(
            w.config.categories[0].matches,
            vec!["concert", "music", "spectacle musical"]
        );
        map_category(&path, "Concert", "musique").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert!(matches!(
            map_category(&path, "x", "nope"),
            Err(SourceAdminError::NotFound(_))
        ));
    }

    #[test]
    fn the_write_is_atomic_and_leaves_no_temporary_file() {
        let (dir, path) = file();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let inode = |p: &Path| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                std::fs::metadata(p).unwrap().ino()
            }
            #[cfg(not(unix))]
            0
        };
        let before = inode(&path);
        write_atomically(&path, b"x = 1\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x = 1\n");
        // A new file took the old one's place (a rename, not a rewrite).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_ne!(inode(&path), before);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("sources.toml")]);
    }
}
