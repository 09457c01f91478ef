//! Pointing a tool at the gateway for one run without writing anything (`omniroute run <tool>`,
//! `omniroute env <tool>`): the variables to set and unset, the arguments to put first, and a
//! note when the tool cannot be fully pointed that way.

use std::fmt;

use serde::Serialize;

use crate::configure::{CLAUDE_MODEL_VARS, PROVIDER_ID};
use crate::error::Error;
use crate::secret::mask_secrets;
use crate::settings::{Settings, is_loopback};
use crate::tools::ToolId;

/// The variable that carries the key to Codex when it is launched with `-c` overrides (the key
/// stays out of the command line, which other users can list).
const CODEX_KEY_VAR: &str = "OMNIROUTE_API_KEY";

/// Serialized for the API and read back by `omniroute run`/`env` (the key is in `env`, which
/// is the point: the caller runs the tool with it).
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Launch {
    pub tool: ToolId,
    /// The command to run.
    pub command: String,
    pub env: Vec<(String, String)>,
    /// Variables to remove from the tool's environment.
    pub unset: Vec<String>,
    /// Arguments that go before the user's own.
    pub args_prefix: Vec<String>,
    /// Whether the variables and arguments alone send the tool to the gateway; when not, `note`
    /// says what else it needs.
    pub complete: bool,
    pub note: Option<String>,
    /// A file the launcher writes outside the tool's own configuration (no key in it) and
    /// names in a variable, for what no variable or flag can say.
    #[serde(default)]
    pub side_file: Option<SideFile>,
    #[serde(skip)]
    #[ts(skip)]
    secret: String,
}

/// A small file for one launch: `name` in the launcher's runtime directory, its path in `env`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SideFile {
    /// The variable that gets the file's path.
    pub env: String,
    /// The file's name.
    pub name: String,
    pub content: String,
}

impl fmt::Debug for Launch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<(&str, String)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), mask_secrets(v, &[&self.secret])))
            .collect();
        f.debug_struct("Launch")
            .field("tool", &self.tool)
            .field("command", &self.command)
            .field("env", &env)
            .field("unset", &self.unset)
            .field("args_prefix", &self.args_prefix)
            .field("complete", &self.complete)
            .field("note", &self.note)
            .field("side_file", &self.side_file)
            .finish()
    }
}

/// How to launch `tool` against the gateway with nothing written.
pub fn env_for(tool: ToolId, settings: &Settings) -> Result<Launch, Error> {
    settings.validate()?;
    let root = settings.gateway_root();
    let v1 = settings.gateway_v1();
    let key = settings.api_key.expose();
    let model = settings.model.as_str();
    let var = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let mut launch = Launch {
        tool,
        command: String::new(),
        env: Vec::new(),
        unset: Vec::new(),
        args_prefix: Vec::new(),
        complete: true,
        note: None,
        side_file: None,
        secret: key.to_owned(),
    };
    match tool {
        ToolId::ClaudeCode => {
            launch.command = "claude".to_owned();
            launch.env = vec![
                var("ANTHROPIC_BASE_URL", &root),
                var("ANTHROPIC_AUTH_TOKEN", key),
            ];
            launch
                .env
                .extend(CLAUDE_MODEL_VARS.iter().map(|name| var(name, model)));
            // With both set Claude Code reports an auth conflict.
            launch.unset = vec!["ANTHROPIC_API_KEY".to_owned()];
        }
        // Codex takes any config.toml setting as `-c key=value` (TOML values), before the
        // subcommand; the provider reads its key from the variable named by `env_key`.
        ToolId::Codex => {
            launch.command = "codex".to_owned();
            launch.env = vec![var(CODEX_KEY_VAR, key)];
            let provider = format!(
                "model_providers.{PROVIDER_ID}={{name={}, base_url={}, env_key={}, wire_api={}}}",
                toml_string("OmniRoute"),
                toml_string(&v1),
                toml_string(CODEX_KEY_VAR),
                toml_string("responses")
            );
            launch.args_prefix = [
                "-c",
                &format!("model_provider={}", toml_string(PROVIDER_ID)),
                "-c",
                &provider,
                "-c",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([format!("model={}", toml_string(model))])
            .collect();
        }
        // Gemini CLI 0.61 picks its auth type from settings.json, else from the environment,
        // where GOOGLE_GEMINI_BASE_URL selects a "gateway" type it then refuses (exit 41,
        // "Invalid auth method selected"); no variable or flag selects `gemini-api-key`. Its
        // system settings file, which wins over the user's and whose path
        // GEMINI_CLI_SYSTEM_SETTINGS_PATH names, can: the launcher writes one (no key in it).
        ToolId::GeminiCli => {
            launch.command = "gemini".to_owned();
            launch.env = vec![
                var("GEMINI_API_KEY", key),
                var("GOOGLE_GEMINI_BASE_URL", &root),
                var("GEMINI_MODEL", model),
            ];
            launch.unset = vec![
                "GOOGLE_GENAI_USE_VERTEXAI".to_owned(),
                "GOOGLE_GENAI_USE_GCA".to_owned(),
            ];
            let settings = serde_json::json!({
                "security": { "auth": { "selectedType": "gemini-api-key" } },
                "model": { "name": model },
            });
            launch.side_file = Some(SideFile {
                env: "GEMINI_CLI_SYSTEM_SETTINGS_PATH".to_owned(),
                name: "gemini-cli-settings.json".to_owned(),
                content: format!("{settings:#}\n"),
            });
            let mut note = "For this run Gemini CLI's system settings (normally \
                            /etc/gemini-cli/settings.json) are a file selecting the Gemini API key."
                .to_owned();
            if !root.starts_with("https://") && !is_loopback(&root) {
                launch.complete = false;
                note.push_str(" Gemini CLI accepts a plain-HTTP base URL only on localhost.");
            }
            launch.note = Some(note);
        }
        // opencode merges inline JSON from OPENCODE_CONFIG_CONTENT over its config files.
        ToolId::OpenCode => {
            launch.command = "opencode".to_owned();
            let content = serde_json::json!({
                "provider": { PROVIDER_ID: {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "OmniRoute",
                    "options": { "baseURL": v1, "apiKey": key },
                    "models": { model: {} },
                }},
                "model": format!("{PROVIDER_ID}/{model}"),
            });
            launch.env = vec![var("OPENCODE_CONFIG_CONTENT", &content.to_string())];
        }
        ToolId::OpenClaw => {
            launch.command = "openclaw".to_owned();
            launch.complete = false;
            launch.note = Some(
                "OpenClaw takes its providers from openclaw.json only: apply openclaw instead."
                    .to_owned(),
            );
        }
        ToolId::Continue => {
            launch.command = "cn".to_owned();
            launch.complete = false;
            launch.note = Some(
                "Continue takes its models from config.yaml only: apply continue instead."
                    .to_owned(),
            );
        }
        ToolId::Cline | ToolId::RooCode | ToolId::Cursor => return Err(Error::NoLaunch { tool }),
    }
    Ok(launch)
}

fn toml_string(s: &str) -> String {
    toml_edit::Value::from(s).to_string()
}

/// The shells `shell_exports` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// sh, bash, zsh: `export NAME='value'`
    Posix,
    /// `$env:NAME = 'value'`
    PowerShell,
    /// `set -gx NAME 'value'`
    Fish,
}

impl Launch {
    /// Points the side file's variable at `path`, where the launcher wrote the file.
    pub fn side_file_written(&mut self, path: &std::path::Path) {
        if let Some(file) = &self.side_file {
            self.env
                .push((file.env.clone(), path.display().to_string()));
        }
    }

    /// Lines that set up the current shell like the launch would, then (as comments) the
    /// command line and the note.
    pub fn shell_exports(&self, shell: Shell) -> String {
        let mut out = String::new();
        for name in &self.unset {
            out.push_str(&match shell {
                Shell::Posix => format!("unset {name}\n"),
                Shell::PowerShell => {
                    format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue\n")
                }
                Shell::Fish => format!("set -e {name}\n"),
            });
        }
        for (name, value) in &self.env {
            out.push_str(&match shell {
                Shell::Posix => format!("export {name}={}\n", posix_quote(value)),
                Shell::PowerShell => format!("$env:{name} = '{}'\n", value.replace('\'', "''")),
                Shell::Fish => format!(
                    "set -gx {name} '{}'\n",
                    value.replace('\\', "\\\\").replace('\'', "\\'")
                ),
            });
        }
        if !self.args_prefix.is_empty() {
            let args: Vec<String> = self.args_prefix.iter().map(|a| posix_quote(a)).collect();
            out.push_str(&format!("# run: {} {} …\n", self.command, args.join(" ")));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("# {note}\n"));
        }
        out
    }
}

/// A single-quoted POSIX shell word.
fn posix_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}
