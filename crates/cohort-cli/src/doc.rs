//! What `inspect` says about an object, as a tree of named fields, and its two renderings:
//! indented text for people and JSON for scripts.

use std::fmt::Write as _;

/// One value of a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Doc {
    /// A word or sentence.
    Text(String),
    /// A number.
    Int(u64),
    /// Bytes: hex, abbreviated in text when long, in full in JSON.
    Bytes(Vec<u8>),
    /// Named fields, in order.
    Fields(Vec<(String, Doc)>),
    /// A sequence.
    List(Vec<Doc>),
}

/// Bytes shown in full in text up to this many; longer ones show their start.
const FULL_BYTES: usize = 32;
const SHOWN_BYTES: usize = 16;

impl Doc {
    /// An empty set of fields, to be filled with [`Doc::field`].
    pub(crate) fn fields() -> Self {
        Self::Fields(Vec::new())
    }

    /// Adds a field (to [`Doc::Fields`]; ignored otherwise) and returns `self`.
    pub(crate) fn with(mut self, name: &str, value: impl Into<Doc>) -> Self {
        self.field(name, value);
        self
    }

    /// Adds a field (to [`Doc::Fields`]; ignored otherwise).
    pub(crate) fn field(&mut self, name: &str, value: impl Into<Doc>) {
        if let Self::Fields(f) = self {
            f.push((name.to_string(), value.into()));
        }
    }

    /// The indented text rendering.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        text(self, 0, &mut out);
        out
    }

    /// The JSON rendering (one line).
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        json(self, &mut out);
        out
    }

    fn scalar(&self) -> Option<String> {
        match self {
            Self::Text(t) => Some(t.clone()),
            Self::Int(n) => Some(n.to_string()),
            Self::Bytes(b) if b.is_empty() => Some("0 bytes".into()),
            Self::Bytes(b) if b.len() <= FULL_BYTES => {
                Some(format!("{} bytes {}", b.len(), hex::encode(b)))
            }
            Self::Bytes(b) => Some(format!(
                "{} bytes {}..",
                b.len(),
                hex::encode(&b[..SHOWN_BYTES])
            )),
            Self::Fields(f) if f.is_empty() => Some("(none)".into()),
            Self::List(l) if l.is_empty() => Some("(none)".into()),
            Self::Fields(_) | Self::List(_) => None,
        }
    }
}

impl From<&str> for Doc {
    fn from(t: &str) -> Self {
        Self::Text(t.to_string())
    }
}

impl From<String> for Doc {
    fn from(t: String) -> Self {
        Self::Text(t)
    }
}

impl From<u64> for Doc {
    fn from(n: u64) -> Self {
        Self::Int(n)
    }
}

impl From<u32> for Doc {
    fn from(n: u32) -> Self {
        Self::Int(u64::from(n))
    }
}

impl From<usize> for Doc {
    fn from(n: usize) -> Self {
        Self::Int(n as u64)
    }
}

impl From<&[u8]> for Doc {
    fn from(b: &[u8]) -> Self {
        Self::Bytes(b.to_vec())
    }
}

impl From<Vec<Doc>> for Doc {
    fn from(l: Vec<Doc>) -> Self {
        Self::List(l)
    }
}

fn text(doc: &Doc, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match doc {
        Doc::Fields(fields) => {
            for (name, value) in fields {
                match value.scalar() {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}{name}: {s}");
                    }
                    None => {
                        let _ = writeln!(out, "{pad}{name}:");
                        text(value, indent + 2, out);
                    }
                }
            }
        }
        Doc::List(items) => {
            for item in items {
                match item.scalar() {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}- {s}");
                    }
                    None => {
                        // The item's first line goes on the dash's line.
                        let mut inner = String::new();
                        text(item, indent + 2, &mut inner);
                        let _ = write!(out, "{pad}- {}", &inner[indent + 2..]);
                    }
                }
            }
        }
        scalar => {
            if let Some(s) = scalar.scalar() {
                let _ = writeln!(out, "{pad}{s}");
            }
        }
    }
}

fn json(doc: &Doc, out: &mut String) {
    match doc {
        Doc::Text(t) => json_string(t, out),
        Doc::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Doc::Bytes(b) => json_string(&hex::encode(b), out),
        Doc::Fields(fields) => {
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(name, out);
                out.push(':');
                json(value, out);
            }
            out.push('}');
        }
        Doc::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(item, out);
            }
            out.push(']');
        }
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Doc {
        Doc::fields()
            .with("name", "alice \"a\"\n")
            .with("epoch", 7u64)
            .with("key", &[1u8, 2, 255][..])
            .with("long", &[0xabu8; 40][..])
            .with(
                "items",
                vec![
                    Doc::from("one"),
                    Doc::fields().with("a", 1u64).with("b", "two"),
                ],
            )
            .with("empty", Vec::<Doc>::new())
    }

    #[test]
    fn text_indents_nested_fields_and_abbreviates_long_bytes() {
        assert_eq!(
            sample().to_text(),
            "name: alice \"a\"\n\nepoch: 7\nkey: 3 bytes 0102ff\nlong: 40 bytes \
             abababababababababababababababab..\nitems:\n  - one\n  - a: 1\n    b: two\nempty: (none)\n"
        );
    }

    #[test]
    fn json_escapes_and_keeps_field_order() {
        let j = sample().to_json();
        assert!(j.starts_with(r#"{"name":"alice \"a\"\n","epoch":7,"key":"0102ff","long":"abab"#));
        assert!(j.ends_with(r#""items":["one",{"a":1,"b":"two"}],"empty":[]}"#));
    }
}
