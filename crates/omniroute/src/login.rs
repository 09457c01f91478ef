//! `omniroute login <provider>`: signs an account in through the running gateway's sign-in
//! API, from a terminal — prints the address to open (browser flow), the code to enter (device
//! flow) or the address and then reads the pasted code (paste flow), waits, and says which
//! account was connected. Without a display, the device flow is preferred, then paste.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use omniroute_gateway::Overrides;
use reqwest::Method;
use serde_json::{Value, json};

use crate::remote::Gateway;

#[derive(Debug, Clone, Default)]
pub struct LoginArgs {
    pub provider: String,
    /// `browser`, `device` or `paste`; `None`: chosen for this machine.
    pub flow: Option<String>,
    pub name: Option<String>,
    pub overrides: Overrides,
}

pub fn run(args: &LoginArgs) -> ExitCode {
    match crate::remote::block_on(login(args)) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!(
                "omniroute: sign-in to '{}' failed: {message}",
                args.provider
            );
            ExitCode::FAILURE
        }
    }
}

fn headless() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .all(|v| std::env::var_os(v).is_none_or(|d| d.is_empty()))
        && !cfg!(any(target_os = "macos", target_os = "windows"))
}

async fn start(gateway: &Gateway, args: &LoginArgs, flow: Option<&str>) -> Result<Value, String> {
    let mut body = json!({});
    if let Some(flow) = flow {
        body["flow"] = json!(flow);
    }
    if let Some(name) = &args.name {
        body["name"] = json!(name);
    }
    gateway
        .call(
            Method::POST,
            &format!("/api/oauth/{}/start", args.provider),
            Some(body),
        )
        .await
}

async fn login(args: &LoginArgs) -> Result<String, String> {
    let gateway = Gateway::connect(&args.overrides).await?;
    let started = match args.flow.as_deref() {
        Some(flow) => start(&gateway, args, Some(flow)).await?,
        // No browser here: a code to enter elsewhere, or an address to open elsewhere.
        None if headless() => match start(&gateway, args, Some("device")).await {
            Ok(started) => started,
            Err(_) => start(&gateway, args, Some("paste")).await?,
        },
        None => start(&gateway, args, None).await?,
    };
    let flow_id = started["flowId"].as_str().unwrap_or_default().to_owned();
    let expires = started["expiresIn"].as_u64().unwrap_or(600);
    match started["kind"].as_str() {
        Some("device") => println!(
            "Open {} and enter the code {} (valid for {} min).",
            started["verificationUri"].as_str().unwrap_or("?"),
            started["userCode"].as_str().unwrap_or("?"),
            expires.div_ceil(60)
        ),
        Some("paste") => {
            println!(
                "Open this address in a browser and sign in:\n\n  {}\n",
                started["authUrl"].as_str().unwrap_or("?")
            );
            println!("Then paste the code it shows (or the address the browser ended on) here:");
            let pasted = read_line().await?;
            let body = if pasted.contains("://") {
                json!({"callbackUrl": pasted})
            } else {
                json!({"code": pasted})
            };
            let done = gateway
                .call(
                    Method::POST,
                    &format!("/api/oauth/flows/{flow_id}/complete"),
                    Some(body),
                )
                .await?;
            return outcome(&args.provider, &done);
        }
        _ => println!(
            "Open this address in a browser on this machine to sign in:\n\n  {}\n\nWaiting…",
            started["authUrl"].as_str().unwrap_or("?")
        ),
    }
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let view = gateway
            .call(Method::GET, &format!("/api/oauth/flows/{flow_id}"), None)
            .await?;
        if view["status"] != "pending" {
            return outcome(&args.provider, &view);
        }
    }
}

/// One line from standard input, off the runtime's thread.
async fn read_line() -> Result<String, String> {
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err("nothing was pasted".into());
    }
    Ok(line)
}

fn outcome(provider: &str, view: &Value) -> Result<String, String> {
    match view["status"].as_str() {
        Some("connected") => Ok(format!(
            "Signed in to {provider} as {} (connection {}).",
            view["account"].as_str().unwrap_or("an unnamed account"),
            view["connectionId"].as_str().unwrap_or("?")
        )),
        _ => Err(view["error"]
            .as_str()
            .unwrap_or("the sign-in did not complete")
            .to_owned()),
    }
}
