//! The command lines of `keypackage` and `group`: named options only, each given once (`One`) or
//! with one or more values (`Many`: `--leaf 1 2`, or `--leaf 1 --leaf 2`), and `--name=value`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// How many values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    /// Exactly one value, and the option at most once.
    One,
    /// One or more values: every following argument up to the next option, and the option may
    /// be repeated.
    Many,
}

/// The options one command accepts, by name (with the leading `--`).
pub(crate) type Spec = &'static [(&'static str, Arity)];

/// A parsed command line: the values given for each option.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    values: BTreeMap<&'static str, Vec<OsString>>,
}

/// Parses `args` against `spec`; `Ok(None)` when `-h` or `--help` asks for the help text.
///
/// # Errors
/// A message for an unknown option, a missing value, an option given twice, or a positional
/// argument.
pub(crate) fn parse(args: Vec<OsString>, spec: Spec) -> Result<Option<Parsed>, String> {
    let mut parsed = Parsed::default();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if text == "-h" || text == "--help" {
            return Ok(None);
        }
        if !text.starts_with("--") {
            return Err(format!("unexpected argument {text:?}"));
        }
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(OsString::from(v))),
            None => (text.clone(), None),
        };
        let Some(&(key, arity)) = spec.iter().find(|(n, _)| *n == name) else {
            return Err(format!("unknown option {name}"));
        };
        let values = parsed.values.entry(key).or_default();
        if arity == Arity::One && !values.is_empty() {
            return Err(format!("{name} given more than once"));
        }
        let before = values.len();
        if let Some(v) = inline {
            values.push(v);
        } else {
            match arity {
                Arity::One => {
                    if let Some(v) = args.next() {
                        values.push(v);
                    }
                }
                Arity::Many => {
                    while let Some(v) = args.next_if(|a| !a.to_string_lossy().starts_with("--")) {
                        values.push(v);
                    }
                }
            }
        }
        if values.len() == before {
            return Err(format!("{name} needs a value"));
        }
    }
    Ok(Some(parsed))
}

impl Parsed {
    /// Whether `name` was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The values of `name`, empty when it was not given.
    pub(crate) fn all(&self, name: &str) -> &[OsString] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// The value of `name` as a path, if given.
    pub(crate) fn path(&self, name: &str) -> Option<PathBuf> {
        self.all(name).first().map(PathBuf::from)
    }

    /// The value of `name` as a path.
    ///
    /// # Errors
    /// When it was not given.
    pub(crate) fn required_path(&self, name: &str) -> Result<PathBuf, String> {
        self.path(name).ok_or_else(|| format!("{name} is required"))
    }

    /// The value of `name` as UTF-8 text, if given.
    ///
    /// # Errors
    /// When it is not UTF-8.
    pub(crate) fn text(&self, name: &str) -> Result<Option<String>, String> {
        match self.all(name).first() {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| format!("{name}: not UTF-8 text")),
        }
    }

    /// The value of `name` as UTF-8 text.
    ///
    /// # Errors
    /// When it was not given or is not UTF-8.
    pub(crate) fn required_text(&self, name: &str) -> Result<String, String> {
        self.text(name)?
            .ok_or_else(|| format!("{name} is required"))
    }

    /// The values of `name` as numbers (decimal, or hex after `0x`).
    ///
    /// # Errors
    /// When one is not a number that fits `T`.
    pub(crate) fn numbers<T: TryFrom<u64>>(&self, name: &str) -> Result<Vec<T>, String> {
        self.all(name)
            .iter()
            .map(|v| {
                let text = v.to_string_lossy();
                let n = match text.strip_prefix("0x") {
                    Some(h) => u64::from_str_radix(h, 16).ok(),
                    None => text.parse().ok(),
                };
                n.and_then(|n| T::try_from(n).ok())
                    .ok_or_else(|| format!("{name}: not a number in range: {text}"))
            })
            .collect()
    }

    /// The value of `name` as a number, if given.
    ///
    /// # Errors
    /// When it is not a number that fits `T`.
    pub(crate) fn number<T: TryFrom<u64>>(&self, name: &str) -> Result<Option<T>, String> {
        Ok(self.numbers(name)?.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = &[
        ("--state", Arity::One),
        ("--leaf", Arity::Many),
        ("--count", Arity::One),
    ];

    fn parse_strs(args: &[&str]) -> Result<Option<Parsed>, String> {
        parse(args.iter().map(OsString::from).collect(), SPEC)
    }

    #[test]
    fn options_take_their_values() {
        let p = parse_strs(&[
            "--state",
            "d",
            "--leaf",
            "1",
            "0x2",
            "--leaf=3",
            "--count=4",
        ])
        .ok()
        .flatten()
        .expect("parsed");
        assert_eq!(p.path("--state"), Some(PathBuf::from("d")));
        assert_eq!(p.numbers::<u32>("--leaf"), Ok(vec![1, 2, 3]));
        assert_eq!(p.number::<usize>("--count"), Ok(Some(4)));
        assert!(p.has("--count") && !p.has("--other"));
        assert!(matches!(parse_strs(&["-h"]), Ok(None)));
    }

    #[test]
    fn bad_command_lines_say_why() {
        for (args, says) in [
            (&["--state"][..], "--state needs a value"),
            (&["--leaf", "--state", "d"], "--leaf needs a value"),
            (&["--state", "a", "--state", "b"], "more than once"),
            (&["--frob"], "unknown option --frob"),
            (&["file"], "unexpected argument"),
        ] {
            match parse_strs(args) {
                Err(e) => assert!(e.contains(says), "{args:?}: {e}"),
                Ok(_) => panic!("{args:?} parsed"),
            }
        }
        let p = parse_strs(&["--leaf", "x", "--count", "99999999999999999999"])
            .ok()
            .flatten()
            .expect("parsed");
        assert!(p.numbers::<u32>("--leaf").is_err());
        assert!(p.number::<usize>("--count").is_err());
        assert!(p.required_text("--state").is_err());
    }
}
