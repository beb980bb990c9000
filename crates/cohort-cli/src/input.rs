//! Reading what `inspect` is given: a file or standard input, raw, hex or base64, or one value
//! of a JSON test-vector file.

use std::io::Read as _;
use std::path::Path;

use base64::Engine as _;

/// The most bytes read from a file or standard input (64 MiB): MLS objects are far smaller.
pub(crate) const MAX_INPUT: u64 = 64 << 20;

/// How the input's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Hex if the text is only hex digits, else base64 if it is valid base64, else raw.
    Auto,
    /// The bytes themselves.
    Raw,
    /// Hex digits (whitespace ignored).
    Hex,
    /// Base64, standard or URL-safe, padded or not (whitespace ignored).
    Base64,
}

impl std::str::FromStr for Encoding {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        match s {
            "auto" => Ok(Self::Auto),
            "raw" => Ok(Self::Raw),
            "hex" => Ok(Self::Hex),
            "base64" => Ok(Self::Base64),
            other => Err(InputError::UnknownEncoding(other.to_string())),
        }
    }
}

/// Which value of a JSON vector file to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonField {
    /// The field's name.
    pub name: String,
    /// Which test case (top-level array element); 0 by default.
    pub index: usize,
}

/// Why the input could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// The file or standard input could not be read.
    #[error("cannot read {what}: {source}")]
    Read {
        /// The file, or "standard input".
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// More than [`MAX_INPUT`] bytes.
    #[error("{0} is larger than 64 MiB")]
    TooLarge(String),
    /// The input is empty.
    #[error("the input is empty")]
    Empty,
    /// `--encoding` named no encoding.
    #[error("unknown encoding {0:?} (auto, raw, hex or base64)")]
    UnknownEncoding(String),
    /// Hex asked for, and the text is not hex.
    #[error("not hex: {0}")]
    Hex(hex::FromHexError),
    /// Base64 asked for, and the text is not base64.
    #[error("not base64: {0}")]
    Base64(base64::DecodeError),
    /// `--field` given, and the input is not JSON.
    #[error("--field needs a JSON file: {0}")]
    Json(String),
    /// The JSON file has no such value.
    #[error("the JSON file has no string field {name:?} in test case {index}")]
    NoField {
        /// The field asked for.
        name: String,
        /// The test case.
        index: usize,
    },
}

/// Reads `path` (`-` for standard input), at most [`MAX_INPUT`] bytes.
///
/// # Errors
/// [`InputError::Read`], [`InputError::TooLarge`].
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    let what = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let err = |source| InputError::Read {
        what: what.clone(),
        source,
    };
    let mut data = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut data)
            .map_err(err)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut data))
            .map_err(err)?;
    }
    if data.len() as u64 > MAX_INPUT {
        return Err(InputError::TooLarge(what));
    }
    Ok(data)
}

/// The bytes of the object: `data` as `encoding` says, after picking `field` out of a JSON
/// vector file when given.
///
/// # Errors
/// As the encoding or the JSON field fails.
pub(crate) fn object_bytes(
    data: &[u8],
    encoding: Encoding,
    field: Option<&JsonField>,
) -> Result<Vec<u8>, InputError> {
    if let Some(field) = field {
        let value: serde_json::Value =
            serde_json::from_slice(data).map_err(|e| InputError::Json(e.to_string()))?;
        let case = match &value {
            serde_json::Value::Array(cases) => cases.get(field.index),
            other if field.index == 0 => Some(other),
            _ => None,
        };
        let text = case
            .and_then(|c| c.get(&field.name))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| InputError::NoField {
                name: field.name.clone(),
                index: field.index,
            })?;
        return decode(text.as_bytes(), encoding);
    }
    decode(data, encoding)
}

fn decode(data: &[u8], encoding: Encoding) -> Result<Vec<u8>, InputError> {
    let compact = || -> Vec<u8> {
        data.iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect()
    };
    let bytes = match encoding {
        Encoding::Raw => data.to_vec(),
        Encoding::Hex => hex::decode(compact()).map_err(InputError::Hex)?,
        Encoding::Base64 => base64(&compact()).map_err(InputError::Base64)?,
        Encoding::Auto => {
            let text = compact();
            if text.is_empty() {
                return Err(InputError::Empty);
            }
            if text.iter().all(u8::is_ascii_hexdigit) && text.len() % 2 == 0 {
                hex::decode(&text).map_err(InputError::Hex)?
            } else if let Some(bytes) = std::str::from_utf8(&text)
                .ok()
                .and_then(|_| base64(&text).ok())
            {
                bytes
            } else {
                data.to_vec()
            }
        }
    };
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(bytes)
}

fn base64(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed: Vec<u8> = text.iter().copied().filter(|b| *b != b'=').collect();
    STANDARD_NO_PAD
        .decode(&trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(&trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_tells_hex_base64_and_raw_apart() {
        assert_eq!(
            decode(b"00 01\nff\n", Encoding::Auto).ok(),
            Some(vec![0, 1, 255])
        );
        assert_eq!(
            decode(b"AAH/\n", Encoding::Auto).ok(),
            Some(vec![0, 1, 255])
        );
        assert_eq!(decode(b"AAH_", Encoding::Auto).ok(), Some(vec![0, 1, 255]));
        assert_eq!(
            decode(&[0, 1, 255], Encoding::Auto).ok(),
            Some(vec![0, 1, 255])
        );
        assert!(matches!(
            decode(b"0g", Encoding::Hex),
            Err(InputError::Hex(_))
        ));
        assert!(matches!(
            decode(b"  \n", Encoding::Auto),
            Err(InputError::Empty)
        ));
    }

    #[test]
    fn json_fields_are_picked_by_name_and_case() {
        let json = br#"[{"a": "0001"}, {"a": "ff", "n": 3}]"#;
        let field = |name: &str, index| JsonField {
            name: name.into(),
            index,
        };
        assert_eq!(
            object_bytes(json, Encoding::Auto, Some(&field("a", 1))).ok(),
            Some(vec![255])
        );
        assert!(matches!(
            object_bytes(json, Encoding::Auto, Some(&field("n", 1))),
            Err(InputError::NoField { .. })
        ));
        assert!(matches!(
            object_bytes(b"\x00", Encoding::Auto, Some(&field("a", 0))),
            Err(InputError::Json(_))
        ));
    }
}
