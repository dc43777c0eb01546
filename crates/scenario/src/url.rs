//! Target URLs: `http(s)://host[:port]/…` or `builtin:NAME[/path]`, checked before anything is
//! sent (a port must be 1 to 65535: `:70000` is not silently port 80), and request paths joined
//! to the target's origin.

/// Checks a URL: `http(s)://host[:port]/…` or `builtin:NAME[/path]`.
pub fn check_url(url: &str) -> Result<(), String> {
    if let Some(rest) = url.strip_prefix("builtin:") {
        let name = rest.split('/').next().unwrap_or("");
        // `demo` is the former name of the testbed, still accepted.
        return if name == "testbed" || name == "demo" {
            Ok(())
        } else {
            Err(format!(
                "unknown built-in target `{name}`; expected `builtin:testbed[/path]`"
            ))
        };
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL `{url}`: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(format!(
                "expected an http:// or https:// URL (or builtin:testbed), found `{url}`"
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("the URL `{url}` has no host"));
    }
    if let Some(port) = uri.authority().and_then(|a| port_of(a.as_str())) {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => {
                return Err(format!(
                    "the URL `{url}` has port `{port}`; expected a port from 1 to 65535"
                ))
            }
        }
    }
    Ok(())
}

/// The port text of an authority (`user@host:port`, `[::1]:port`), when it has a `:`.
fn port_of(authority: &str) -> Option<&str> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let after_host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(_, rest)| rest),
        None => host_port,
    };
    after_host.rsplit_once(':').map(|(_, port)| port)
}

/// Resolves `path` against `url`'s origin, or keeps an absolute URL.
pub(crate) fn join_url(url: &str, path: &str) -> String {
    if path.contains("://") || path.starts_with("builtin:") {
        return path.to_string();
    }
    // origin = scheme://authority (or builtin:name)
    let origin_end = if let Some(rest) = url.strip_prefix("builtin:") {
        "builtin:".len() + rest.find('/').unwrap_or(rest.len())
    } else {
        let after = url.find("://").map(|i| i + 3).unwrap_or(0);
        after + url[after..].find('/').unwrap_or(url.len() - after)
    };
    let origin = &url[..origin_end];
    if path.starts_with('/') {
        format!("{origin}{path}")
    } else {
        format!("{origin}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_out_of_range_are_errors_not_port_80() {
        for url in [
            "http://127.0.0.1:70000/",
            "http://127.0.0.1:0/",
            "http://127.0.0.1:65536/",
            "http://[::1]:99999/",
            "https://user@host:123456/x",
        ] {
            let e = check_url(url).unwrap_err();
            assert!(e.contains("expected a port from 1 to 65535"), "{url}: {e}");
        }
        for url in [
            "http://127.0.0.1:65535/",
            "http://127.0.0.1:1",
            "http://[::1]:8080/a",
            "http://[::1]/a",
            "http://localhost/x:y",
            "builtin:testbed/fast",
        ] {
            assert_eq!(check_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn join_urls() {
        assert_eq!(join_url("http://a:1/x/y", "/z"), "http://a:1/z");
        assert_eq!(join_url("http://a:1", "z"), "http://a:1/z");
        assert_eq!(
            join_url("builtin:testbed/fast", "/slow"),
            "builtin:testbed/slow"
        );
        assert_eq!(join_url("http://a", "https://b/c"), "https://b/c");
    }
}
