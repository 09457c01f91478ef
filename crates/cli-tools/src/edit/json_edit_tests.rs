//! Layout cases of the JSON editor, and a randomized check that any document keeps every byte
//! apart from the edited member.

use std::collections::BTreeMap;

use super::*;
use crate::edit::json_text::{Dialect, Kind, Node, parse};

fn set_model(text: &str, dialect: Dialect) -> String {
    apply(
        text,
        dialect,
        &[Edit::set(&["env", "ANTHROPIC_MODEL"], "m-1")],
    )
    .unwrap()
}

#[test]
fn appends_in_the_style_of_the_siblings() {
    let text = "{\n    \"a\": 1,\n    \"env\": {\n        \"X\": \"y\"\n    }\n}\n";
    assert_eq!(
        set_model(text, Dialect::JSON),
        "{\n    \"a\": 1,\n    \"env\": {\n        \"X\": \"y\",\n        \"ANTHROPIC_MODEL\": \"m-1\"\n    }\n}\n"
    );
    let tabs = "{\r\n\t\"a\": 1\r\n}";
    assert_eq!(
        set_model(tabs, Dialect::JSON),
        "{\r\n\t\"a\": 1,\r\n\t\"env\": {\r\n\t\t\"ANTHROPIC_MODEL\": \"m-1\"\r\n\t}\r\n}"
    );
}

#[test]
fn one_line_objects_stay_on_one_line() {
    assert_eq!(
        set_model("{\"a\":1}", Dialect::JSON),
        "{\"a\":1, \"env\":{\"ANTHROPIC_MODEL\":\"m-1\"}}"
    );
    assert_eq!(
        set_model("{\"env\": {\"X\": \"y\"}}", Dialect::JSON),
        "{\"env\": {\"X\": \"y\", \"ANTHROPIC_MODEL\": \"m-1\"}}"
    );
}

#[test]
fn empty_objects_open_up() {
    assert_eq!(
        set_model("{}", Dialect::JSON),
        "{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"m-1\"\n  }\n}"
    );
    assert_eq!(
        set_model("\u{feff}{ }\n", Dialect::JSON),
        "\u{feff}{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"m-1\"\n  }\n}\n"
    );
    assert_eq!(
        set_model("{\n  \"env\": {}\n}", Dialect::JSON),
        "{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"m-1\"\n  }\n}"
    );
    assert_eq!(
        set_model("{\n  \"env\": { // none yet\n  }\n}", Dialect::JSONC),
        "{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"m-1\" // none yet\n  }\n}"
    );
}

#[test]
fn comments_and_trailing_commas_are_kept() {
    let text = "{\n  // the env\n  \"env\": {\n    \"X\": \"y\", // why\n  },\n}\n";
    assert_eq!(
        set_model(text, Dialect::JSONC),
        "{\n  // the env\n  \"env\": {\n    \"X\": \"y\", // why\n    \"ANTHROPIC_MODEL\": \"m-1\",\n  },\n}\n"
    );
    let no_comma = "{\n  \"env\": {\n    \"X\": \"y\" /* a */ // b\n  }\n}";
    assert_eq!(
        set_model(no_comma, Dialect::JSONC),
        "{\n  \"env\": {\n    \"X\": \"y\", /* a */ // b\n    \"ANTHROPIC_MODEL\": \"m-1\"\n  }\n}"
    );
}

#[test]
fn replaces_only_the_value() {
    let text = "{\n  \"env\": {\"ANTHROPIC_MODEL\" :  \"old\" , \"Z\": 1}\n}";
    assert_eq!(
        set_model(text, Dialect::JSON),
        "{\n  \"env\": {\"ANTHROPIC_MODEL\" :  \"m-1\" , \"Z\": 1}\n}"
    );
    let same = "{\"env\": {\"ANTHROPIC_MODEL\": \"m-1\"}}";
    assert_eq!(set_model(same, Dialect::JSON), same);
    // A value that is not an object where the path needs one is replaced.
    assert_eq!(
        set_model("{\n  \"env\": null\n}", Dialect::JSON),
        "{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"m-1\"\n  }\n}"
    );
}

#[test]
fn ensure_keeps_what_is_there() {
    let edit = [Edit::ensure(&["models", "m"], NewValue::Object(vec![]))];
    assert_eq!(
        apply("{\"models\": {\"m\": {\"x\": 1}}}", Dialect::JSON, &edit).unwrap(),
        "{\"models\": {\"m\": {\"x\": 1}}}"
    );
    assert_eq!(
        apply("{\"models\": {}}", Dialect::JSON, &edit).unwrap(),
        "{\"models\": {\n  \"m\": {}\n}}"
    );
}

#[test]
fn array_elements_follow_the_last_one() {
    let item = NewValue::object([("id", NewValue::str("b")), ("name", NewValue::str("b"))]);
    let edit = [Edit::ensure_element(&["models"], "id", "b", item)];
    let text = "{\n  \"models\": [\n    { \"id\": \"a\", \"name\": \"A\" }\n  ]\n}";
    let once = apply(text, Dialect::JSON5, &edit).unwrap();
    assert_eq!(
        once,
        "{\n  \"models\": [\n    { \"id\": \"a\", \"name\": \"A\" },\n    {\"id\": \"b\", \"name\": \"b\"}\n  ]\n}"
    );
    assert_eq!(apply(&once, Dialect::JSON5, &edit).unwrap(), once);
    let spread = "{\"models\": [\n  {\n    \"id\": \"a\"\n  }\n]}";
    assert_eq!(
        apply(spread, Dialect::JSON, &edit).unwrap(),
        "{\"models\": [\n  {\n    \"id\": \"a\"\n  },\n  {\n    \"id\": \"b\",\n    \"name\": \"b\"\n  }\n]}"
    );
}

#[test]
fn json5_keys_are_matched_unquoted() {
    let text = "{agents: {defaults: {model: {primary: 'a/b'}}},}";
    let out = apply(
        text,
        Dialect::JSON5,
        &[Edit::set(
            &["agents", "defaults", "model", "primary"],
            "omniroute/m",
        )],
    )
    .unwrap();
    assert_eq!(
        out,
        "{agents: {defaults: {model: {primary: \"omniroute/m\"}}},}"
    );
}

#[test]
fn refuses_what_it_cannot_edit() {
    assert!(matches!(
        apply("[1]", Dialect::JSON, &[Edit::set(&["a"], "b")]),
        Err(EditError::NotAnObject)
    ));
    assert!(matches!(
        apply("{\"a\": }", Dialect::JSON, &[Edit::set(&["a"], "b")]),
        Err(EditError::Syntax(_))
    ));
}

// --- randomized documents -------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

enum Gen {
    Obj(Vec<(String, Gen)>),
    Arr(Vec<Gen>),
    Str(String),
    Lit(&'static str),
}

const KEYS: [&str; 10] = [
    "a",
    "hooks",
    "model",
    "ANTHROPIC_MODEL",
    "x y",
    "é",
    "k\"q",
    "statusLine",
    "n",
    "list",
];
const STRINGS: [&str; 6] = [
    "",
    "plain",
    "with \"quotes\"",
    "tab\tand\\slash",
    "ünï😀",
    "// not a comment",
];
const LITERALS: [&str; 7] = ["0", "-1.5", "2e10", "true", "false", "null", "123456789"];

fn gen_value(rng: &mut Rng, depth: usize) -> Gen {
    match rng.below(if depth > 3 { 2 } else { 4 }) {
        0 => Gen::Str(STRINGS[rng.below(STRINGS.len())].to_owned()),
        1 => Gen::Lit(LITERALS[rng.below(LITERALS.len())]),
        2 => Gen::Arr(
            (0..rng.below(4))
                .map(|_| gen_value(rng, depth + 1))
                .collect(),
        ),
        _ => gen_object(rng, depth + 1),
    }
}

fn gen_object(rng: &mut Rng, depth: usize) -> Gen {
    let mut members: Vec<(String, Gen)> = Vec::new();
    for _ in 0..rng.below(5) {
        let key = KEYS[rng.below(KEYS.len())];
        if members.iter().all(|(k, _)| k != key) {
            members.push((key.to_owned(), gen_value(rng, depth)));
        }
    }
    Gen::Obj(members)
}

struct Layout {
    indent: &'static str,
    newline: &'static str,
    colon: &'static str,
    jsonc: bool,
}

fn write(rng: &mut Rng, layout: &Layout, value: &Gen, level: usize, out: &mut String) {
    let (open, close, entries): (char, char, Vec<(Option<&str>, &Gen)>) = match value {
        Gen::Str(s) => return out.push_str(&json_string(s)),
        Gen::Lit(l) => return out.push_str(l),
        Gen::Obj(m) => (
            '{',
            '}',
            m.iter().map(|(k, v)| (Some(k.as_str()), v)).collect(),
        ),
        Gen::Arr(a) => ('[', ']', a.iter().map(|v| (None, v)).collect()),
    };
    let spread = rng.chance(3) || level == 0;
    out.push(open);
    for (i, (key, v)) in entries.iter().enumerate() {
        if spread {
            out.push_str(layout.newline);
            out.push_str(&layout.indent.repeat(level + 1));
        } else if i > 0 {
            out.push(' ');
        }
        if layout.jsonc && rng.chance(6) {
            out.push_str("/* c */ ");
        }
        if let Some(k) = key {
            out.push_str(&json_string(k));
            out.push(':');
            out.push_str(layout.colon);
        }
        write(rng, layout, v, level + 1, out);
        let last = i + 1 == entries.len();
        if !last || (layout.jsonc && rng.chance(3)) {
            out.push(',');
        }
        if spread && layout.jsonc && rng.chance(5) {
            out.push_str(" // note");
        }
    }
    if spread && !entries.is_empty() {
        out.push_str(layout.newline);
        out.push_str(&layout.indent.repeat(level));
    }
    out.push(close);
}

fn to_json(node: &Node, text: &str) -> serde_json::Value {
    match &node.kind {
        Kind::Object(members) => serde_json::Value::Object(
            members
                .iter()
                .map(|m| (m.key.clone(), to_json(&m.value, text)))
                .collect(),
        ),
        Kind::Array(elements) => {
            serde_json::Value::Array(elements.iter().map(|e| to_json(&e.value, text)).collect())
        }
        Kind::String(s) => serde_json::Value::String(s.clone()),
        Kind::Literal => serde_json::from_str(&text[node.start..node.end]).unwrap(),
    }
}

fn non_space_counts(s: &str) -> BTreeMap<char, i64> {
    let mut counts = BTreeMap::new();
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        *counts.entry(c).or_insert(0) += 1;
    }
    counts
}

fn is_subsequence(small: &str, big: &str) -> bool {
    let mut big = big.chars();
    small.chars().all(|c| big.any(|b| b == c))
}

#[test]
fn random_documents_change_only_the_edited_member() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let jsonc = rng.chance(2);
        let layout = Layout {
            indent: ["  ", "    ", "\t"][rng.below(3)],
            newline: if rng.chance(3) { "\r\n" } else { "\n" },
            colon: if rng.chance(4) { "" } else { " " },
            jsonc,
        };
        let dialect = if jsonc { Dialect::JSONC } else { Dialect::JSON };
        let Gen::Obj(mut members) = gen_object(&mut rng, 1) else {
            unreachable!()
        };
        match rng.below(3) {
            0 => members.retain(|(k, _)| k != "env"),
            1 => members.push(("env".to_owned(), Gen::Obj(vec![]))),
            _ => members.push(("env".to_owned(), gen_object(&mut rng, 2))),
        }
        members.retain(|(k, v)| k != "env" || matches!(v, Gen::Obj(_)));
        let mut text = if rng.chance(5) {
            "\u{feff}".to_owned()
        } else {
            String::new()
        };
        write(&mut rng, &layout, &Gen::Obj(members), 0, &mut text);
        if rng.chance(2) {
            text.push_str(layout.newline);
        }

        let before = parse(&text, dialect)
            .unwrap_or_else(|e| panic!("round {round}: generated invalid text {e:?}\n{text}"));
        let value = format!("m-{round}");
        let edited = apply(
            &text,
            dialect,
            &[Edit::set(&["env", "ANTHROPIC_MODEL"], &value)],
        )
        .unwrap();
        let after = parse(&edited, dialect).unwrap();

        let mut expected = to_json(&before, &text);
        let env = expected
            .as_object_mut()
            .unwrap()
            .entry("env")
            .or_insert_with(|| serde_json::json!({}));
        env.as_object_mut().unwrap().insert(
            "ANTHROPIC_MODEL".to_owned(),
            serde_json::Value::String(value.clone()),
        );
        assert_eq!(
            to_json(&after, &edited),
            expected,
            "round {round}\n{text}\n---\n{edited}"
        );

        if let Some(old) = before.lookup(&["env", "ANTHROPIC_MODEL"]) {
            let want = format!(
                "{}{}{}",
                &text[..old.start],
                json_string(&value),
                &text[old.end..]
            );
            assert_eq!(edited, want, "round {round}");
        } else {
            assert!(
                is_subsequence(&text, &edited),
                "round {round}: original bytes lost\n{text}\n---\n{edited}"
            );
            let mut added = non_space_counts(&edited);
            for (c, n) in non_space_counts(&text) {
                *added.entry(c).or_insert(0) -= n;
            }
            added.retain(|_, n| *n != 0);
            let member = format!("\"ANTHROPIC_MODEL\":\"{value}\"");
            let core = if before.lookup(&["env"]).is_some() {
                member
            } else {
                format!("\"env\":{{{member}}}")
            };
            let bare = non_space_counts(&core);
            let mut with_comma = bare.clone();
            *with_comma.entry(',').or_insert(0) += 1;
            assert!(
                added == bare || added == with_comma,
                "round {round}: unexpected additions {added:?}\n{text}\n---\n{edited}"
            );
        }
        assert_eq!(
            apply(
                &edited,
                dialect,
                &[Edit::set(&["env", "ANTHROPIC_MODEL"], &value)]
            )
            .unwrap(),
            edited
        );
    }
}
