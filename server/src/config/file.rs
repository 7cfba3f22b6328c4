//! The configuration file (TOML): one top-level key per long flag of
//! `cms-scheduler serve` (and `log-format`), for what is a flag or an
//! environment variable today. Precedence: flags > environment > this file >
//! the `scheduler ...` settings and the built-in defaults. Which file:
//! `--config FILE` / `SCHEDULER_CONFIG`, else [`DEFAULT_PATH`] if it exists;
//! `none` reads no file. An unknown key, a table, or a value the flag would
//! refuse stops the start with the file, line and key named.
//!
//! The values go through the flags' own parsers (clap's): a key is accepted
//! exactly when the flag would accept the same value, and applied only where
//! neither the command line nor the environment gave one
//! ([`ConfigFile::apply`]).

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// The file read when neither `--config` nor `SCHEDULER_CONFIG` names one.
pub const DEFAULT_PATH: &str = "/etc/cms-scheduler/cms-scheduler.toml";

/// What `--config` / `SCHEDULER_CONFIG` may say instead of a file: read none.
pub const NO_FILE: &str = "none";

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: cannot read the configuration file: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: unknown key `{key}`{hint}")]
    UnknownKey {
        path: String,
        line: usize,
        key: String,
        hint: String,
    },
    #[error("{path}:{line}: key `{key}`: {message}")]
    BadValue {
        path: String,
        line: usize,
        key: String,
        message: String,
    },
}

/// One `key = value` of the file, as the flag's command-line words.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    line: usize,
    value: FlagValue,
}

#[derive(Debug, Clone, PartialEq)]
enum FlagValue {
    /// `key = true|false`, for a switch (`--demo`).
    Switch(bool),
    /// One value, or each element of an array for a flag taking several.
    Words(Vec<String>),
}

/// A configuration file, read and checked against the known keys.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: String,
    entries: Vec<Entry>,
}

/// Which file to read, from `--config` / `SCHEDULER_CONFIG` (`given`):
/// that file (it must exist), none for [`NO_FILE`], else [`DEFAULT_PATH`]
/// when it exists.
pub fn chosen(given: Option<&Path>) -> Option<PathBuf> {
    match given {
        Some(p) if p.as_os_str() == NO_FILE => None,
        Some(p) => Some(p.to_path_buf()),
        None => {
            let default = Path::new(DEFAULT_PATH);
            default.exists().then(|| default.to_path_buf())
        }
    }
}

impl ConfigFile {
    /// Reads and parses `path`, refusing keys not in `known` (long flag
    /// names) and anything that is not a string, integer, boolean or array.
    pub fn read(path: &Path, known: &[String]) -> Result<Self, FileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&shown, &text, known)
    }

    /// Parses `text` (the contents of the file named `path`).
    pub fn parse(path: &str, text: &str, known: &[String]) -> Result<Self, FileError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let table = DeTable::parse(text).map_err(|e| FileError::Syntax {
            path: path.to_string(),
            line: e.span().map(|s| line_of(s.start)).unwrap_or(1),
            message: e.message().trim().to_string(),
        })?;
        let mut entries = Vec::new();
        for (key, value) in table.get_ref().iter() {
            let line = line_of(key.span().start);
            let name = key.get_ref().as_ref().to_string();
            if !known.contains(&name) {
                return Err(FileError::UnknownKey {
                    hint: suggestion(&name, known),
                    path: path.to_string(),
                    line,
                    key: name,
                });
            }
            let bad = |message: String| FileError::BadValue {
                path: path.to_string(),
                line,
                key: name.clone(),
                message,
            };
            let value = match value.get_ref() {
                DeValue::Boolean(b) => FlagValue::Switch(*b),
                DeValue::Array(items) => FlagValue::Words(
                    items
                        .iter()
                        .map(|item| scalar(item.get_ref()))
                        .collect::<Result<_, _>>()
                        .map_err(bad)?,
                ),
                other => FlagValue::Words(vec![scalar(other).map_err(bad)?]),
            };
            entries.push(Entry {
                key: name,
                line,
                value,
            });
        }
        entries.sort_by_key(|e| e.line);
        Ok(Self {
            path: path.to_string(),
            entries,
        })
    }

    /// The file's path, as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Sets the fields of `target` (the flags `T` declares) from the file
    /// where `matches` (the command line's, for the same `T`) shows neither
    /// a flag nor the environment gave a value. Keys of other commands are
    /// left alone. A value the flag would refuse is an error naming the line.
    /// Returns the keys applied.
    pub fn apply<T: Args + FromArgMatches>(
        &self,
        target: &mut T,
        matches: &ArgMatches,
    ) -> Result<Vec<String>, FileError> {
        let command = T::augment_args(clap::Command::new("config-file").no_binary_name(true))
            .mut_args(|arg| arg.env(None));
        let mut words: Vec<String> = Vec::new();
        let mut applied: Vec<(String, String)> = Vec::new();
        for entry in &self.entries {
            let Some(arg) = command
                .get_arguments()
                .find(|a| a.get_long() == Some(entry.key.as_str()))
            else {
                continue;
            };
            let id = arg.get_id().as_str().to_string();
            let given = matches!(
                matches.value_source(&id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            );
            if given {
                continue;
            }
            let takes_value = arg.get_action().takes_values();
            let own: Vec<String> = match (&entry.value, takes_value) {
                (FlagValue::Switch(true), false) => vec![format!("--{}", entry.key)],
                // A switch's default is off: `false` asks for what is already so.
                (FlagValue::Switch(false), false) => continue,
                (FlagValue::Words(_), false) => {
                    return Err(self.bad(entry, "expected true or false".into()));
                }
                (FlagValue::Switch(b), true) => vec![format!("--{}={b}", entry.key)],
                (FlagValue::Words(values), true) => {
                    if values.len() != 1
                        && arg.get_num_args().is_none_or(|n| n.max_values() <= 1)
                        && !matches!(arg.get_action(), clap::ArgAction::Append)
                    {
                        return Err(self.bad(entry, "expected one value, not an array".into()));
                    }
                    values
                        .iter()
                        .map(|v| format!("--{}={v}", entry.key))
                        .collect()
                }
            };
            // Each key alone first, so that a refusal names its line.
            command
                .clone()
                .try_get_matches_from(&own)
                .map_err(|e| self.bad(entry, clap_reason(&e)))?;
            words.extend(own);
            applied.push((id, entry.key.clone()));
        }
        // Each key passed alone above; together they can only fail as a whole.
        let together = |e: clap::Error| FileError::BadValue {
            path: self.path.clone(),
            line: 1,
            key: applied
                .iter()
                .map(|(_, k)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            message: clap_reason(&e),
        };
        let mut from_file = command
            .clone()
            .try_get_matches_from(&words)
            .map_err(together)?;
        // Only what the file said: not the flags' defaults.
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if !applied.iter().any(|(a, _)| a == id) {
                let _ = from_file.try_clear_id(id);
            }
        }
        target
            .update_from_arg_matches(&from_file)
            .map_err(together)?;
        Ok(applied.into_iter().map(|(_, k)| k).collect())
    }

    fn bad(&self, entry: &Entry, message: String) -> FileError {
        FileError::BadValue {
            path: self.path.clone(),
            line: entry.line,
            key: entry.key.clone(),
            message,
        }
    }
}

/// The long flag names `T` declares (the keys a file may use for it).
pub fn keys_of<T: Args>() -> Vec<String> {
    T::augment_args(clap::Command::new("keys"))
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect()
}

/// A string, integer or float value as the word a flag would get.
fn scalar(value: &DeValue<'_>) -> Result<String, String> {
    match value {
        DeValue::String(s) => Ok(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(|n| n.to_string())
            .map_err(|_| format!("integer {} out of range", i.as_str())),
        DeValue::Float(f) => Ok(f.as_str().to_string()),
        DeValue::Boolean(b) => Ok(b.to_string()),
        DeValue::Datetime(d) => Ok(d.to_string()),
        DeValue::Array(_) => Err("nested arrays are not a setting".into()),
        DeValue::Table(_) => Err("a table is not a setting (keys are top level)".into()),
    }
}

/// Clap's reason for refusing a value, without its usage text and with the
/// file's key in place of the flag: "invalid value 'x': invalid socket
/// address syntax".
fn clap_reason(e: &clap::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "invalid value 'x' for '--listen <LISTEN>': why" → "invalid value 'x': why"
    match (first.find(" for '--"), first.find("': ")) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &first[..start], &first[end + 1..])
        }
        _ => first.to_string(),
    }
}

/// ", did you mean `x`?" for the closest known key, when one is close.
fn suggestion(key: &str, known: &[String]) -> String {
    known
        .iter()
        .map(|k| (distance(key, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!(", did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance between two short keys.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(current)
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServeConfig;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct Serve {
        #[command(flatten)]
        config: ServeConfig,
    }

    fn known() -> Vec<String> {
        keys_of::<ServeConfig>()
    }

    /// Parses `args` as the command line, with `env` as the only environment
    /// variables clap sees, then applies `file`.
    fn run(file: &str, args: &[&str]) -> Result<(ServeConfig, Vec<String>), FileError> {
        let file = ConfigFile::parse("test.toml", file, &known())?;
        let matches = Serve::command()
            .mut_args(|a| a.env(None))
            .try_get_matches_from(std::iter::once("x").chain(args.iter().copied()))
            .unwrap();
        let mut cfg = Serve::from_arg_matches(&matches).unwrap().config;
        let applied = file.apply(&mut cfg, &matches)?;
        Ok((cfg, applied))
    }

    #[test]
    fn file_values_apply_where_no_flag_was_given() {
        let (cfg, applied) = run(
            "listen = \"0.0.0.0:8443\"\n\
             data-dir = \"/var/lib/cms-scheduler\"\n\
             callbridge-url = [\"https://cms1.example.com:445\", \"https://cms2.example.com:445\"]\n\
             secure-cookies = true\n\
             metrics-listen = \"127.0.0.1:9100\"\n",
            &["--data-dir", "/srv/data"],
        )
        .unwrap();
        assert_eq!(cfg.listen.to_string(), "0.0.0.0:8443");
        assert_eq!(cfg.data_dir, PathBuf::from("/srv/data"), "the flag wins");
        assert_eq!(
            cfg.callbridge_url,
            [
                "https://cms1.example.com:445",
                "https://cms2.example.com:445"
            ]
        );
        assert!(cfg.secure_cookies);
        assert_eq!(cfg.metrics_listen.unwrap().to_string(), "127.0.0.1:9100");
        assert_eq!(
            applied,
            [
                "listen",
                "callbridge-url",
                "secure-cookies",
                "metrics-listen"
            ]
        );
        // Unset in the file: the defaults stay.
        assert_eq!(cfg.join_base_url, "https://join.example.com");
        assert!(!cfg.demo);
    }

    #[test]
    fn a_flag_given_on_the_command_line_is_not_replaced_by_the_file() {
        let (cfg, _) = run(
            "callbridge-url = [\"https://a.example.com\"]\ndemo = false\n",
            &["--callbridge-url", "https://b.example.com", "--demo"],
        )
        .unwrap();
        assert_eq!(cfg.callbridge_url, ["https://b.example.com"]);
        assert!(cfg.demo);
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let err = run("listen = \"127.0.0.1:1\"\n\nlisten-port = 3\n", &[]).unwrap_err();
        assert_eq!(err.to_string(), "test.toml:3: unknown key `listen-port`");
        let err = run("data-dri = \"x\"\n", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:1: unknown key `data-dri`, did you mean `data-dir`?"
        );
    }

    #[test]
    fn a_bad_value_names_file_line_and_key() {
        let err = run("# comment\nlisten = \"localhost\"\n", &[]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("test.toml:2: key `listen`: invalid value 'localhost'"),
            "{text}"
        );
        let err = run("demo = \"yes\"\n", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:1: key `demo`: expected true or false"
        );
        let err = run("listen = [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:1: key `listen`: expected one value, not an array"
        );
        let err = run("[callbridge]\nurl = \"x\"\n", &[]).unwrap_err();
        assert_eq!(err.to_string(), "test.toml:1: unknown key `callbridge`");
    }

    #[test]
    fn a_value_refused_on_the_command_line_is_not_checked_again() {
        // The flag wins, so the file's value for it is never used or checked.
        let (cfg, applied) = run("listen = \"nonsense\"\n", &["--listen", "127.0.0.1:5"]).unwrap();
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:5");
        assert!(applied.is_empty());
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = run("listen = \"127.0.0.1:1\"\nlisten =\n", &[]).unwrap_err();
        assert!(err.to_string().starts_with("test.toml:2: "), "{err}");
        let err = run("a = 1\na = 2\n", &[]).unwrap_err();
        assert!(err.to_string().starts_with("test.toml:2: "), "{err}");
    }

    #[test]
    fn none_reads_no_file_and_a_named_file_is_required() {
        assert_eq!(chosen(Some(Path::new("none"))), None);
        assert_eq!(
            chosen(Some(Path::new("/x/y.toml"))),
            Some(PathBuf::from("/x/y.toml"))
        );
        let err = ConfigFile::read(Path::new("/nonexistent/c.toml"), &known()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/c.toml: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn key_suggestions_are_close_ones_only() {
        let known = vec!["data-dir".to_string(), "listen".to_string()];
        assert_eq!(suggestion("lisen", &known), ", did you mean `listen`?");
        assert_eq!(suggestion("something", &known), "");
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}

#[cfg(test)]
mod documented {
    use super::keys_of;
    use crate::config::ServeConfig;

    /// The README's Configuration table names every key a file may hold.
    #[test]
    fn every_key_is_in_the_readme() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let table = readme.split("## Configuration").nth(1).unwrap();
        let mut keys = keys_of::<ServeConfig>();
        keys.push("log-format".into());
        for key in keys {
            assert!(
                table.contains(&format!("| `--{key}` |")),
                "README's Configuration table lacks `--{key}`"
            );
        }
    }
}
