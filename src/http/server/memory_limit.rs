//! The memory limit this process runs under: its cgroup's (a container's, a Kubernetes pod's
//! `resources.limits.memory`, a systemd unit's `MemoryMax`), so the connection cap can be
//! derived from it. Two small file formats, read once at start; a crate for all of cgroups
//! would bring far more than this needs.
//!
//! cgroup v2: `/proc/self/cgroup` has `0::<path>`, the limit is `memory.max` under
//! `/sys/fs/cgroup<path>` ("max" for none). cgroup v1: the line whose controllers include
//! `memory`, and `memory.limit_in_bytes` under `/sys/fs/cgroup/memory<path>` (a value near
//! 2^63 for none). Inside a container the path is often `/`, and the container's own limit
//! is at the root of what it sees. The lowest limit on the way up counts, as the kernel
//! enforces each of them.

/// The memory limit in bytes, or `None` when there is none (or it cannot be read).
pub fn of_this_process() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    limit_from(&cgroup, |path| std::fs::read_to_string(path).ok())
}

/// v1 writes "no limit" as the largest page-aligned `i64`; anything at or above this is none.
const V1_UNLIMITED: u64 = 1 << 62;

fn limit_from(cgroup: &str, read: impl Fn(&str) -> Option<String>) -> Option<u64> {
    let mut lowest: Option<u64> = None;
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (root, file) = if id == "0" && controllers.is_empty() {
            ("/sys/fs/cgroup", "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
        } else {
            continue;
        };
        for dir in ancestors(path) {
            let Some(text) = read(&format!("{root}{dir}/{file}")) else {
                continue;
            };
            let value = text.trim();
            if let Ok(bytes) = value.parse::<u64>() {
                if bytes < V1_UNLIMITED {
                    lowest = Some(lowest.map_or(bytes, |l| l.min(bytes)));
                }
            }
        }
    }
    lowest
}

/// `/a/b` → `/a/b`, `/a`, `` (the root, written without a trailing slash).
fn ancestors(path: &str) -> Vec<String> {
    let trimmed = path.trim_end_matches('/');
    let mut out = vec![trimmed.to_owned()];
    let mut rest = trimmed;
    while let Some(i) = rest.rfind('/') {
        rest = &rest[..i];
        out.push(rest.to_owned());
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |p| map.get(p).cloned()
    }

    #[test]
    fn a_kubernetes_pod_on_cgroup_v2() {
        // The container's namespace: its own cgroup is the root it sees.
        let read = files(&[("/sys/fs/cgroup/memory.max", "134217728\n")]);
        assert_eq!(limit_from("0::/\n", read), Some(128 * 1024 * 1024));
        let read = files(&[("/sys/fs/cgroup/memory.max", "max\n")]);
        assert_eq!(limit_from("0::/\n", read), None);
    }

    #[test]
    fn a_systemd_unit_and_its_parents_on_cgroup_v2() {
        let read = files(&[
            (
                "/sys/fs/cgroup/system.slice/bridge.service/memory.max",
                "max\n",
            ),
            ("/sys/fs/cgroup/system.slice/memory.max", "268435456\n"),
        ]);
        assert_eq!(
            limit_from("0::/system.slice/bridge.service\n", read),
            Some(256 * 1024 * 1024)
        );
    }

    #[test]
    fn cgroup_v1_and_its_unlimited_value() {
        let cgroup = "9:name=systemd:/\n4:memory:/docker/abc\n2:cpu,cpuacct:/\n";
        let read = files(&[
            (
                "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes",
                "67108864\n",
            ),
            (
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        assert_eq!(limit_from(cgroup, read), Some(64 * 1024 * 1024));
        let read = files(&[(
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        )]);
        assert_eq!(limit_from("4:memory:/\n", read), None);
    }

    #[test]
    fn nothing_readable_is_no_limit() {
        assert_eq!(limit_from("", files(&[])), None);
        assert_eq!(limit_from("garbage\n0::/x\n", files(&[])), None);
    }
}
