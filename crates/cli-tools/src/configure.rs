//! What Apply changes in each tool's files and what Detect reads back from them: the keys per
//! tool, as the tools document or read them (noted beside each). The editors in `edit/` do the
//! format work.

use std::path::Path;

use toml_edit::{Item, Table};

use crate::context::Context;
use crate::edit::json_edit::{self, Edit, EditError, NewValue};
use crate::edit::json_text::{self, Dialect, Node};
use crate::edit::toml_doc::{self, TomlError, TomlText};
use crate::edit::{dotenv, yaml_list};
use crate::error::Error;
use crate::settings::{Settings, is_loopback};
use crate::tools::{ConfigFile, FileRole, ToolId};

/// The provider id written into the tools that name providers.
pub(crate) const PROVIDER_ID: &str = "omniroute";
const PROVIDER_NAME: &str = "OmniRoute";

/// Claude Code 2.1 sends the main loop's requests with `ANTHROPIC_MODEL`; whatever asks for the
/// `opus`, `sonnet` or `haiku` aliases (subagents such as Explore, background work once a Haiku
/// model is set) resolves them through the three tier variables, so all four name the model.
/// (`ANTHROPIC_SMALL_FAST_MODEL` is deprecated in favour of the Haiku one.)
pub(crate) const CLAUDE_MODEL_VARS: [&str; 4] = [
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
];

const OPENCODE_SEED: &str = "{\n  \"$schema\": \"https://opencode.ai/config.json\"\n}\n";
const CONTINUE_SEED: &str = "name: Local Config\nversion: 1.0.0\nschema: v1\n";

/// A file's content: `None` when it does not exist.
pub(crate) type FileText = (ConfigFile, Option<String>);

/// The new text of `file` for `settings`, from its current text; `None` for files Apply does not
/// write.
pub(crate) fn new_text(
    tool: ToolId,
    file: &ConfigFile,
    current: Option<&str>,
    settings: &Settings,
) -> Result<Option<String>, Error> {
    let path = file.path.as_path();
    let root = settings.gateway_root();
    let v1 = settings.gateway_v1();
    let key = settings.api_key.expose();
    let model = settings.model.as_str();
    let prefixed = format!("{PROVIDER_ID}/{model}");
    let text = match (tool, file.role) {
        (_, FileRole::Legacy) => return Ok(None),
        (ToolId::ClaudeCode, _) => {
            let mut edits = vec![
                Edit::set(&["env", "ANTHROPIC_BASE_URL"], &root),
                Edit::set(&["env", "ANTHROPIC_AUTH_TOKEN"], key),
            ];
            edits.extend(
                CLAUDE_MODEL_VARS
                    .iter()
                    .map(|var| Edit::set(&["env", var], model)),
            );
            json_file(path, current, Dialect::JSON, "{}\n", &edits)?
        }
        // Gemini CLI 0.61: `security.auth.selectedType` and `model.name` in settings.json, which
        // it reads after stripping comments.
        (ToolId::GeminiCli, FileRole::Settings) => json_file(
            path,
            current,
            Dialect::JSON_WITH_COMMENTS,
            "{}\n",
            &[
                Edit::set(&["security", "auth", "selectedType"], "gemini-api-key"),
                Edit::set(&["model", "name"], model),
            ],
        )?,
        (ToolId::GeminiCli, FileRole::Env) => dotenv::set(
            current.unwrap_or_default(),
            &[("GEMINI_API_KEY", key), ("GOOGLE_GEMINI_BASE_URL", &root)],
        ),
        // OpenClaw reads openclaw.json as JSON5; a model is `provider/model`.
        (ToolId::OpenClaw, _) => {
            let ours = |leaf| path_under(&["models", "providers", PROVIDER_ID], leaf);
            let item =
                NewValue::object([("id", NewValue::str(model)), ("name", NewValue::str(model))]);
            json_file(
                path,
                current,
                Dialect::JSON5,
                "{}\n",
                &[
                    Edit::set(&["agents", "defaults", "model", "primary"], &prefixed),
                    Edit::set(&ours(&["baseUrl"]), &v1),
                    Edit::set(&ours(&["apiKey"]), key),
                    Edit::set(&ours(&["api"]), "openai-completions"),
                    Edit::ensure_element(&ours(&["models"]), "id", model, item),
                ],
            )?
        }
        // opencode: a custom provider through the AI SDK's OpenAI-compatible package; the
        // model's entry is only made sure of, so options the user gave it stay.
        (ToolId::OpenCode, _) => {
            let ours = |leaf| path_under(&["provider", PROVIDER_ID], leaf);
            json_file(
                path,
                current,
                Dialect::JSONC,
                OPENCODE_SEED,
                &[
                    Edit::set(&ours(&["npm"]), "@ai-sdk/openai-compatible"),
                    Edit::set(&ours(&["name"]), PROVIDER_NAME),
                    Edit::set(&ours(&["options", "baseURL"]), &v1),
                    Edit::set(&ours(&["options", "apiKey"]), key),
                    Edit::ensure(&ours(&["models", model]), NewValue::Object(Vec::new())),
                    Edit::set(&["model"], &prefixed),
                ],
            )?
        }
        (ToolId::Codex, _) => codex_text(path, current.unwrap_or_default(), settings)?,
        (ToolId::Continue, _) => {
            let text = current.filter(|t| !is_blank(t)).unwrap_or(CONTINUE_SEED);
            let fields = [
                ("name", PROVIDER_NAME),
                ("provider", "openai"),
                ("model", model),
                ("apiBase", v1.as_str()),
                ("apiKey", key),
            ];
            yaml_list::upsert(text, "models", &yaml_list::Entry { fields: &fields }).map_err(
                |r| Error::Unsupported {
                    path: path.to_path_buf(),
                    reason: r.0,
                },
            )?
        }
        (ToolId::Cline | ToolId::RooCode | ToolId::Cursor, _) => return Ok(None),
    };
    Ok(Some(text))
}

/// `prefix` followed by `rest`, as one path.
fn path_under<'a>(prefix: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    prefix.iter().chain(rest).copied().collect()
}

fn is_blank(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').trim().is_empty()
}

fn json_file(
    path: &Path,
    current: Option<&str>,
    dialect: Dialect,
    seed: &str,
    edits: &[Edit],
) -> Result<String, Error> {
    let text = current.filter(|t| !is_blank(t)).unwrap_or(seed);
    json_edit::apply(text, dialect, edits).map_err(|e| match e {
        EditError::Syntax(e) => {
            let (line, column) = e.line_column(text);
            Error::Malformed {
                path: path.to_path_buf(),
                format: dialect.name(),
                line,
                column,
                message: e.message,
            }
        }
        EditError::NotAnObject => Error::Unsupported {
            path: path.to_path_buf(),
            reason: "its top level is not an object".to_owned(),
        },
        EditError::Internal(reason) => Error::Unsupported {
            path: path.to_path_buf(),
            reason,
        },
    })
}

fn toml_error(path: &Path, e: TomlError) -> Error {
    match e {
        TomlError::Syntax {
            line,
            column,
            message,
        } => Error::Malformed {
            path: path.to_path_buf(),
            format: "TOML",
            line,
            column,
            message,
        },
        TomlError::NotReproducible => Error::Unsupported {
            path: path.to_path_buf(),
            reason: "its layout (mixed line endings?) cannot be kept byte for byte".to_owned(),
        },
    }
}

/// Codex 0.169: top-level `model` and `model_provider`, and a `[model_providers.omniroute]`
/// table speaking the Responses API whose key rides in `experimental_bearer_token`, so the CLI
/// works with no variable set. `env_key` would win over that token (and fail when the variable
/// is unset), so it and other auth settings leave our own table.
fn codex_text(path: &Path, current: &str, settings: &Settings) -> Result<String, Error> {
    let mut toml = TomlText::parse(current).map_err(|e| toml_error(path, e))?;
    let root = toml.doc.as_table_mut();
    toml_doc::set_string(root, "model", &settings.model);
    toml_doc::set_string(root, "model_provider", PROVIDER_ID);
    if !root.contains_key("model_providers") {
        let mut providers = Table::new();
        providers.set_implicit(true);
        root.insert("model_providers", Item::Table(providers));
    }
    let Some(providers) = root
        .get_mut("model_providers")
        .and_then(Item::as_table_like_mut)
    else {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "`model_providers` is not a table".to_owned(),
        });
    };
    if !providers.get(PROVIDER_ID).is_some_and(Item::is_table_like) {
        providers.insert(PROVIDER_ID, Item::Table(Table::new()));
    }
    let Some(ours) = providers
        .get_mut(PROVIDER_ID)
        .and_then(Item::as_table_like_mut)
    else {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "cannot add the provider table".to_owned(),
        });
    };
    toml_doc::set_string(ours, "name", PROVIDER_NAME);
    toml_doc::set_string(ours, "base_url", &settings.gateway_v1());
    toml_doc::set_string(ours, "wire_api", "responses");
    toml_doc::set_string(ours, "experimental_bearer_token", settings.api_key.expose());
    for competing in ["env_key", "requires_openai_auth", "auth"] {
        ours.remove(competing);
    }
    Ok(toml.render())
}

/// Where a tool's files currently point it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReadBack {
    pub endpoint: Option<String>,
    pub model: Option<String>,
    pub key: Option<String>,
}

/// What the files say, or an error naming a file that cannot be read as its format.
pub(crate) fn read_back(tool: ToolId, files: &[FileText]) -> Result<ReadBack, Error> {
    let text_of = |role: FileRole| {
        files
            .iter()
            .find(|(f, _)| f.role == role)
            .and_then(|(f, t)| t.as_deref().map(|t| (f.path.as_path(), t)))
    };
    let json = |role: FileRole, dialect: Dialect| -> Result<Option<Node>, Error> {
        let Some((path, text)) = text_of(role).filter(|(_, t)| !is_blank(t)) else {
            return Ok(None);
        };
        json_text::parse(text, dialect).map(Some).map_err(|e| {
            let (line, column) = e.line_column(text);
            Error::Malformed {
                path: path.to_path_buf(),
                format: dialect.name(),
                line,
                column,
                message: e.message,
            }
        })
    };
    let owned = |s: Option<&str>| s.map(str::to_owned);
    let found = match tool {
        ToolId::ClaudeCode => {
            json(FileRole::Settings, Dialect::JSON)?.map_or_else(ReadBack::default, |doc| {
                ReadBack {
                    endpoint: owned(doc.str_at(&["env", "ANTHROPIC_BASE_URL"])),
                    model: owned(
                        doc.str_at(&["env", "ANTHROPIC_MODEL"])
                            .or_else(|| doc.str_at(&["model"])),
                    ),
                    key: owned(
                        doc.str_at(&["env", "ANTHROPIC_AUTH_TOKEN"])
                            .or_else(|| doc.str_at(&["env", "ANTHROPIC_API_KEY"])),
                    ),
                }
            })
        }
        ToolId::GeminiCli => {
            let settings = json(FileRole::Settings, Dialect::JSON_WITH_COMMENTS)?;
            let env = text_of(FileRole::Env).map(|(_, t)| t).unwrap_or_default();
            ReadBack {
                endpoint: dotenv::get(env, "GOOGLE_GEMINI_BASE_URL"),
                model: settings
                    .as_ref()
                    .and_then(|s| owned(s.str_at(&["model", "name"]))),
                key: dotenv::get(env, "GEMINI_API_KEY"),
            }
        }
        ToolId::OpenClaw => {
            json(FileRole::Settings, Dialect::JSON5)?.map_or_else(ReadBack::default, |doc| {
                let primary = doc
                    .str_at(&["agents", "defaults", "model", "primary"])
                    .or_else(|| doc.str_at(&["agents", "defaults", "model"]));
                provider_model(
                    &doc,
                    primary,
                    &["models", "providers"],
                    &["baseUrl"],
                    &["apiKey"],
                )
            })
        }
        ToolId::OpenCode => {
            json(FileRole::Settings, Dialect::JSONC)?.map_or_else(ReadBack::default, |doc| {
                provider_model(
                    &doc,
                    doc.str_at(&["model"]),
                    &["provider"],
                    &["options", "baseURL"],
                    &["options", "apiKey"],
                )
            })
        }
        ToolId::Codex => match text_of(FileRole::Settings) {
            Some((path, text)) => {
                let toml = TomlText::parse(text).map_err(|e| toml_error(path, e))?;
                let provider = toml_doc::str_at(&toml.doc, &["model_provider"]);
                let field = |name: &str| {
                    provider
                        .and_then(|p| toml_doc::str_at(&toml.doc, &["model_providers", p, name]))
                };
                ReadBack {
                    endpoint: owned(field("base_url")),
                    model: owned(toml_doc::str_at(&toml.doc, &["model"])),
                    key: owned(field("experimental_bearer_token")),
                }
            }
            None => ReadBack::default(),
        },
        ToolId::Continue => {
            let entry = text_of(FileRole::Settings)
                .and_then(|(_, t)| yaml_list::read(t, "models", "name", PROVIDER_NAME));
            let field = |name: &str| {
                entry
                    .as_ref()
                    .and_then(|e| e.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            };
            ReadBack {
                endpoint: field("apiBase"),
                model: field("model"),
                key: field("apiKey"),
            }
        }
        ToolId::Cline | ToolId::RooCode | ToolId::Cursor => ReadBack::default(),
    };
    Ok(found)
}

/// A `provider/model` reference resolved through the providers object at `providers`.
fn provider_model(
    doc: &Node,
    reference: Option<&str>,
    providers: &[&str],
    url: &[&str],
    key: &[&str],
) -> ReadBack {
    let Some((provider, model)) = reference.and_then(|r| r.split_once('/')) else {
        return ReadBack {
            model: reference.map(str::to_owned),
            ..ReadBack::default()
        };
    };
    let entry = doc
        .lookup(providers)
        .and_then(|p| p.member(provider))
        .map(|m| &m.value);
    ReadBack {
        endpoint: entry.and_then(|e| e.str_at(url)).map(str::to_owned),
        model: Some(model.to_owned()),
        key: entry.and_then(|e| e.str_at(key)).map(str::to_owned),
    }
}

/// What the user should know about the result, from the tool's documented behaviour.
pub(crate) fn notes(
    tool: ToolId,
    ctx: &Context,
    settings: &Settings,
    files: &[FileText],
) -> Vec<String> {
    let mut notes = Vec::new();
    match tool {
        ToolId::GeminiCli => {
            // A .env file never overrides a variable the process already has.
            for var in ["GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"] {
                if ctx.var(var).is_some() {
                    notes.push(format!(
                        "{var} is set in the environment, and Gemini CLI uses it instead of the one in ~/.gemini/.env."
                    ));
                }
            }
            // Gemini CLI 0.61 loads ~/.gemini/.env only in a trusted folder, and only when no
            // .env of the project (in the folder or a parent) comes first.
            notes.push(
                "Gemini CLI reads ~/.gemini/.env only in folders you trust, and a project's own .env takes its place; \
                 elsewhere use `omniroute run gemini-cli`."
                    .to_owned(),
            );
            if !settings.gateway_root().starts_with("https://")
                && !is_loopback(&settings.gateway_root())
            {
                notes.push("Gemini CLI accepts a plain-HTTP base URL only on localhost; use an https:// gateway address.".to_owned());
            }
        }
        ToolId::ClaudeCode => {
            let settings_json = files
                .iter()
                .find(|(f, _)| f.role == FileRole::Settings)
                .and_then(|(_, t)| t.as_deref())
                .and_then(|t| json_text::parse(t, Dialect::JSON).ok());
            if let Some(doc) = settings_json {
                if doc.lookup(&["env", "ANTHROPIC_API_KEY"]).is_some() {
                    notes.push("settings.json also sets ANTHROPIC_API_KEY, which Claude Code reports as an auth conflict; remove it.".to_owned());
                }
                if doc.lookup(&["apiKeyHelper"]).is_some() {
                    notes.push("settings.json has an apiKeyHelper, whose key Claude Code sends instead of the gateway key.".to_owned());
                }
            }
        }
        _ => {}
    }
    notes
}
