//! Talking to the running gateway from the terminal (`omniroute quota`, `login`, `run`, `env`):
//! where it listens — the same `--port`/`--host` flags and `PORT`/`HOSTNAME` variables as
//! `omniroute serve` — and its management API, with a session when `OMNIROUTE_PASSWORD` is set
//! (a gateway reachable beyond loopback wants one).

use std::time::Duration;

use omniroute_gateway::Overrides;
use serde_json::{Value, json};

pub struct Gateway {
    pub base: String,
    client: reqwest::Client,
    session: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `http://host:port` of the gateway the overrides and environment name.
pub fn base_url(overrides: &Overrides) -> Result<String, String> {
    let port = overrides.port.clone().or_else(|| var("PORT"));
    let port = match port.as_deref().map(str::parse::<u16>) {
        None => 20128,
        Some(Ok(port)) if port > 0 => port,
        Some(_) => return Err("the port must be a number from 1 to 65535".into()),
    };
    let host = overrides
        .host
        .clone()
        .or_else(|| var("HOSTNAME"))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok())
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    let host = match host {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    Ok(format!("http://{host}:{port}"))
}

impl Gateway {
    pub async fn connect(overrides: &Overrides) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let mut gateway = Self {
            base: base_url(overrides)?,
            client,
            session: None,
        };
        if let Some(password) = var("OMNIROUTE_PASSWORD") {
            let session = gateway
                .call(
                    reqwest::Method::POST,
                    "/api/auth/login",
                    Some(json!({"password": password})),
                )
                .await?;
            gateway.session = session["token"].as_str().map(str::to_owned);
        }
        Ok(gateway)
    }

    /// One management call; the API's error message when it refuses.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.session {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_connect() {
                format!(
                    "no gateway answers at {} (is `omniroute serve` running on this port?)",
                    self.base
                )
            } else {
                e.to_string()
            }
        })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == reqwest::StatusCode::UNAUTHORIZED && self.session.is_none() {
            return Err(
                "the gateway wants a dashboard session: set OMNIROUTE_PASSWORD to its password"
                    .into(),
            );
        }
        if !status.is_success() {
            let message = body["error"]["message"].as_str().unwrap_or("refused");
            return Err(format!("{status}: {message}"));
        }
        Ok(body)
    }
}

/// Runs a terminal command's work on a small runtime of its own.
pub fn block_on<T>(
    work: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(work)
}
