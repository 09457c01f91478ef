//! Real database servers for the tests, from Debian's packages: a PostgreSQL cluster and a
//! Redis server of their own, on loopback, on a free port, in a temporary directory that goes
//! with them. Never the machine's own servers. Both are killed when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited ({status}) before listening: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The newest installed PostgreSQL's `bin` directory (`/usr/lib/postgresql/<v>/bin`).
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL is not installed (Debian package postgresql; scripts/test.sh installs it)",
        )
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no PostgreSQL version under /usr/lib/postgresql")
        .1
}

/// PostgreSQL refuses to run as root: as root, the server runs as the `postgres` account the
/// package creates.
fn as_server_user(program: &Path, dir: &Path) -> Command {
    if running_as_root() {
        std::process::Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .unwrap();
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=postgres", "--regid=postgres", "--clear-groups"])
            .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL cluster of the test's own.
pub struct Postgres {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Postgres {
    /// `initdb` into a temporary directory (trust on loopback, no fsync: scratch data), then
    /// the server on a free loopback port.
    pub fn start() -> Self {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new()
            .prefix("omniroute-pg")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        std::fs::create_dir(&data).unwrap();
        let out = as_server_user(&bin.join("initdb"), dir.path())
            .args([
                "-A",
                "trust",
                "-U",
                "omniroute",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = as_server_user(&bin.join("postgres"), dir.path())
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=300"])
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap();
        wait_for_port(port, "postgres", &mut child, &log);
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    /// The server's own `postgres` database: where new databases are created from.
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://omniroute@127.0.0.1:{}/{database}", self.port)
    }

    /// A new empty database, for one test or one group of gateways.
    pub async fn database(&self) -> String {
        create_database(&self.admin_url()).await
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a database with a fresh name on the server of `admin_url` (a URL whose path names
/// an existing database) and returns its URL.
pub async fn create_database(admin_url: &str) -> String {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let name: String = std::iter::once("t_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    let mut conn = sqlx::AnyConnection::connect(admin_url).await.unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

/// A Redis server of the test's own: no persistence, loopback only. Can be killed and
/// started again on the same port (`stop`, `restart`).
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl Redis {
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("omniroute-redis")
            .tempdir()
            .unwrap();
        let mut redis = Self {
            child: None,
            port: free_port(),
            dir,
        };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once (SIGKILL): what a crash looks like to clients.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on its port, empty.
    pub fn restart(&mut self) {
        self.stop();
        let log = self.dir.path().join("redis.log");
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "yes"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not installed (Debian package redis-server; scripts/test.sh installs it)");
        wait_for_port(self.port, "redis-server", &mut child, &log);
        self.child = Some(child);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
