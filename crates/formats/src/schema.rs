//! JSON Schema cleaning for Gemini function declarations. Gemini's `parameters` accepts an
//! OpenAPI subset and rejects requests carrying other keywords, so they are removed; what a
//! keyword meant is kept where Gemini has a way to say it (`const` → one-value `enum`, a
//! nullable type union → `nullable`, local `$ref`s inlined).

use serde_json::{Map, Value};

/// Keywords Gemini's `Schema` understands; everything else is dropped.
const KEPT: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];

/// A copy of `schema` that Gemini accepts.
pub fn clean_for_gemini(schema: &Value) -> Value {
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .cloned()
        .unwrap_or(Value::Null);
    clean(schema, &defs, 0)
}

fn clean(schema: &Value, defs: &Value, depth: usize) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    // Inline local references, bounded so a recursive schema cannot loop forever.
    if let Some(Value::String(reference)) = map.get("$ref") {
        let name = reference.rsplit('/').next().unwrap_or_default();
        if depth < 8 {
            if let Some(target) = defs.get(name) {
                return clean(target, defs, depth + 1);
            }
        }
        return Value::Object(Map::from_iter([(
            "type".to_owned(),
            Value::String("object".into()),
        )]));
    }
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "properties" => {
                if let Value::Object(props) = value {
                    let cleaned = props
                        .iter()
                        .map(|(k, v)| (k.clone(), clean(v, defs, depth + 1)))
                        .collect();
                    out.insert(key.clone(), Value::Object(cleaned));
                }
            }
            "items" => {
                out.insert(key.clone(), clean(value, defs, depth + 1));
            }
            "anyOf" | "oneOf" => {
                if let Value::Array(variants) = value {
                    let non_null: Vec<&Value> = variants
                        .iter()
                        .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                        .collect();
                    if non_null.len() < variants.len() {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                    if let [only] = non_null.as_slice() {
                        if let Value::Object(inner) = clean(only, defs, depth + 1) {
                            for (k, v) in inner {
                                out.entry(k).or_insert(v);
                            }
                        }
                    } else {
                        let cleaned = non_null.iter().map(|v| clean(v, defs, depth + 1)).collect();
                        out.insert("anyOf".into(), Value::Array(cleaned));
                    }
                }
            }
            "type" => match value {
                Value::Array(types) => {
                    let non_null: Vec<&Value> = types
                        .iter()
                        .filter(|t| t.as_str() != Some("null"))
                        .collect();
                    if non_null.len() < types.len() {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                    if let Some(first) = non_null.first() {
                        out.insert("type".into(), (*first).clone());
                    }
                }
                other => {
                    out.insert("type".into(), other.clone());
                }
            },
            "const" => {
                out.insert("enum".into(), Value::Array(vec![value.clone()]));
            }
            "enum" => {
                // Gemini enums are strings.
                if let Value::Array(values) = value {
                    let strings = values
                        .iter()
                        .filter(|v| !v.is_null())
                        .map(|v| match v {
                            Value::String(_) => v.clone(),
                            other => Value::String(other.to_string()),
                        })
                        .collect();
                    out.insert("enum".into(), Value::Array(strings));
                }
            }
            "format" => {
                // Only these string formats are accepted.
                if matches!(
                    value.as_str(),
                    Some("enum" | "date-time" | "int32" | "int64" | "float" | "double")
                ) {
                    out.insert(key.clone(), value.clone());
                }
            }
            k if KEPT.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    // `required` may only name properties that exist.
    if let (Some(Value::Array(required)), Some(Value::Object(props))) =
        (out.get("required"), out.get("properties"))
    {
        let kept: Vec<Value> = required
            .iter()
            .filter(|r| r.as_str().is_some_and(|name| props.contains_key(name)))
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_unsupported_keywords_and_keeps_meaning() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "path": {"type": "string", "description": "file", "format": "uri"},
                "mode": {"const": "read"},
                "limit": {"type": ["integer", "null"], "exclusiveMinimum": 0},
                "item": {"$ref": "#/$defs/Item"},
                "opt": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "level": {"enum": [1, 2]}
            },
            "required": ["path", "ghost"],
            "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": false}}
        });
        let cleaned = clean_for_gemini(&schema);
        assert_eq!(
            cleaned,
            json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "file"},
                    "mode": {"enum": ["read"]},
                    "limit": {"type": "integer", "nullable": true},
                    "item": {"type": "object", "properties": {"id": {"type": "string"}}},
                    "opt": {"type": "string", "nullable": true},
                    "level": {"enum": ["1", "2"]}
                },
                "required": ["path"]
            })
        );
    }

    #[test]
    fn recursive_refs_terminate() {
        let schema = json!({"$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
                            "$ref": "#/$defs/N"});
        let cleaned = clean_for_gemini(&schema);
        assert_eq!(cleaned["type"], "object");
    }
}
