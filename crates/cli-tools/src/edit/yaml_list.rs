//! One entry of a top-level block list in a YAML file (Continue's `models:`), edited as lines:
//! the entry is found by a marker field (`name: OmniRoute`), replaced in place or appended after
//! the list's last entry at the list's own indentation. Anything else in the file is never
//! touched, and a list written in a shape this does not follow (flow style, tabs, duplicated
//! keys) is refused rather than guessed at.

use super::json_edit::json_string;

/// Why the file was left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal(pub String);

/// An entry: its fields in order; the first is the marker that finds it again.
pub(crate) struct Entry<'a> {
    pub fields: &'a [(&'a str, &'a str)],
}

/// Replaces or appends `entry` in the top-level list `list` (created at the end when missing).
pub(crate) fn upsert(text: &str, list: &str, entry: &Entry<'_>) -> Result<String, Refusal> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(block) = find_list(&lines, list)? else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if lines.last().is_some_and(|l| !l.trim().is_empty()) {
            out.push_str(newline);
        }
        out.push_str(&format!("{list}:{newline}"));
        out.push_str(&render(entry, "  ", newline));
        return Ok(out);
    };
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    if block.flow_empty {
        // `models: []` becomes a block list holding the entry.
        let ending = line_ending(lines[block.header]);
        out[block.header] = format!(
            "{list}:{}{}",
            if ending.is_empty() { newline } else { ending },
            render(entry, "  ", newline)
        );
        return Ok(out.concat());
    }
    let indent = " ".repeat(block.item_indent);
    let mut rendered = render(entry, &indent, newline);
    let (marker, wanted) = entry.fields.first().copied().unwrap_or_default();
    if let Some(&(start, end)) = block
        .items
        .iter()
        .find(|(s, e)| item_field(&lines[*s..*e], marker).as_deref() == Some(wanted))
    {
        let existing = lines[start..end].concat();
        if !existing.ends_with('\n') {
            rendered.truncate(rendered.len() - newline.len());
        }
        if existing == rendered {
            return Ok(text.to_owned());
        }
        out.splice(start..end, [rendered]);
        return Ok(out.concat());
    }
    let after = block.items.last().map_or(block.header, |(_, end)| end - 1);
    if !out[after].ends_with('\n') {
        out[after].push_str(newline);
    }
    out.insert(after + 1, rendered);
    Ok(out.concat())
}

/// The fields of the entry whose marker field has the value `wanted`.
pub(crate) fn read(
    text: &str,
    list: &str,
    marker: &str,
    wanted: &str,
) -> Option<Vec<(String, String)>> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let block = find_list(&lines, list).ok()??;
    let &(start, end) = block
        .items
        .iter()
        .find(|(s, e)| item_field(&lines[*s..*e], marker).as_deref() == Some(wanted))?;
    Some(lines[start..end].iter().filter_map(|l| field(l)).collect())
}

struct ListBlock {
    header: usize,
    /// `list: []`
    flow_empty: bool,
    item_indent: usize,
    /// Each item's lines, `start..end`, trailing blank and comment lines left out.
    items: Vec<(usize, usize)>,
}

fn find_list(lines: &[&str], list: &str) -> Result<Option<ListBlock>, Refusal> {
    let prefix = format!("{list}:");
    let headers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(&prefix))
        .map(|(i, _)| i)
        .collect();
    let header = match headers.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(Refusal(format!("`{list}:` appears more than once"))),
    };
    if lines.iter().any(|l| l.trim_end() == "---") {
        return Err(Refusal("the file holds several YAML documents".to_owned()));
    }
    let inline = strip_comment(&lines[header][prefix.len()..])
        .trim()
        .to_owned();
    if inline == "[]" {
        return Ok(Some(ListBlock {
            header,
            flow_empty: true,
            item_indent: 2,
            items: Vec::new(),
        }));
    }
    if !inline.is_empty() {
        return Err(Refusal(format!(
            "`{list}:` is written inline; add the entry by hand"
        )));
    }
    let mut item_indent = None;
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut last_content = header;
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line[indent..].starts_with('\t') {
            return Err(Refusal("the list is indented with tabs".to_owned()));
        }
        let is_item = trimmed == "-" || trimmed.starts_with("- ");
        // A list may sit at its key's own indentation (`models:` then `- name: …` at column 0).
        if indent == 0 && !(is_item && item_indent.is_none_or(|i| i == 0)) {
            break;
        }
        let expected = *item_indent.get_or_insert(indent);
        if is_item && indent == expected {
            if let Some(open) = items.last_mut() {
                open.1 = last_content + 1;
            }
            items.push((i, i + 1));
        } else if items.is_empty() || indent < expected {
            return Err(Refusal(format!("`{list}:` is not a list of entries")));
        }
        last_content = i;
    }
    if let Some(open) = items.last_mut() {
        open.1 = last_content + 1;
    }
    Ok(Some(ListBlock {
        header,
        flow_empty: false,
        item_indent: item_indent.unwrap_or(2),
        items,
    }))
}

/// The unquoted value of `key` among an item's lines.
fn item_field(lines: &[&str], key: &str) -> Option<String> {
    lines
        .iter()
        .filter_map(|l| field(l))
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// `key: value` on a line of an item (after its `- `), the value unquoted.
fn field(line: &str) -> Option<(String, String)> {
    let body = line.trim();
    let body = body.strip_prefix("- ").unwrap_or(body).trim_start();
    let (key, value) = body.split_once(':')?;
    if key.is_empty() || key.contains([' ', '"', '\'', '#']) {
        return None;
    }
    Some((key.to_owned(), unquote(value.trim())))
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value
        .strip_prefix('"')
        .and_then(|v| v.rfind('"').map(|end| &v[..end]))
    {
        return inner.replace("\\\"", "\"").replace("\\\\", "\\");
    }
    if let Some(inner) = value
        .strip_prefix('\'')
        .and_then(|v| v.rfind('\'').map(|end| &v[..end]))
    {
        return inner.replace("''", "'");
    }
    strip_comment(value).trim().to_owned()
}

fn strip_comment(s: &str) -> &str {
    if s.trim_start().starts_with('#') {
        return "";
    }
    s.find(" #").map_or(s, |i| &s[..i])
}

fn line_ending(line: &str) -> &str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// The entry's lines at `indent`, every value double-quoted (JSON's escapes are YAML's).
fn render(entry: &Entry<'_>, indent: &str, newline: &str) -> String {
    entry
        .fields
        .iter()
        .enumerate()
        .map(|(i, (key, value))| {
            let lead = if i == 0 { "- " } else { "  " };
            format!("{indent}{lead}{key}: {}{newline}", json_string(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [(&str, &str); 3] = [
        ("name", "OmniRoute"),
        ("provider", "openai"),
        ("apiKey", "sk-1"),
    ];

    fn upsert_ours(text: &str) -> Result<String, Refusal> {
        upsert(text, "models", &Entry { fields: &FIELDS })
    }

    #[test]
    fn appends_after_the_last_entry_at_its_indentation() {
        let text = "name: Local\nmodels:\n- name: A\n  provider: ollama\n\n# tail\nrules:\n  - x\n";
        let out = upsert_ours(text).unwrap();
        assert_eq!(
            out,
            "name: Local\nmodels:\n- name: A\n  provider: ollama\n- name: \"OmniRoute\"\n  provider: \"openai\"\n  apiKey: \"sk-1\"\n\n# tail\nrules:\n  - x\n"
        );
        assert_eq!(upsert_ours(&out).unwrap(), out);
        let read = read(&out, "models", "name", "OmniRoute").unwrap();
        assert_eq!(read[2], ("apiKey".to_owned(), "sk-1".to_owned()));
    }

    #[test]
    fn replaces_its_own_entry_in_place() {
        let text = "models:\r\n    - name: OmniRoute\r\n      apiKey: old\r\n    - name: B\r\n";
        assert_eq!(
            upsert_ours(text).unwrap(),
            "models:\r\n    - name: \"OmniRoute\"\r\n      provider: \"openai\"\r\n      apiKey: \"sk-1\"\r\n    - name: B\r\n"
        );
    }

    #[test]
    fn creates_the_list_and_opens_an_empty_flow_list() {
        assert_eq!(
            upsert_ours("name: x").unwrap(),
            "name: x\n\nmodels:\n  - name: \"OmniRoute\"\n    provider: \"openai\"\n    apiKey: \"sk-1\"\n"
        );
        assert_eq!(
            upsert_ours("models: [] # none\nb: 1\n").unwrap(),
            "models:\n  - name: \"OmniRoute\"\n    provider: \"openai\"\n    apiKey: \"sk-1\"\nb: 1\n"
        );
    }

    #[test]
    fn refuses_shapes_it_does_not_follow() {
        for text in [
            "models: [{name: a}]\n",
            "models:\n  a: 1\n",
            "models:\n- a\nmodels:\n- b\n",
            "models:\n\t- a\n",
        ] {
            assert!(upsert_ours(text).is_err(), "{text}");
        }
    }
}
