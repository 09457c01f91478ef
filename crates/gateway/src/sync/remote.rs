//! Where a device group's sealed snapshots live, as this device reaches it: another OmniRoute
//! acting as a hub (`CLOUD_URL=http(s)://host:port`, see `sync_hub.rs`) or a WebDAV folder
//! (`webdav://user:password@host/path`, `webdavs://…` for HTTPS: Nextcloud, a NAS,
//! `rclone serve webdav`). Three operations: list the group's device files, get one, put one.
//! Every request has the client's own timeout; the caller bounds the whole run.

use omniroute_sync::{GroupId, SyncKeys};
use reqwest::{Method, StatusCode};

/// A failed exchange with the hub, worded for the status.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("the sync address is not usable: {0}")]
    Address(String),
    #[error("the hub is unreachable: {0}")]
    Unreachable(String),
    #[error("the hub did not answer in time")]
    Timeout,
    #[error("the hub refused: {status} {message}")]
    Rejected { status: u16, message: String },
    #[error("the hub's answer is unreadable: {0}")]
    Garbage(String),
}

/// The biggest answer read from the hub (a listing or a snapshot).
const MAX_ANSWER: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone)]
enum Kind {
    Hub { token: String },
    WebDav { user: Option<(String, String)> },
}

/// A group's folder on a hub or WebDAV server.
#[derive(Debug, Clone)]
pub struct Remote {
    /// `…/sync/v1/<group>/devices/` (hub) or `<folder>/<group>/devices/` (WebDAV), with `/`.
    devices: reqwest::Url,
    kind: Kind,
}

impl Remote {
    pub fn new(cloud_url: &str, keys: &SyncKeys) -> Result<Self, RemoteError> {
        let group: GroupId = keys.group();
        let raw = cloud_url.trim();
        let (webdav, url) = if let Some(rest) = raw.strip_prefix("webdavs://") {
            (true, format!("https://{rest}"))
        } else if let Some(rest) = raw.strip_prefix("webdav://") {
            (true, format!("http://{rest}"))
        } else {
            (false, raw.to_owned())
        };
        let mut base =
            reqwest::Url::parse(&url).map_err(|e| RemoteError::Address(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(RemoteError::Address(
                "use http(s):// for an OmniRoute hub or webdav(s):// for a WebDAV folder".into(),
            ));
        }
        let user = (!base.username().is_empty()).then(|| {
            (
                percent_decode(base.username()),
                percent_decode(base.password().unwrap_or_default()),
            )
        });
        // Credentials go in a header, never in a URL that could be logged.
        let _ = base.set_username("");
        let _ = base.set_password(None);
        let folder = base.path().trim_end_matches('/').to_owned();
        let path = if webdav {
            format!("{folder}/{group}/devices/")
        } else {
            format!("{folder}/sync/v1/{group}/devices/")
        };
        base.set_path(&path);
        base.set_query(None);
        Ok(Self {
            devices: base,
            kind: if webdav {
                Kind::WebDav { user }
            } else {
                Kind::Hub {
                    token: keys.hub_token(),
                }
            },
        })
    }

    fn request(
        &self,
        client: &reqwest::Client,
        method: Method,
        url: reqwest::Url,
    ) -> reqwest::RequestBuilder {
        let request = client.request(method, url);
        match &self.kind {
            Kind::Hub { token } => request.bearer_auth(token),
            Kind::WebDav {
                user: Some((user, password)),
            } => request.basic_auth(user, Some(password)),
            Kind::WebDav { user: None } => request,
        }
    }

    fn file(&self, name: &str) -> Result<reqwest::Url, RemoteError> {
        self.devices
            .join(name)
            .map_err(|e| RemoteError::Address(e.to_string()))
    }

    /// The file names in the group's devices folder; none when the group is new.
    pub async fn list(&self, client: &reqwest::Client) -> Result<Vec<String>, RemoteError> {
        twice(|| self.list_once(client)).await
    }

    async fn list_once(&self, client: &reqwest::Client) -> Result<Vec<String>, RemoteError> {
        match &self.kind {
            Kind::Hub { .. } => {
                let response =
                    send(self.request(client, Method::GET, self.devices.clone())).await?;
                if response.status() == StatusCode::NOT_FOUND {
                    return Ok(Vec::new());
                }
                let body = read(check(response).await?).await?;
                #[derive(serde::Deserialize)]
                struct Listing {
                    files: Vec<Listed>,
                }
                #[derive(serde::Deserialize)]
                struct Listed {
                    name: String,
                }
                let listing: Listing = serde_json::from_slice(&body)
                    .map_err(|e| RemoteError::Garbage(e.to_string()))?;
                Ok(listing.files.into_iter().map(|f| f.name).collect())
            }
            Kind::WebDav { .. } => {
                let propfind = Method::from_bytes(b"PROPFIND")
                    .map_err(|e| RemoteError::Address(e.to_string()))?;
                let response = send(
                    self.request(client, propfind, self.devices.clone())
                        .header("Depth", "1")
                        .header("Content-Type", "application/xml")
                        .body(PROPFIND_BODY),
                )
                .await?;
                if response.status() == StatusCode::NOT_FOUND {
                    return Ok(Vec::new());
                }
                let body = read(check(response).await?).await?;
                let text = String::from_utf8(body.to_vec())
                    .map_err(|_| RemoteError::Garbage("the listing is not UTF-8".into()))?;
                Ok(hrefs(&text)
                    .into_iter()
                    .filter_map(|href| {
                        let name = percent_decode(href.trim_end_matches('/').rsplit('/').next()?);
                        (!href.ends_with('/') && !name.is_empty()).then_some(name)
                    })
                    .collect())
            }
        }
    }

    pub async fn get(
        &self,
        client: &reqwest::Client,
        name: &str,
    ) -> Result<bytes::Bytes, RemoteError> {
        twice(|| async {
            let response = send(self.request(client, Method::GET, self.file(name)?)).await?;
            read(check(response).await?).await
        })
        .await
    }

    /// Replaces the file `name` (creating the group's folders on WebDAV first).
    pub async fn put(
        &self,
        client: &reqwest::Client,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<(), RemoteError> {
        twice(|| self.put_once(client, name, bytes.clone())).await
    }

    async fn put_once(
        &self,
        client: &reqwest::Client,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<(), RemoteError> {
        if let Kind::WebDav { .. } = self.kind {
            self.make_folders(client).await?;
        }
        let response = send(
            self.request(client, Method::PUT, self.file(name)?)
                .header("Content-Type", "application/octet-stream")
                .body(bytes),
        )
        .await?;
        check(response).await.map(|_| ())
    }

    /// MKCOL of the sync folder, the group's and its devices folder; "already there" is fine.
    async fn make_folders(&self, client: &reqwest::Client) -> Result<(), RemoteError> {
        let mkcol =
            Method::from_bytes(b"MKCOL").map_err(|e| RemoteError::Address(e.to_string()))?;
        let up = |levels: &str| {
            self.devices
                .join(levels)
                .map_err(|e| RemoteError::Address(e.to_string()))
        };
        // The user's folder, the group's, the devices'; outermost first.
        for folder in [up("../..")?, up("..")?, self.devices.clone()] {
            let response = send(self.request(client, mkcol.clone(), folder)).await?;
            let status = response.status();
            // 405: it exists (RFC 4918); 201: made.
            if !(status.is_success() || status == StatusCode::METHOD_NOT_ALLOWED) {
                return check(response).await.map(|_| ());
            }
        }
        Ok(())
    }
}

/// One more try after a broken connection: a pooled keep-alive connection the server has just
/// closed fails the first request on it, and that is no reason to fail the run.
async fn twice<T, F, Fut>(attempt: F) -> Result<T, RemoteError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, RemoteError>>,
{
    match attempt().await {
        Err(RemoteError::Unreachable(_)) => attempt().await,
        done => done,
    }
}

const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>"#;

async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, RemoteError> {
    request.send().await.map_err(|e| {
        if e.is_timeout() {
            RemoteError::Timeout
        } else {
            RemoteError::Unreachable(describe(&e))
        }
    })
}

/// What broke: reqwest's own message hides the cause in its sources.
fn describe(e: &reqwest::Error) -> String {
    // The address is the hub's, known to the user; the message stays short without it.
    let mut reason = e.to_string();
    if let Some(start) = reason.find(" for url (") {
        reason.truncate(start);
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        reason = format!("{reason}: {inner}");
        source = inner.source();
    }
    reason
}

async fn check(response: reqwest::Response) -> Result<reqwest::Response, RemoteError> {
    let status = response.status();
    if status.is_success() || status == StatusCode::MULTI_STATUS {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    let message: String = body.chars().take(200).collect();
    Err(RemoteError::Rejected {
        status: status.as_u16(),
        message,
    })
}

/// The body, refusing more than [`MAX_ANSWER`] bytes.
async fn read(mut response: reqwest::Response) -> Result<bytes::Bytes, RemoteError> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        if e.is_timeout() {
            RemoteError::Timeout
        } else {
            RemoteError::Unreachable(e.to_string())
        }
    })? {
        if out.len() + chunk.len() > MAX_ANSWER {
            return Err(RemoteError::Garbage(format!(
                "more than {MAX_ANSWER} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.into())
}

/// The `href` values of a WebDAV multistatus answer, whatever the namespace prefix.
fn hrefs(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        let local = tag.rsplit(':').next().unwrap_or(tag);
        if local.eq_ignore_ascii_case("href") && !tag.starts_with('/') {
            if let Some(end) = rest.find('<') {
                out.push(xml_unescape(rest[..end].trim()));
            }
        }
    }
    out
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webdav_listings_name_their_files_whatever_the_prefix() {
        let xml = r#"<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">
            <D:response><D:href>/dav/g/devices/</D:href></D:response>
            <D:response><D:href>/dav/g/devices/ab%20c.snapshot</D:href></D:response>
            <response xmlns="DAV:"><href>http://h/dav/g/devices/x.snapshot</href></response>
            </D:multistatus>"#;
        let names: Vec<String> = hrefs(xml)
            .into_iter()
            .filter(|h| !h.ends_with('/'))
            .map(|h| percent_decode(h.rsplit('/').next().unwrap()))
            .collect();
        assert_eq!(names, ["ab c.snapshot", "x.snapshot"]);
    }

    #[test]
    fn addresses_pick_the_protocol_and_keep_credentials_out_of_the_url() {
        let keys = SyncKeys::from_passphrase(
            "correct horse battery staple",
            omniroute_sync::KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        let group = keys.group();
        let hub = Remote::new("http://10.0.0.2:20128/", &keys).unwrap();
        assert_eq!(
            hub.devices.as_str(),
            format!("http://10.0.0.2:20128/sync/v1/{group}/devices/")
        );
        let dav = Remote::new(
            "webdavs://me:p%40ss@nas.lan/remote.php/dav/files/me/omniroute",
            &keys,
        )
        .unwrap();
        assert_eq!(
            dav.devices.as_str(),
            format!("https://nas.lan/remote.php/dav/files/me/omniroute/{group}/devices/")
        );
        assert!(
            matches!(&dav.kind, Kind::WebDav { user: Some((u, p)) } if u == "me" && p == "p@ss")
        );
        assert!(Remote::new("ftp://x", &keys).is_err());
    }
}
