//! A real `redis-server` for the tests of what several processes share:
//! started on a free loopback port, stopped when dropped. By default it
//! saves nothing; a durable one writes every change to its append-only
//! file before answering, and survives a `kill -9`.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    child: Child,
    /// Where a durable one keeps its append-only file.
    durable_dir: Option<std::path::PathBuf>,
    /// Settings given on its command line, kept for a restart.
    settings: Vec<String>,
    /// `redis://127.0.0.1:<port>/`.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl RedisServer {
    /// Starts one; panics with what to install when `redis-server` is not
    /// there (Debian: `apt-get install redis-server`; CI installs it).
    pub fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::start_on(port)
    }

    /// Starts one on `port` (a restart keeps the port).
    pub fn start_on(port: u16) -> RedisServer {
        Self::spawn(port, None, Vec::new())
    }

    /// Starts one with more settings on its command line
    /// (`["--maxmemory", "100mb"]`).
    pub fn start_with(settings: &[&str]) -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::spawn(port, None, settings.iter().map(|s| s.to_string()).collect())
    }

    /// Starts one that writes every change to an append-only file in `dir`
    /// (`appendfsync always`) before answering.
    pub fn start_durable(dir: &std::path::Path) -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::spawn(port, Some(dir.to_path_buf()), Vec::new())
    }

    /// Kills it (SIGKILL) and starts it again on the same port, with what
    /// it had written to disk.
    pub fn restart(&mut self) {
        self.kill();
        let durable_dir = self.durable_dir.take();
        let settings = std::mem::take(&mut self.settings);
        *self = Self::spawn(self.port, durable_dir, settings);
    }

    fn spawn(
        port: u16,
        durable_dir: Option<std::path::PathBuf>,
        settings: Vec<String>,
    ) -> RedisServer {
        let mut command = Command::new("redis-server");
        command.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ]);
        match &durable_dir {
            Some(dir) => command
                .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
                .arg(dir),
            None => command.args(["--appendonly", "no"]),
        };
        command.args(&settings);
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting redis-server ({e}): install it (Debian: apt-get install redis-server)")
            });
        let started = Instant::now();
        while !answers_ping(port) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "redis-server did not answer on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            child,
            durable_dir,
            settings,
            url: format!("redis://127.0.0.1:{port}/"),
            port,
        }
    }

    /// How many clients are connected to it (`CLIENT LIST`), this question's
    /// own connection not counted.
    pub fn clients(&self) -> usize {
        use std::io::{BufRead, BufReader, Read, Write};
        let mut socket = TcpStream::connect(("127.0.0.1", self.port)).expect("connecting to Redis");
        let _ = socket.set_read_timeout(Some(Duration::from_secs(10)));
        socket.write_all(b"CLIENT LIST\r\n").expect("asking Redis");
        let mut reader = BufReader::new(socket);
        let mut head = String::new();
        reader.read_line(&mut head).expect("Redis answers");
        let length: usize = head
            .trim()
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("CLIENT LIST answered {head:?}"));
        let mut list = vec![0u8; length];
        reader.read_exact(&mut list).expect("the list");
        String::from_utf8_lossy(&list)
            .lines()
            .count()
            .saturating_sub(1)
    }

    /// Freezes it (SIGSTOP): its connections stay open and nothing answers,
    /// as a stalled server or a half-open connection looks to a client.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "kill {signal} redis-server");
    }

    /// Stops it at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // A paused server takes SIGKILL too.
        self.kill();
    }
}

/// Whether a server on `port` answers `PING` (it accepts connections
/// before it has loaded its append-only file, and answers `LOADING` then).
fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut socket) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = socket.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; 7];
    socket.write_all(b"PING\r\n").is_ok()
        && socket.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}
