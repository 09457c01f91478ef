//! A TOML file edited through `toml_edit`, which keeps comments, ordering and spacing. It writes
//! LF line endings and drops a byte order mark and a missing final newline, so the text is
//! normalized before parsing and put back as it was after rendering; a file that does not come
//! back byte for byte (mixed line endings, say) is refused rather than rewritten.

use toml_edit::{DocumentMut, Item, TableLike, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TomlError {
    /// Not valid TOML; the message is toml_edit's, without the quoted source line (it may hold
    /// a key).
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid, but toml_edit would not write it back unchanged.
    NotReproducible,
}

/// A parsed TOML file and how to put its text back.
pub(crate) struct TomlText {
    pub doc: DocumentMut,
    bom: bool,
    crlf: bool,
    final_newline: bool,
}

const BOM: &str = "\u{feff}";

impl TomlText {
    /// Parses `text` (empty for a file that does not exist yet).
    pub fn parse(text: &str) -> Result<Self, TomlError> {
        let bom = text.starts_with(BOM);
        let body = text.strip_prefix(BOM).unwrap_or(text);
        let crlf = body.contains("\r\n");
        let mut normalized = if crlf {
            body.replace("\r\n", "\n")
        } else {
            body.to_owned()
        };
        let final_newline = normalized.is_empty() || normalized.ends_with('\n');
        if !final_newline {
            normalized.push('\n');
        }
        let doc: DocumentMut = normalized.parse().map_err(|e: toml_edit::TomlError| {
            let offset = e.span().map_or(0, |s| s.start).min(normalized.len());
            let before = normalized.get(..offset).unwrap_or_default();
            TomlError::Syntax {
                line: before.matches('\n').count() + 1,
                column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                message: e.message().to_owned(),
            }
        })?;
        let parsed = Self {
            doc,
            bom,
            crlf,
            final_newline,
        };
        if parsed.render() != text {
            return Err(TomlError::NotReproducible);
        }
        Ok(parsed)
    }

    /// The document as text, in the original's line endings, byte order mark and final newline.
    pub fn render(&self) -> String {
        let mut text = self.doc.to_string();
        if !self.final_newline && text.ends_with('\n') {
            text.pop();
        }
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        if self.bom {
            text.insert_str(0, BOM);
        }
        text
    }
}

/// Sets `table[key]` to the string `value`, keeping the spacing and comment around an existing
/// value; returns whether anything changed.
pub(crate) fn set_string(table: &mut dyn TableLike, key: &str, value: &str) -> bool {
    match table.get_mut(key) {
        Some(Item::Value(existing)) => {
            if existing.as_str() == Some(value) {
                return false;
            }
            let decor = existing.decor().clone();
            *existing = Value::from(value);
            *existing.decor_mut() = decor;
            true
        }
        _ => {
            table.insert(key, Item::Value(Value::from(value)));
            true
        }
    }
}

/// The string at `path` through tables (standard, inline or dotted).
pub(crate) fn str_at<'a>(doc: &'a DocumentMut, path: &[&str]) -> Option<&'a str> {
    let mut item = doc.as_item();
    for key in path {
        item = item.as_table_like()?.get(key)?;
    }
    item.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_byte_for_byte() {
        for text in [
            "",
            "a = 1",
            "\u{feff}a = 1\r\n# c\r\n[t]\r\nb = 'x' # d\r\n",
            "[t]\nx = 1\n\n\n",
        ] {
            assert_eq!(TomlText::parse(text).unwrap().render(), text);
        }
    }

    #[test]
    fn refuses_what_it_cannot_reproduce() {
        assert_eq!(
            TomlText::parse("a = 1\r\nb = 2\n").err(),
            Some(TomlError::NotReproducible)
        );
        let Err(TomlError::Syntax { line, message, .. }) =
            TomlText::parse("a = 1\nkey = \"sk-secret\nb = 2\n")
        else {
            panic!("expected a syntax error");
        };
        assert_eq!(line, 2);
        assert!(!message.contains("sk-secret"));
    }

    #[test]
    fn set_string_keeps_the_comment() {
        let mut text = TomlText::parse("model = \"o3\" # fast\r\n").unwrap();
        assert!(set_string(text.doc.as_table_mut(), "model", "m"));
        assert!(!set_string(text.doc.as_table_mut(), "model", "m"));
        assert_eq!(text.render(), "model = \"m\" # fast\r\n");
        assert_eq!(str_at(&text.doc, &["model"]), Some("m"));
    }
}
