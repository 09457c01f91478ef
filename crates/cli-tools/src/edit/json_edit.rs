//! Structural edits of a JSON document that keep every unrelated byte: a value is replaced in
//! its own span, a missing member is appended to its object in the style of its siblings
//! (their indentation, the file's line endings and colon spacing, a trailing comma if the
//! object has one), so a diff shows only the lines that carry the edited keys.

use super::json_text::{Dialect, Kind, Node, SyntaxError, parse};

/// A value to write, rendered in the file's style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NewValue {
    Str(String),
    Object(Vec<(String, NewValue)>),
    Array(Vec<NewValue>),
}

impl NewValue {
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    pub fn object<const N: usize>(members: [(&str, NewValue); N]) -> Self {
        Self::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }
}

/// One change to a document; paths go through objects from the root.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    /// Sets the string at `path`, creating the objects on the way.
    Set { path: Vec<String>, value: NewValue },
    /// Puts `value` at `path` unless something is already there.
    Ensure { path: Vec<String>, value: NewValue },
    /// Appends `item` to the array at `path` unless one of its elements is an object whose
    /// member `key` is the string `id`.
    EnsureElement {
        path: Vec<String>,
        key: String,
        id: String,
        item: NewValue,
    },
}

impl Edit {
    pub fn set(path: &[&str], value: impl Into<String>) -> Self {
        Self::Set {
            path: owned(path),
            value: NewValue::Str(value.into()),
        }
    }

    pub fn ensure(path: &[&str], value: NewValue) -> Self {
        Self::Ensure {
            path: owned(path),
            value,
        }
    }

    pub fn ensure_element(path: &[&str], key: &str, id: &str, item: NewValue) -> Self {
        Self::EnsureElement {
            path: owned(path),
            key: key.to_owned(),
            id: id.to_owned(),
            item,
        }
    }

    fn path(&self) -> &[String] {
        match self {
            Self::Set { path, .. }
            | Self::Ensure { path, .. }
            | Self::EnsureElement { path, .. } => path,
        }
    }

    /// What goes at the path when nothing usable is there.
    fn fresh_value(&self) -> NewValue {
        match self {
            Self::Set { value, .. } | Self::Ensure { value, .. } => value.clone(),
            Self::EnsureElement { item, .. } => NewValue::Array(vec![item.clone()]),
        }
    }
}

fn owned(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| (*s).to_owned()).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EditError {
    /// The existing text is not valid in its dialect.
    Syntax(SyntaxError),
    /// The document's top level is not an object.
    NotAnObject,
    /// An edit produced text that does not parse: a bug here, caught before anything is written.
    Internal(String),
}

/// The file's conventions, read once from the original text.
#[derive(Debug, Clone)]
struct Style {
    newline: &'static str,
    indent: String,
    /// What follows the colon of a member (`": "` or `":"`).
    after_colon: String,
}

/// Applies `edits` in order; returns the new text, equal to `text` when nothing needed changing.
pub(crate) fn apply(text: &str, dialect: Dialect, edits: &[Edit]) -> Result<String, EditError> {
    let root = parse(text, dialect).map_err(EditError::Syntax)?;
    if !matches!(root.kind, Kind::Object(_)) {
        return Err(EditError::NotAnObject);
    }
    let style = detect_style(text, &root);
    let mut current = text.to_owned();
    for edit in edits {
        // Reparsing after every edit keeps each one simple: spans always match the text.
        let root = parse(&current, dialect).map_err(|e| {
            EditError::Internal(format!("an edit broke the document: {}", e.message))
        })?;
        if let Some(next) = apply_one(&current, &root, &style, edit) {
            current = next;
        }
    }
    parse(&current, dialect)
        .map_err(|e| EditError::Internal(format!("an edit broke the document: {}", e.message)))?;
    Ok(current)
}

fn apply_one(text: &str, root: &Node, style: &Style, edit: &Edit) -> Option<String> {
    let path = edit.path();
    let mut node = root;
    for (i, key) in path.iter().enumerate() {
        let Some(member) = node.member(key) else {
            let value = nest(&path[i + 1..], edit.fresh_value());
            return Some(insert_member(text, style, node, key, &value));
        };
        if i + 1 == path.len() {
            return edit_existing(text, style, member.key_start, &member.value, edit);
        }
        if matches!(member.value.kind, Kind::Object(_)) {
            node = &member.value;
            continue;
        }
        // Something other than an object stands where the path needs one: the path wins.
        let value = nest(&path[i + 1..], edit.fresh_value());
        return Some(replace_value(
            text,
            style,
            member.key_start,
            &member.value,
            &value,
        ));
    }
    None
}

fn edit_existing(
    text: &str,
    style: &Style,
    key_start: usize,
    value: &Node,
    edit: &Edit,
) -> Option<String> {
    match edit {
        Edit::Ensure { .. } => None,
        Edit::Set { value: new, .. } => match (&value.kind, new) {
            (Kind::String(old), NewValue::Str(wanted)) if old == wanted => None,
            _ => Some(replace_value(text, style, key_start, value, new)),
        },
        Edit::EnsureElement { key, id, item, .. } => match &value.kind {
            Kind::Array(elements) => {
                if elements
                    .iter()
                    .any(|e| e.value.str_at(&[key]) == Some(id.as_str()))
                {
                    return None;
                }
                let spans: Vec<EntrySpan> = elements
                    .iter()
                    .map(|e| EntrySpan {
                        start: e.value.start,
                        end: e.value.end,
                        comma: e.comma,
                    })
                    .collect();
                // A new element follows the layout of the last one: one line, or spread out.
                let inline = elements
                    .last()
                    .is_some_and(|e| !text[e.value.start..e.value.end].contains('\n'));
                Some(insert_entry(
                    text,
                    style,
                    value,
                    &spans,
                    &|indent, multiline| render(item, indent, style, multiline && !inline),
                ))
            }
            _ => Some(replace_value(
                text,
                style,
                key_start,
                value,
                &edit.fresh_value(),
            )),
        },
    }
}

/// `value` wrapped in one object per remaining path segment.
fn nest(rest: &[String], value: NewValue) -> NewValue {
    rest.iter().rev().fold(value, |inner, key| {
        NewValue::Object(vec![(key.clone(), inner)])
    })
}

fn replace_value(
    text: &str,
    style: &Style,
    key_start: usize,
    old: &Node,
    value: &NewValue,
) -> String {
    let multiline = starts_line(text, key_start);
    let rendered = render(value, line_indent(text, key_start), style, multiline);
    splice(text, old.start, old.end, &rendered)
}

fn insert_member(text: &str, style: &Style, object: &Node, key: &str, value: &NewValue) -> String {
    let spans: Vec<EntrySpan> = match &object.kind {
        Kind::Object(members) => members
            .iter()
            .map(|m| EntrySpan {
                start: m.key_start,
                end: m.value.end,
                comma: m.comma,
            })
            .collect(),
        _ => Vec::new(),
    };
    insert_entry(text, style, object, &spans, &|indent, multiline| {
        format!(
            "{}:{}{}",
            json_string(key),
            style.after_colon,
            render(value, indent, style, multiline)
        )
    })
}

/// A member or an element: from its first byte to the end of its value, and its comma.
struct EntrySpan {
    start: usize,
    end: usize,
    comma: Option<usize>,
}

/// Appends an entry (rendered by `entry(indent, multiline)`) to an object or array.
fn insert_entry(
    text: &str,
    style: &Style,
    container: &Node,
    entries: &[EntrySpan],
    entry: &dyn Fn(&str, bool) -> String,
) -> String {
    let nl = style.newline;
    let open = container.start;
    let close = container.end - 1;
    let Some(last) = entries.last() else {
        let base = line_indent(text, open);
        let child = format!("{base}{}", style.indent);
        let rendered = entry(&child, true);
        if text[open + 1..close].trim().is_empty() {
            return splice(
                text,
                open + 1,
                close,
                &format!("{nl}{child}{rendered}{nl}{base}"),
            );
        }
        // Only comments inside: the entry goes first and they stay after it.
        return splice(text, open + 1, open + 1, &format!("{nl}{child}{rendered}"));
    };
    if !starts_line(text, last.start) {
        let rendered = entry("", false);
        return match last.comma {
            Some(comma) => splice(text, comma + 1, comma + 1, &format!(" {rendered},")),
            None => splice(text, last.end, last.end, &format!(", {rendered}")),
        };
    }
    let child = line_indent(text, last.start).to_owned();
    let rendered = entry(&child, true);
    match last.comma {
        // The object keeps its trailing comma style.
        Some(comma) => {
            let at = end_of_line(text, comma + 1);
            splice(text, at, at, &format!("{nl}{child}{rendered},"))
        }
        None => {
            let at = end_of_line(text, last.end);
            let mut out = String::with_capacity(text.len() + rendered.len() + child.len() + 4);
            out.push_str(&text[..last.end]);
            out.push(',');
            out.push_str(&text[last.end..at]);
            out.push_str(nl);
            out.push_str(&child);
            out.push_str(&rendered);
            out.push_str(&text[at..]);
            out
        }
    }
}

/// After `from`, past spaces and comments that end on the same line, up to the line break;
/// `from` itself when something else follows on the line (such as the closing bracket).
fn end_of_line(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut pos = from;
    loop {
        match (bytes.get(pos), bytes.get(pos + 1)) {
            (Some(b' ' | b'\t'), _) => pos += 1,
            (Some(b'/'), Some(b'/')) => {
                let rest = &text[pos..];
                let line = rest.find('\n').unwrap_or(rest.len());
                return pos + rest[..line].strip_suffix('\r').map_or(line, str::len);
            }
            (Some(b'/'), Some(b'*')) => match text[pos + 2..].find("*/") {
                Some(close) if !text[pos..pos + 2 + close].contains('\n') => pos += 2 + close + 2,
                _ => return from,
            },
            (Some(b'\n' | b'\r') | None, _) => return pos,
            _ => return from,
        }
    }
}

fn splice(text: &str, start: usize, end: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..start]);
    out.push_str(with);
    out.push_str(&text[end..]);
    out
}

/// The spaces and tabs that open the line holding `pos`.
fn line_indent(text: &str, pos: usize) -> &str {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let len = line
        .bytes()
        .take_while(|b| *b == b' ' || *b == b'\t')
        .count();
    &line[..len]
}

/// Whether only indentation precedes `pos` on its line.
fn starts_line(text: &str, pos: usize) -> bool {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..pos]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
}

fn detect_style(text: &str, root: &Node) -> Style {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let members = match &root.kind {
        Kind::Object(members) => members.as_slice(),
        _ => &[],
    };
    let indent = members
        .iter()
        .find(|m| starts_line(text, m.key_start))
        .map(|m| line_indent(text, m.key_start).to_owned())
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| "  ".to_owned());
    let after_colon = members
        .first()
        .and_then(|m| {
            let between = &text[m.key_end..m.value.start];
            let after = &between[between.find(':')? + 1..];
            after
                .bytes()
                .all(|b| b == b' ' || b == b'\t')
                .then(|| after.to_owned())
        })
        .unwrap_or_else(|| " ".to_owned());
    Style {
        newline,
        indent,
        after_colon,
    }
}

/// `value` as text; containers spread over lines at `indent` (their closing bracket's) when
/// `multiline`, otherwise on one line.
fn render(value: &NewValue, indent: &str, style: &Style, multiline: bool) -> String {
    let (open, close, entries): (&str, &str, Vec<(Option<&str>, &NewValue)>) = match value {
        NewValue::Str(s) => return json_string(s),
        NewValue::Object(members) => (
            "{",
            "}",
            members.iter().map(|(k, v)| (Some(k.as_str()), v)).collect(),
        ),
        NewValue::Array(items) => ("[", "]", items.iter().map(|v| (None, v)).collect()),
    };
    if entries.is_empty() {
        return format!("{open}{close}");
    }
    let inner = format!("{indent}{}", style.indent);
    let rendered: Vec<String> = entries
        .iter()
        .map(|(key, v)| {
            let v = render(v, &inner, style, multiline);
            match key {
                Some(k) => format!("{}:{}{v}", json_string(k), style.after_colon),
                None => v,
            }
        })
        .collect();
    if multiline {
        let nl = style.newline;
        let body = rendered
            .iter()
            .map(|e| format!("{inner}{e}"))
            .collect::<Vec<_>>()
            .join(&format!(",{nl}"));
        format!("{open}{nl}{body}{nl}{indent}{close}")
    } else {
        format!("{open}{}{close}", rendered.join(", "))
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[path = "json_edit_tests.rs"]
mod tests;
