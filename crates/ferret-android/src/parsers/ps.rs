//! Process lists (`ps` output of androidqf and of a bugreport). Pure functions; panic-free.
//!
//! Format facts: a header line (`USER PID PPID ... NAME`, or `LABEL USER PID TID ... CMD` in a
//! bugreport's `PROCESSES AND THREADS`); the last header column is the name, the rest of the line
//! after the preceding columns; a leading SELinux label `u:r:...` without a `LABEL` header is
//! tolerated; thread rows (TID != PID) are skipped.

use serde::{Deserialize, Serialize};

/// One running process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// SELinux label, when printed.
    pub label: Option<String>,
    /// User.
    pub user: String,
    /// PID.
    pub pid: u32,
    /// Parent PID.
    pub ppid: Option<u32>,
    /// Process name (brackets of kernel threads removed).
    pub proc_name: String,
}

/// Parses `ps` output (see module docs).
pub fn parse_ps(text: &str) -> Vec<Process> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.is_empty() {
            continue;
        }
        if toks.contains(&"PID") && (toks[0] == "USER" || toks[0] == "LABEL") {
            header = Some(toks.iter().map(|s| s.to_string()).collect());
            continue;
        }
        let Some(h) = &header else { continue };
        let mut toks = toks;
        let mut label = None;
        if h.first().is_some_and(|c| c != "LABEL") && toks.first().is_some_and(|t| t.starts_with("u:")) {
            label = Some(toks.remove(0).to_string());
        }
        let col = |name: &str| h.iter().position(|c| c == name);
        let get = |name: &str| col(name).and_then(|i| toks.get(i).copied());
        if label.is_none() {
            label = get("LABEL").map(str::to_string);
        }
        let Some(pid) = get("PID").and_then(|p| p.parse::<u32>().ok()) else { continue };
        if let Some(tid) = get("TID").and_then(|p| p.parse::<u32>().ok())
            && tid != pid
        {
            continue;
        }
        let name_idx = h.len().saturating_sub(1);
        if toks.len() <= name_idx {
            // missing WCHAN-like column: the name is the last token
            if toks.len() < 3 {
                continue;
            }
        }
        let name = if toks.len() > name_idx {
            toks[name_idx..].join(" ")
        } else {
            toks.last().map(|s| s.to_string()).unwrap_or_default()
        };
        let name = name.trim_start_matches('[').trim_end_matches(']').to_string();
        out.push(Process {
            label,
            user: get("USER").unwrap_or("").to_string(),
            pid,
            ppid: get("PPID").and_then(|p| p.parse().ok()),
            proc_name: name,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_forms() {
        let a = "USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot 1 0 100 10 0 0 S init\nu0_a1 200 1 1 1 0 0 S com.spy:remote\nu:r:untrusted_app:s0 u0_a2 201 1 1 1 0 0 S com.x\n";
        let p = parse_ps(a);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].proc_name, "com.spy:remote");
        assert_eq!(p[2].label.as_deref(), Some("u:r:untrusted_app:s0"));
        let b = "LABEL USER PID TID PPID VSZ RSS WCHAN ADDR S CMD\nu:r:init:s0 root 1 1 0 1 1 0 0 S init\nu:r:init:s0 root 1 2 0 1 1 0 0 S thread\n";
        let p = parse_ps(b);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].label.as_deref(), Some("u:r:init:s0"));
        assert!(parse_ps("no header\n1 2 3").is_empty());
    }
}
