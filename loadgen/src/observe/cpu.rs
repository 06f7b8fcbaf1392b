//! loadgen's own CPU use, read from `/proc/self/stat` (Linux; `None` elsewhere).

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on every Linux ABI).
const TICKS_PER_S: f64 = 100.0;

/// CPU seconds (user + system) this process has used so far.
pub fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / TICKS_PER_S)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::process_cpu_s().is_some_and(|s| s >= 0.0));
        }
    }
}
