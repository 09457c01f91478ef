//! A connection test: the smallest real chat request ("ping", one output token) through a
//! target, timed, with the upstream's own status and message when it fails.

use omniroute_formats::ir::{Message, Part, Request, Role};

use crate::adapter::{ChatBody, adapter_for, unsupported};
use crate::error::UpstreamError;
use crate::http::Upstream;
use crate::outbound::Clients;
use crate::target::{Operation, Target};

/// The outcome of `probe`: how long a minimal request took, or why it failed.
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct ProbeResult {
    pub ok: bool,
    pub model: String,
    pub latency_ms: u64,
    pub status: Option<u16>,
    pub error: Option<String>,
}

pub async fn probe(clients: &Clients, target: &Target) -> ProbeResult {
    let started = std::time::Instant::now();
    let outcome = attempt(clients, target).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (ok, status, error) = match outcome {
        Ok(status) => (true, Some(status), None),
        Err((status, error)) => (false, status, Some(error)),
    };
    ProbeResult {
        ok,
        model: target.routed_model(),
        latency_ms,
        status,
        error,
    }
}

async fn attempt(clients: &Clients, target: &Target) -> Result<u16, (Option<u16>, String)> {
    let unsupported = || (None, unsupported(target, Operation::Chat).to_string());
    let format = target.format().ok_or_else(unsupported)?;
    let adapter = adapter_for(None, target, Operation::Chat).ok_or_else(unsupported)?;
    let request = Request {
        model: target.upstream_model.clone(),
        messages: vec![Message {
            role: Role::User,
            parts: vec![Part::Text("ping".into())],
        }],
        max_output_tokens: Some(1),
        ..Default::default()
    };
    let streams = adapter.always_streams(target);
    let chat = ChatBody {
        body: omniroute_formats::encode_request(format, &request),
        request: &request,
        stream: streams,
        forwarded: &[],
    };
    let upstream = Upstream {
        clients,
        target,
        adapter,
        quota: None,
    };
    let failed = |e: UpstreamError| match e {
        UpstreamError::Status { error, .. } => (Some(error.status), error.message),
        other => (None, other.to_string()),
    };
    let prepared = adapter.prepare_chat(target, chat).map_err(failed)?;
    let response = upstream.send(prepared).await.map_err(failed)?;
    let status = response.status().as_u16();
    let bytes = upstream
        .read_body(upstream.chat_answer(response, streams))
        .await
        .map_err(|e| (Some(status), e.to_string()))?;
    let answer = if streams {
        omniroute_formats::fold_stream(format, &bytes).map_err(|e| e.message)
    } else {
        omniroute_formats::decode_response(format, &bytes).map_err(|e| e.to_string())
    };
    answer.map_err(|e| (Some(status), format!("the answer was not valid: {e}")))?;
    Ok(status)
}
