//! A simulator as a child process on a free port (the real binary, `--listen 127.0.0.1:0`),
//! for tests that need what only a process has: its own RSS, a `--role`, a kill.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// The simulator process; killed (and reaped) on drop.
pub(crate) struct SimProcess {
    /// The child.
    pub(crate) child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    // Held so that the child never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `simulator --listen 127.0.0.1:0` with `args` and reads the address it prints.
pub(crate) fn start(args: &[&str]) -> SimProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("simulator starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout piped"));
    let mut line = String::new();
    let read = reader.read_line(&mut line);
    let address = line.trim().rsplit("http://").next().unwrap_or_default();
    let base = format!("http://{address}");
    let process = SimProcess {
        child,
        base,
        _stdout: reader,
    };
    assert!(
        read.is_ok() && address.contains(':'),
        "the simulator printed `{line}`, not an address"
    );
    process
}
