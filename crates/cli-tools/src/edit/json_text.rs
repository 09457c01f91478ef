//! A JSON document as it is written: every value with its byte span, so an edit can splice new
//! text into the original and leave every other byte alone (comments, key order, indentation,
//! line endings, a byte order mark). The dialects are the ones the tools read: strict JSON
//! (Claude Code parses its settings with `JSON.parse`), JSON with comments (Gemini CLI strips
//! comments before `JSON.parse`, which still refuses trailing commas), JSONC (opencode: comments
//! and trailing commas) and JSON5 (OpenClaw: also unquoted keys, single quotes, loose numbers).

/// What a dialect allows beyond strict JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect {
    pub comments: bool,
    pub trailing_commas: bool,
    pub json5: bool,
}

impl Dialect {
    pub const JSON: Self = Self {
        comments: false,
        trailing_commas: false,
        json5: false,
    };
    pub const JSON_WITH_COMMENTS: Self = Self {
        comments: true,
        trailing_commas: false,
        json5: false,
    };
    pub const JSONC: Self = Self {
        comments: true,
        trailing_commas: true,
        json5: false,
    };
    pub const JSON5: Self = Self {
        comments: true,
        trailing_commas: true,
        json5: true,
    };

    pub fn name(self) -> &'static str {
        match (self.json5, self.trailing_commas, self.comments) {
            (true, _, _) => "JSON5",
            (false, true, _) => "JSONC",
            (false, false, true) => "JSON (comments allowed)",
            (false, false, false) => "JSON",
        }
    }
}

/// A value and where it is: `start..end` covers it from its first to its last byte.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Object(Vec<Member>),
    Array(Vec<Element>),
    /// A string, decoded.
    String(String),
    /// A number, `true`, `false` or `null` (JSON5: any literal).
    Literal,
}

#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub key: String,
    pub key_start: usize,
    pub key_end: usize,
    pub value: Node,
    /// The comma after the value, if one follows.
    pub comma: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub value: Node,
    pub comma: Option<usize>,
}

/// Where the text stops being valid and why; the message never quotes the text (it may hold keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl SyntaxError {
    /// 1-based line and column (in characters) of the error in `text`.
    pub fn line_column(&self, text: &str) -> (usize, usize) {
        let before = text.get(..self.offset.min(text.len())).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }
}

impl Node {
    /// The member named `key` (the last one when a key repeats, as `JSON.parse` keeps the last).
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            Kind::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }

    /// The value at `path` through nested objects.
    pub fn lookup(&self, path: &[&str]) -> Option<&Node> {
        path.iter()
            .try_fold(self, |node, key| node.member(key).map(|m| &m.value))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The string at `path`, if there is one.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.lookup(path).and_then(Node::as_str)
    }
}

/// Deeper nesting than any settings file needs; the limit keeps recursion bounded.
const MAX_DEPTH: usize = 128;

/// Parses the whole text (a leading byte order mark is skipped) into its root value.
pub(crate) fn parse(text: &str, dialect: Dialect) -> Result<Node, SyntaxError> {
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut parser = Parser {
        text,
        pos: start,
        dialect,
        depth: 0,
    };
    parser.skip_trivia()?;
    if parser.pos >= text.len() {
        return Err(parser.error("the document is empty"));
    }
    let root = parser.value()?;
    parser.skip_trivia()?;
    if parser.pos < text.len() {
        return Err(parser.error("unexpected content after the end of the document"));
    }
    Ok(root)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    dialect: Dialect,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    /// Whitespace and, where the dialect has them, comments.
    fn skip_trivia(&mut self) -> Result<(), SyntaxError> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(b' ' | b'\t' | b'\n' | b'\r'), _) => self.pos += 1,
                (Some(b'/'), Some(b'/' | b'*')) if !self.dialect.comments => {
                    return Err(self.error("comments are not allowed in this file"));
                }
                (Some(b'/'), Some(b'/')) => {
                    let rest = &self.text[self.pos..];
                    self.pos += rest.find('\n').unwrap_or(rest.len());
                }
                (Some(b'/'), Some(b'*')) => {
                    let rest = &self.text[self.pos + 2..];
                    let Some(close) = rest.find("*/") else {
                        return Err(self.error("unterminated comment"));
                    };
                    self.pos += 2 + close + 2;
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string_node(b'"'),
            Some(b'\'') if self.dialect.json5 => self.string_node(b'\''),
            Some(_) => self.literal(),
            None => Err(self.error("unexpected end of the document")),
        }
    }

    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Node, SyntaxError>,
    ) -> Result<Node, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("values are nested too deeply"));
        }
        self.depth += 1;
        let node = parse(self);
        self.depth -= 1;
        node
    }

    fn object(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b'}') {
                self.refuse_trailing_comma(members.last().and_then(|m| m.comma))?;
                self.pos += 1;
                return Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::Object(members),
                });
            }
            if members.last().is_some_and(|m| m.comma.is_none()) {
                return Err(self.error("expected ',' or '}'"));
            }
            let key_start = self.pos;
            let key = self.key()?;
            let key_end = self.pos;
            self.skip_trivia()?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.pos += 1;
            self.skip_trivia()?;
            let value = self.value()?;
            let comma = self.comma()?;
            members.push(Member {
                key,
                key_start,
                key_end,
                value,
                comma,
            });
        }
    }

    fn array(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut elements: Vec<Element> = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b']') {
                self.refuse_trailing_comma(elements.last().and_then(|e| e.comma))?;
                self.pos += 1;
                return Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::Array(elements),
                });
            }
            if elements.last().is_some_and(|e| e.comma.is_none()) {
                return Err(self.error("expected ',' or ']'"));
            }
            let value = self.value()?;
            let comma = self.comma()?;
            elements.push(Element { value, comma });
        }
    }

    fn comma(&mut self) -> Result<Option<usize>, SyntaxError> {
        self.skip_trivia()?;
        if self.peek() == Some(b',') {
            self.pos += 1;
            return Ok(Some(self.pos - 1));
        }
        Ok(None)
    }

    fn refuse_trailing_comma(&self, comma: Option<usize>) -> Result<(), SyntaxError> {
        match comma {
            Some(offset) if !self.dialect.trailing_commas => Err(SyntaxError {
                offset,
                message: "trailing comma before the closing bracket".to_owned(),
            }),
            _ => Ok(()),
        }
    }

    fn key(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(b'"') => self.string(b'"'),
            Some(b'\'') if self.dialect.json5 => self.string(b'\''),
            Some(c)
                if self.dialect.json5 && (c.is_ascii_alphabetic() || c == b'_' || c == b'$') =>
            {
                let rest = &self.text.as_bytes()[self.pos..];
                let len = rest
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'$')
                    .count();
                let key = self.text[self.pos..self.pos + len].to_owned();
                self.pos += len;
                Ok(key)
            }
            _ => Err(self.error("expected a key in double quotes")),
        }
    }

    fn string_node(&mut self, quote: u8) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let value = self.string(quote)?;
        Ok(Node {
            start,
            end: self.pos,
            kind: Kind::String(value),
        })
    }

    /// A quoted string from its opening quote; leaves the position after the closing one.
    fn string(&mut self, quote: u8) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c as u32 == u32::from(quote) => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((j, escaped)) = chars.next() else {
                        break;
                    };
                    match escaped {
                        '"' | '\\' | '/' => out.push(escaped),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let at = self.pos + j + 1;
                            let (decoded, used) =
                                decode_unicode_escape(&self.text[at..]).ok_or(SyntaxError {
                                    offset: at,
                                    message: "invalid \\u escape".to_owned(),
                                })?;
                            out.push(decoded);
                            for _ in 0..used {
                                chars.next();
                            }
                        }
                        // JSON5 escapes any character, and a backslash before a newline continues the line.
                        '\n' if self.dialect.json5 => {}
                        other if self.dialect.json5 => out.push(other),
                        _ => {
                            return Err(SyntaxError {
                                offset: self.pos + i,
                                message: "invalid escape in a string".to_owned(),
                            });
                        }
                    }
                }
                '\n' | '\r' => {
                    return Err(SyntaxError {
                        offset: self.pos + i,
                        message: "line break inside a string".to_owned(),
                    });
                }
                c if (c as u32) < 0x20 && !self.dialect.json5 => {
                    return Err(SyntaxError {
                        offset: self.pos + i,
                        message: "control character inside a string".to_owned(),
                    });
                }
                c => out.push(c),
            }
        }
        Err(SyntaxError {
            offset: open,
            message: "unterminated string".to_owned(),
        })
    }

    fn literal(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let rest = &self.text.as_bytes()[start..];
        let len = rest
            .iter()
            .take_while(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_' | b'$')
            })
            .count();
        let word = &self.text[start..start + len];
        let valid = match word {
            "" => false,
            "true" | "false" | "null" => true,
            _ if self.dialect.json5 => true,
            _ => is_json_number(word),
        };
        if !valid {
            return Err(self.error("expected a value"));
        }
        self.pos += len;
        Ok(Node {
            start,
            end: self.pos,
            kind: Kind::Literal,
        })
    }
}

/// `XXXX` (after `\u`), or a surrogate pair `XXXX\uYYYY`: the character and how many characters
/// of the text it used. A lone surrogate becomes U+FFFD, as JavaScript would keep it unpaired.
fn decode_unicode_escape(text: &str) -> Option<(char, usize)> {
    let hex = |s: &str| {
        s.get(..4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let first = hex(text)?;
    if (0xD800..0xDC00).contains(&first)
        && text.get(4..6) == Some("\\u")
        && let Some(second) = text.get(6..).and_then(hex)
        && (0xDC00..0xE000).contains(&second)
    {
        let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        return Some((char::from_u32(combined).unwrap_or('\u{fffd}'), 10));
    }
    Some((char::from_u32(first).unwrap_or('\u{fffd}'), 4))
}

/// RFC 8259's number grammar.
fn is_json_number(word: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut rest = word.strip_prefix('-').unwrap_or(word);
    let int = digits(rest);
    if int == 0 || (int > 1 && rest.starts_with('0')) {
        return false;
    }
    rest = &rest[int..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        if n == 0 {
            return false;
        }
        rest = &exponent[n..];
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_lookup() {
        let text = "\u{feff}{\"a\": {\"b\": \"x\\u00e9\\ud83d\\ude00\"}, \"n\": -1.5e3}";
        let root = parse(text, Dialect::JSON).unwrap();
        assert_eq!(root.str_at(&["a", "b"]), Some("xé😀"));
        let n = root.lookup(&["n"]).unwrap();
        assert_eq!(&text[n.start..n.end], "-1.5e3");
    }

    #[test]
    fn dialects() {
        let commented = "{ // c\n \"a\": 1 /* d */ }";
        assert!(parse(commented, Dialect::JSON).is_err());
        assert!(parse(commented, Dialect::JSON_WITH_COMMENTS).is_ok());
        let trailing = "{\"a\": [1, 2,],}";
        assert!(parse(trailing, Dialect::JSON_WITH_COMMENTS).is_err());
        assert!(parse(trailing, Dialect::JSONC).is_ok());
        let five = "{a: 'x', $b: +Infinity, c: 0x1F,}";
        assert!(parse(five, Dialect::JSONC).is_err());
        let root = parse(five, Dialect::JSON5).unwrap();
        assert_eq!(root.str_at(&["a"]), Some("x"));
    }

    #[test]
    fn errors_have_positions_and_never_quote_the_text() {
        let text = "{\n  \"key\": \"sk-secret\"\n  \"b\": 1\n}";
        let err = parse(text, Dialect::JSON).unwrap_err();
        assert_eq!(err.line_column(text), (3, 3));
        assert!(!err.message.contains("sk-secret"));
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "[1 2]",
            "{\"a\": tru}",
            "{\"a\": 01}",
            "{} x",
            "\"\\q\"",
        ] {
            assert!(parse(bad, Dialect::JSON).is_err(), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&text, Dialect::JSON).is_err());
    }
}
