//! Credentials kept out of what perfhive prints: the password of a URL's userinfo
//! (`scheme://user:PASSWORD@host`) and `password=…` pairs (libpq key/value strings, query
//! parameters), wherever they occur in a text.

/// What a hidden password is shown as.
pub const MASK: &str = "***";

/// Byte ranges of the passwords in `text`, in order, not overlapping.
pub fn secret_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = userinfo_passwords(text);
    out.extend(password_pairs(text));
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// `text` with every password replaced by [`MASK`].
pub fn mask_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in secret_ranges(text) {
        out.push_str(&text[at..r.start]);
        out.push_str(MASK);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The passwords of `scheme://user:password@host` userinfos.
fn userinfo_passwords(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("://") {
        let start = from + i + 3;
        from = start;
        // the authority ends at a path, a query, a quote or white space (not at `#`: drivers
        // take an unencoded `#` in a password)
        let end = text[start..]
            .find(|c: char| matches!(c, '/' | '?' | '"' | '\'') || c.is_whitespace())
            .map_or(text.len(), |j| start + j);
        let authority = &text[start..end];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                if colon + 1 < at {
                    out.push(start + colon + 1..start + at);
                }
            }
        }
    }
    out
}

/// The values of `password=…` pairs that start a word or follow `?`/`&`.
fn password_pairs(text: &str) -> Vec<std::ops::Range<usize>> {
    const KEY: &str = "password=";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(KEY) {
        let key = from + i;
        let start = key + KEY.len();
        from = start;
        let starts_word = key == 0
            || matches!(
                text.as_bytes()[key - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b';' | b'?' | b'&' | b'"' | b'\'' | b'{' | b','
            );
        if !starts_word {
            continue;
        }
        let end = match text[start..].strip_prefix('\'') {
            Some(q) => q.find('\'').map_or(text.len(), |j| start + j + 2),
            None => text[start..]
                .find(|c: char| {
                    matches!(c, '&' | '"' | '\'' | '}' | ',' | ';') || c.is_whitespace()
                })
                .map_or(text.len(), |j| start + j),
        };
        if end > start {
            out.push(start..end);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_passwords_are_masked_wherever_they_are() {
        assert_eq!(
            mask_secrets("postgresql://app:s3cret@h:5432/db"),
            "postgresql://app:***@h:5432/db"
        );
        assert_eq!(
            mask_secrets(r#"  database: { dsn: "postgresql://app:p@ss:w@127.0.0.1:x/shop" }"#),
            r#"  database: { dsn: "postgresql://app:***@127.0.0.1:x/shop" }"#
        );
        assert_eq!(
            mask_secrets("a http://u:1@a/ and https://v:2@b?x"),
            "a http://u:***@a/ and https://v:***@b?x"
        );
        // a user without a password, an empty password and no userinfo stay as they are
        for plain in ["postgresql://app@h/db", "http://u:@h/", "http://h:80/x@y"] {
            assert_eq!(mask_secrets(plain), plain);
        }
    }

    #[test]
    fn password_pairs_are_masked_quoted_or_not() {
        assert_eq!(
            mask_secrets("host=h password='a b' user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(
            mask_secrets("postgresql://h/db?password=s3cret&user=u"),
            "postgresql://h/db?password=***&user=u"
        );
        assert_eq!(
            mask_secrets(r#"dsn: "host=h password=x""#),
            r#"dsn: "host=h password=***""#
        );
        // after a line break or a semicolon (connection strings of other drivers)
        assert_eq!(
            mask_secrets("host=h\npassword=x;user=u"),
            "host=h\npassword=***;user=u"
        );
        // an unencoded # in a URL's password
        assert_eq!(
            mask_secrets("postgresql://app:a#b@h/db"),
            "postgresql://app:***@h/db"
        );
        // a key that merely ends in "password" is not a password pair
        assert_eq!(mask_secrets("oldpassword=x"), "oldpassword=x");
    }

    #[test]
    fn ranges_are_ordered_and_disjoint() {
        let text = "postgresql://a:b@h/db?password=c";
        let r = secret_ranges(text);
        assert_eq!(r.len(), 2);
        assert_eq!(&text[r[0].clone()], "b");
        assert_eq!(&text[r[1].clone()], "c");
    }
}
