//! The tools as data: names, executables, npm packages (for the version), editor extensions,
//! whether files configure them, and where their files are on each OS (with the variables that
//! move them: `CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GEMINI_CLI_HOME`, `OPENCLAW_CONFIG_PATH`,
//! `OPENCLAW_STATE_DIR`, `XDG_CONFIG_HOME`, `CONTINUE_GLOBAL_DIR`, `APPDATA`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::Error;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
pub enum ToolId {
    #[serde(rename = "claude-code")]
    ClaudeCode,
    #[serde(rename = "codex")]
    Codex,
    #[serde(rename = "gemini-cli")]
    GeminiCli,
    #[serde(rename = "openclaw")]
    OpenClaw,
    #[serde(rename = "opencode")]
    OpenCode,
    #[serde(rename = "continue")]
    Continue,
    #[serde(rename = "cline")]
    Cline,
    #[serde(rename = "roo-code")]
    RooCode,
    #[serde(rename = "cursor")]
    Cursor,
}

impl ToolId {
    pub const ALL: [ToolId; 9] = [
        Self::ClaudeCode,
        Self::Codex,
        Self::GeminiCli,
        Self::OpenClaw,
        Self::OpenCode,
        Self::Continue,
        Self::Cline,
        Self::RooCode,
        Self::Cursor,
    ];

    /// The id in URLs and on the command line (`claude-code`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeCode => "claude-code",
            Self::Codex => "codex",
            Self::GeminiCli => "gemini-cli",
            Self::OpenClaw => "openclaw",
            Self::OpenCode => "opencode",
            Self::Continue => "continue",
            Self::Cline => "cline",
            Self::RooCode => "roo-code",
            Self::Cursor => "cursor",
        }
    }

    pub(crate) fn spec(self) -> &'static ToolSpec {
        // TOOLS lists every id once (a test checks), so the fallback is never taken.
        TOOLS
            .iter()
            .find(|spec| spec.id == self)
            .unwrap_or(&TOOLS[0])
    }

    pub fn display_name(self) -> &'static str {
        self.spec().name
    }
}

impl fmt::Display for ToolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ToolId {
    type Err = Error;

    /// The id, or the name of the tool's command (`claude`, `gemini`) as `omniroute run` takes it.
    fn from_str(s: &str) -> Result<Self, Error> {
        let by_command = match s {
            "claude" => Some(Self::ClaudeCode),
            "gemini" => Some(Self::GeminiCli),
            "roo" => Some(Self::RooCode),
            _ => None,
        };
        by_command
            .or_else(|| Self::ALL.into_iter().find(|t| t.as_str() == s))
            .ok_or_else(|| Error::UnknownTool(s.to_owned()))
    }
}

/// How a tool is pointed at the gateway.
pub(crate) enum Setup {
    /// Apply edits its config files.
    Files,
    /// Its settings live in an editor's application state: the user types them in.
    Manual { place: &'static str },
}

pub(crate) struct ToolSpec {
    pub id: ToolId,
    pub name: &'static str,
    pub executables: &'static [&'static str],
    /// npm packages whose `package.json` beside the executable gives the version.
    pub npm_packages: &'static [&'static str],
    /// Editor extension directory prefixes (`publisher.name-`); the rest of the name is the version.
    pub extensions: &'static [&'static str],
    pub setup: Setup,
}

pub(crate) const TOOLS: [ToolSpec; 9] = [
    ToolSpec {
        id: ToolId::ClaudeCode,
        name: "Claude Code",
        executables: &["claude"],
        npm_packages: &["@anthropic-ai/claude-code"],
        extensions: &[],
        setup: Setup::Files,
    },
    ToolSpec {
        id: ToolId::Codex,
        name: "Codex CLI",
        executables: &["codex"],
        npm_packages: &["@openai/codex"],
        extensions: &[],
        setup: Setup::Files,
    },
    ToolSpec {
        id: ToolId::GeminiCli,
        name: "Gemini CLI",
        executables: &["gemini"],
        npm_packages: &["@google/gemini-cli"],
        extensions: &[],
        setup: Setup::Files,
    },
    ToolSpec {
        id: ToolId::OpenClaw,
        name: "OpenClaw",
        executables: &["openclaw"],
        npm_packages: &["openclaw"],
        extensions: &[],
        setup: Setup::Files,
    },
    ToolSpec {
        id: ToolId::OpenCode,
        name: "opencode",
        executables: &["opencode"],
        npm_packages: &["opencode-ai"],
        extensions: &[],
        setup: Setup::Files,
    },
    ToolSpec {
        id: ToolId::Continue,
        name: "Continue",
        executables: &["cn"],
        npm_packages: &["@continuedev/cli"],
        extensions: &["continue.continue-"],
        setup: Setup::Files,
    },
    ToolSpec {
        id: ToolId::Cline,
        name: "Cline",
        executables: &[],
        npm_packages: &[],
        extensions: &["saoudrizwan.claude-dev-"],
        setup: Setup::Manual {
            place: "the Cline panel → Settings (gear) → API Provider",
        },
    },
    ToolSpec {
        id: ToolId::RooCode,
        name: "Roo Code",
        executables: &[],
        npm_packages: &[],
        extensions: &["rooveterinaryinc.roo-cline-"],
        setup: Setup::Manual {
            place: "the Roo Code panel → Settings → Providers",
        },
    },
    ToolSpec {
        id: ToolId::Cursor,
        name: "Cursor",
        executables: &["cursor"],
        npm_packages: &[],
        extensions: &[],
        setup: Setup::Manual {
            place: "Cursor Settings → Models → API Keys (OpenAI API Key, Override OpenAI Base URL)",
        },
    },
];

/// What a config file is to its tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum FileRole {
    /// The settings file Apply edits.
    Settings,
    /// A `.env` file Apply edits (Gemini CLI's key and base URL).
    Env,
    /// An older file the tool still reads; looked at, never written.
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigFile {
    pub role: FileRole,
    pub path: PathBuf,
}

fn file(role: FileRole, path: PathBuf) -> ConfigFile {
    ConfigFile { role, path }
}

/// The tool's directory of user configuration (its existence means the tool was used here).
fn config_dir(ctx: &Context, tool: ToolId) -> Option<PathBuf> {
    Some(match tool {
        ToolId::ClaudeCode => ctx.dir_from("CLAUDE_CONFIG_DIR", &[".claude"]),
        ToolId::Codex => ctx.dir_from("CODEX_HOME", &[".codex"]),
        ToolId::GeminiCli => ctx.dir_from("GEMINI_CLI_HOME", &[]).join(".gemini"),
        ToolId::OpenClaw => match ctx.var("OPENCLAW_CONFIG_PATH") {
            Some(path) => PathBuf::from(path).parent()?.to_path_buf(),
            None => ctx.dir_from("OPENCLAW_STATE_DIR", &[".openclaw"]),
        },
        ToolId::OpenCode => ctx.xdg_config_home().join("opencode"),
        ToolId::Continue => ctx.dir_from("CONTINUE_GLOBAL_DIR", &[".continue"]),
        ToolId::Cursor => ctx.app_config_dir().join("Cursor"),
        ToolId::Cline | ToolId::RooCode => return None,
    })
}

/// The tool's config files, the ones Apply writes first.
pub(crate) fn config_files(ctx: &Context, tool: ToolId) -> Vec<ConfigFile> {
    let Some(dir) = config_dir(ctx, tool) else {
        return Vec::new();
    };
    match tool {
        ToolId::ClaudeCode => vec![file(FileRole::Settings, dir.join("settings.json"))],
        ToolId::Codex => vec![file(FileRole::Settings, dir.join("config.toml"))],
        ToolId::GeminiCli => {
            vec![
                file(FileRole::Settings, dir.join("settings.json")),
                file(FileRole::Env, dir.join(".env")),
            ]
        }
        ToolId::OpenClaw => {
            let path = ctx
                .var("OPENCLAW_CONFIG_PATH")
                .map_or_else(|| dir.join("openclaw.json"), PathBuf::from);
            vec![file(FileRole::Settings, path)]
        }
        // opencode reads both; the JSONC one when it is there.
        ToolId::OpenCode => {
            let jsonc = dir.join("opencode.jsonc");
            let path = if jsonc.exists() {
                jsonc
            } else {
                dir.join("opencode.json")
            };
            vec![file(FileRole::Settings, path)]
        }
        // Continue loads config.yaml instead of config.json when both exist.
        ToolId::Continue => {
            vec![
                file(FileRole::Settings, dir.join("config.yaml")),
                file(FileRole::Legacy, dir.join("config.json")),
            ]
        }
        ToolId::Cline | ToolId::RooCode | ToolId::Cursor => Vec::new(),
    }
}

/// Directories whose presence shows the tool is installed or was used.
pub(crate) fn presence_dirs(ctx: &Context, tool: ToolId) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = config_dir(ctx, tool).into_iter().collect();
    if tool == ToolId::Cursor {
        dirs.push(ctx.home.join(".cursor"));
    }
    dirs
}

/// Where editors keep their extensions: VS Code (stable, Insiders, remote server, OSS builds),
/// Cursor and Windsurf.
pub(crate) fn extension_roots(ctx: &Context) -> Vec<PathBuf> {
    [
        ".vscode",
        ".vscode-insiders",
        ".vscode-server",
        ".vscode-oss",
        ".cursor",
        ".windsurf",
    ]
    .iter()
    .map(|editor| ctx.home.join(editor).join("extensions"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_one_spec_and_parses_back() {
        for tool in ToolId::ALL {
            assert_eq!(TOOLS.iter().filter(|s| s.id == tool).count(), 1);
            assert_eq!(tool.spec().id, tool);
            assert_eq!(tool.as_str().parse::<ToolId>().unwrap(), tool);
            assert_eq!(serde_json::to_string(&tool).unwrap(), format!("\"{tool}\""));
        }
        assert_eq!("claude".parse::<ToolId>().unwrap(), ToolId::ClaudeCode);
        assert!("vim".parse::<ToolId>().is_err());
    }
}
