//! Requirements evaluated over one file's text, and over the text of its loops.

use super::{ident_byte, Lit, Req};
use crate::lang::Language;
use memchr::memmem;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Evaluates requirements over one file's text, each literal searched once.
pub(crate) struct FileText<'t> {
    source: &'t str,
    whole: Text<'t>,
    lang: Language,
    /// The text of the file's loops, read on first need.
    loops: Option<Text<'static>>,
    /// The byte ranges of the file's loops (Python), read on first need: `None` inside when
    /// the whole file must be taken.
    ranges: Option<Option<Vec<(usize, usize)>>>,
}

/// One text and what was found in it.
struct Text<'t> {
    text: Cow<'t, [u8]>,
    lower: Option<Vec<u8>>,
    seen: HashMap<Lit, bool>,
    seqs: HashMap<(Arc<str>, bool), bool>,
}

impl<'t> FileText<'t> {
    /// A file's text in `lang`.
    pub(crate) fn new(lang: Language, text: &'t str) -> Self {
        FileText {
            source: text,
            whole: Text::new(Cow::Borrowed(text.as_bytes())),
            lang,
            loops: None,
            ranges: None,
        }
    }

    /// Whether `req` holds.
    pub(crate) fn holds(&mut self, req: &Req) -> bool {
        match req {
            Req::Region(inner) => {
                // what holds in the loops holds in the file: the file first (its answers are
                // kept), so a file without the words never has its loops read
                if !self.whole.holds(inner) {
                    return false;
                }
                if self.loops.is_none() {
                    let text = match self.lang {
                        Language::Python => {
                            let ranges = self.loop_ranges().map(<[_]>::to_vec);
                            crate::loop_text::text_of(&self.whole.text, ranges.as_deref())
                        }
                        _ => self.whole.text.to_vec(),
                    };
                    self.loops = Some(Text::new(Cow::Owned(text)));
                }
                self.loops.as_mut().is_some_and(|t| t.holds(inner))
            }
            Req::All(v) => v.iter().all(|r| self.holds(r)),
            Req::Any(v) => v.iter().any(|r| self.holds(r)),
            r => self.whole.holds(r),
        }
    }
}

impl<'t> FileText<'t> {
    /// The text itself.
    pub(crate) fn text(&self) -> &'t str {
        self.source
    }

    /// The byte ranges of the file's loops (`loop_text::loop_ranges`, Python); `None` when
    /// the whole file must be taken.
    pub(crate) fn loop_ranges(&mut self) -> Option<&[(usize, usize)]> {
        let text = &self.whole.text;
        self.ranges
            .get_or_insert_with(|| crate::loop_text::loop_ranges(text))
            .as_deref()
    }
}

impl<'t> Text<'t> {
    fn new(text: Cow<'t, [u8]>) -> Self {
        Text {
            text,
            lower: None,
            seen: HashMap::new(),
            seqs: HashMap::new(),
        }
    }

    fn has(&mut self, lit: &Lit) -> bool {
        if let Some(&b) = self.seen.get(lit) {
            return b;
        }
        let hay: &[u8] = if lit.nocase {
            let text = &self.text;
            self.lower
                .get_or_insert_with(|| text.to_ascii_lowercase())
                .as_slice()
        } else {
            &self.text
        };
        let needle = lit.text.as_bytes();
        let found = if lit.word {
            memmem::find_iter(hay, needle).any(|i| {
                let before = i == 0 || !ident_byte(hay[i - 1]);
                let after = hay.get(i + needle.len()).is_none_or(|b| !ident_byte(*b));
                before && after
            })
        } else {
            memmem::find(hay, needle).is_some()
        };
        self.seen.insert(lit.clone(), found);
        found
    }

    /// Whether `req` holds in this text (a region inside one is the same text).
    fn holds(&mut self, req: &Req) -> bool {
        match req {
            Req::Lit(l) => self.has(l),
            Req::Seq(q) => {
                let key = (q.pattern.clone(), q.unicode);
                if let Some(&b) = self.seqs.get(&key) {
                    return b;
                }
                let found = q.is_match(&self.text);
                self.seqs.insert(key, found);
                found
            }
            Req::All(v) => v.iter().all(|r| self.holds(r)),
            Req::Any(v) => v.iter().any(|r| self.holds(r)),
            Req::Region(r) => self.holds(r),
        }
    }
}
