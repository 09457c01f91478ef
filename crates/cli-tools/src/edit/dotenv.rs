//! A `.env` file edited line by line, the way Gemini CLI reads it (the npm `dotenv` grammar):
//! a variable's value is replaced in place, keeping `export`, the spacing, a trailing comment
//! and the line ending; a missing variable is appended. Every other line stays as it is.

/// Sets each `(name, value)`; returns the new text (equal to `text` when all were set already).
pub(crate) fn set(text: &str, vars: &[(&str, &str)]) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    for (name, value) in vars {
        let found = lines.iter().enumerate().rev().find_map(|(i, line)| {
            assignment(line)
                .filter(|a| a.name == *name)
                .map(|a| (i, a.value_start, a.value_end, a.value))
        });
        match found {
            Some((_, _, _, current)) if current == *value => {}
            Some((i, start, end, _)) => {
                let line = &lines[i];
                lines[i] = format!("{}{}{}", &line[..start], quote(value), &line[end..]);
            }
            None => {
                if let Some(last) = lines.last_mut()
                    && !last.ends_with('\n')
                {
                    last.push_str(newline);
                }
                lines.push(format!("{name}={}{newline}", quote(value)));
            }
        }
    }
    lines.concat()
}

/// The value of `name` (the last assignment wins, as in `dotenv`).
pub(crate) fn get(text: &str, name: &str) -> Option<String> {
    text.split_inclusive('\n')
        .rev()
        .filter_map(assignment)
        .find(|a| a.name == name)
        .map(|a| a.value)
}

struct Assignment<'a> {
    name: &'a str,
    /// The value as written (quotes included), within the line.
    value_start: usize,
    value_end: usize,
    /// The value as the program sees it.
    value: String,
}

/// `[export ]NAME = value [# comment]` on one line.
fn assignment(line: &str) -> Option<Assignment<'_>> {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let body = body.strip_suffix('\r').unwrap_or(body);
    let indent = body.len() - body.trim_start().len();
    let mut pos = indent;
    if let Some(rest) = body[pos..].strip_prefix("export")
        && rest.starts_with([' ', '\t'])
    {
        pos += "export".len() + (rest.len() - rest.trim_start().len());
    }
    let name_len = body[pos..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &body[pos..pos + name_len];
    pos += name_len;
    pos += body[pos..].len() - body[pos..].trim_start_matches([' ', '\t']).len();
    pos += body[pos..].strip_prefix('=').map(|_| 1)?;
    pos += body[pos..].len() - body[pos..].trim_start_matches([' ', '\t']).len();
    let rest = &body[pos..];
    let quoted = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))
        .and_then(|q| {
            let close = rest[1..].find(q)?;
            Some((close + 2, rest[1..=close].to_owned()))
        });
    let (len, value) = match quoted {
        Some(found) => found,
        None => {
            let end = rest
                .find(" #")
                .or_else(|| rest.find("\t#"))
                .unwrap_or(rest.len());
            let raw = if rest.starts_with('#') {
                ""
            } else {
                rest[..end].trim_end()
            };
            (raw.len(), raw.to_owned())
        }
    };
    Some(Assignment {
        name,
        value_start: pos,
        value_end: pos + len,
        value,
    })
}

/// Bare when the value cannot be misread, otherwise single-quoted (the values written here never
/// hold quotes; `Settings` refuses them).
fn quote(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:@+=,~%".contains(&b));
    if bare {
        value.to_owned()
    } else {
        format!("'{value}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_in_place_and_appends() {
        let text = "# keys\r\nexport GEMINI_API_KEY = \"old\" # mine\r\nOTHER=1";
        let out = set(
            text,
            &[
                ("GEMINI_API_KEY", "sk-new"),
                ("GOOGLE_GEMINI_BASE_URL", "http://h:1"),
            ],
        );
        assert_eq!(
            out,
            "# keys\r\nexport GEMINI_API_KEY = sk-new # mine\r\nOTHER=1\r\nGOOGLE_GEMINI_BASE_URL=http://h:1\r\n"
        );
        assert_eq!(set(&out, &[("GEMINI_API_KEY", "sk-new")]), out);
        assert_eq!(
            get(&out, "GOOGLE_GEMINI_BASE_URL").as_deref(),
            Some("http://h:1")
        );
        assert_eq!(get(&out, "OTHER").as_deref(), Some("1"));
    }

    #[test]
    fn empty_file_and_odd_lines() {
        assert_eq!(set("", &[("A", "x y")]), "A='x y'\n");
        let text = "A=1\nA=2 # later wins\nnot an assignment\n#B=3\n";
        assert_eq!(get(text, "A").as_deref(), Some("2"));
        assert_eq!(get(text, "B"), None);
        assert_eq!(
            set(text, &[("A", "9")]),
            "A=1\nA=9 # later wins\nnot an assignment\n#B=3\n"
        );
    }
}
