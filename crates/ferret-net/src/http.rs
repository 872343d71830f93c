//! HTTP/1 request head: the request line, `Host` and `User-Agent`, from the start of a client's
//! reassembled byte stream (at most [`MAX_HEAD`] bytes are looked at).

/// Largest request head read.
pub const MAX_HEAD: usize = 8 << 10;

const METHODS: [&[u8]; 9] =
    [b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"TRACE "];

/// An HTTP request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Request target as sent (`/path?q`, or an absolute URL through a proxy).
    pub target: String,
    /// `Host` header, if any.
    pub host: Option<String>,
    /// `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

/// Result of reading a request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// A valid prefix: more bytes needed.
    NeedMore,
    /// Not an HTTP/1 request.
    NotHttp,
    /// A request.
    Parsed(Request),
}

/// Whether `data` could be the start of an HTTP request (a method prefix).
pub fn looks_like_request(data: &[u8]) -> bool {
    METHODS.iter().any(|m| data.starts_with(m) || (data.len() < m.len() && m.starts_with(data)))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().take(2048).collect()
}

/// Reads the request head at the start of `data`.
pub fn read_request(data: &[u8]) -> Head {
    if !looks_like_request(data) {
        return Head::NotHttp;
    }
    let data = data.get(..MAX_HEAD).unwrap_or(data);
    let Some(end) = memchr_crlf(data) else {
        return if data.len() >= MAX_HEAD { Head::NotHttp } else { Head::NeedMore };
    };
    let line = data.get(..end).unwrap_or_default();
    let mut parts = line.split(|b| *b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Head::NotHttp;
    };
    if !version.starts_with(b"HTTP/1.") || target.is_empty() {
        return Head::NotHttp;
    }
    let mut req = Request { method: text(method), target: text(target), host: None, user_agent: None };
    let mut rest = data.get(end + 2..).unwrap_or_default();
    loop {
        let Some(e) = memchr_crlf(rest) else {
            // headers cut by the capture or the bound: keep what was read if Host is known
            return if req.host.is_some() || data.len() >= MAX_HEAD { Head::Parsed(req) } else { Head::NeedMore };
        };
        let h = rest.get(..e).unwrap_or_default();
        if h.is_empty() {
            return Head::Parsed(req);
        }
        if let Some(colon) = h.iter().position(|b| *b == b':') {
            let (name, value) = (h.get(..colon).unwrap_or_default(), h.get(colon + 1..).unwrap_or_default());
            let value = text(value).trim().to_string();
            if name.eq_ignore_ascii_case(b"host") && req.host.is_none() {
                req.host = Some(value);
            } else if name.eq_ignore_ascii_case(b"user-agent") && req.user_agent.is_none() {
                req.user_agent = Some(value);
            }
        }
        rest = rest.get(e + 2..).unwrap_or_default();
    }
}

fn memchr_crlf(d: &[u8]) -> Option<usize> {
    d.windows(2).position(|w| w == b"\r\n")
}

impl Request {
    /// The absolute URL: the target when it is absolute, else `http://<host><target>` (`None`
    /// without a Host).
    pub fn url(&self) -> Option<String> {
        if self.target.starts_with("http://") || self.target.starts_with("https://") {
            return Some(self.target.clone());
        }
        let host = self.host.as_deref()?;
        if self.method == "CONNECT" {
            return Some(format!("https://{}", self.target));
        }
        Some(format!("http://{host}{}", self.target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_head_prefixes_and_refusals() {
        let req = b"GET /a/b?c=1 HTTP/1.1\r\nUser-Agent: x/1\r\nHost: Example.org\r\n\r\nbody";
        let Head::Parsed(r) = read_request(req) else { panic!("not parsed") };
        assert_eq!(r.host.as_deref(), Some("Example.org"));
        assert_eq!(r.user_agent.as_deref(), Some("x/1"));
        assert_eq!(r.url().as_deref(), Some("http://Example.org/a/b?c=1"));
        // every prefix before the Host line is complete needs more
        let host_end = req.windows(2).enumerate().filter(|(_, w)| *w == b"\r\n").nth(2).map(|(i, _)| i).expect("crlf");
        for n in 0..host_end {
            assert_eq!(read_request(&req[..n]), Head::NeedMore, "prefix {n}");
        }
        assert_eq!(read_request(b"\x16\x03\x01"), Head::NotHttp);
        assert_eq!(read_request(b"GET /x FTP/1\r\n\r\n"), Head::NotHttp);
        // a request line longer than the bound is not read
        let mut long = b"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        assert_eq!(read_request(&long), Head::NotHttp);
    }
}
