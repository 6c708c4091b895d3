//! HTTP details every connector's transport shares.

use std::time::{Duration, SystemTime};

use reqwest::RequestBuilder;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};

/// `Retry-After` in seconds or as an HTTP date; `None` when absent or unreadable.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// `request` with a JSON body already encoded (calls are encoded once and sent per attempt).
pub fn json_body(request: RequestBuilder, body: Option<&[u8]>) -> RequestBuilder {
    match body {
        Some(body) => request
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec()),
        None => request,
    }
}

/// Percent-encodes one path segment (document numbers, slugs and ids come from outside).
pub fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Ok(v) = retry_after.parse() {
            map.insert(RETRY_AFTER, v);
        }
        map
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(
            parse_retry_after(&headers("7")),
            Some(Duration::from_secs(7))
        );
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let wait = parse_retry_after(&headers(&in_a_minute)).unwrap_or_default();
        assert!(wait > Duration::from_secs(55) && wait <= Duration::from_secs(60));
        assert_eq!(parse_retry_after(&headers("soon")), None);
        assert_eq!(parse_retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(path_segment("SO-100001"), "SO-100001");
        assert_eq!(path_segment("SO/1 2"), "SO%2F1%202");
        assert_eq!(path_segment("SO 12/3"), "SO%2012%2F3");
        assert_eq!(path_segment("trade-gbp_1.x~"), "trade-gbp_1.x~");
    }
}
