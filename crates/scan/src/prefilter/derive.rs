//! Requirements derived from a rule's structure (see the module above), knowing which nodes
//! lie in a loop.

use super::{all, any, ident_byte, kind_keyword, regex_req, word, Lit, Req, Seq, MIN_LEN};
use crate::lang::Language;
use crate::matcher::{Part, RuleObj};

/// What a file must contain for `r` to match in it (`None`: nothing known).
/// `constraints` are the rule's, by metavariable. In Python, the words of a node known to lie
/// inside a loop (a node within a `for`/`while` statement or a comprehension, that node's
/// descendants, or such a loop itself) must occur in the text of the file's loops.
pub(crate) fn requirement(
    lang: Language,
    grammar: &tree_sitter::Language,
    r: &RuleObj,
    constraints: &[Option<RuleObj>],
) -> Option<Req> {
    let loops = match lang {
        Language::Python => loop_kinds(grammar),
        _ => Vec::new(),
    };
    Deriver {
        lang,
        grammar,
        constraints,
        loops,
    }
    .req(r, false)
}

/// Whether every node `r` matches lies in a loop whose text `loop_text` reads (Python: a
/// `for`/`while` statement or a comprehension, or a node inside one), so that a walk of a
/// file may pass over what lies outside the file's loop ranges.
pub(crate) fn lies_in_loop(lang: Language, grammar: &tree_sitter::Language, r: &RuleObj) -> bool {
    let loops = match lang {
        Language::Python => loop_kinds(grammar),
        _ => return false,
    };
    Deriver {
        lang,
        grammar,
        constraints: &[],
        loops,
    }
    .in_loop(r)
}

/// The kind ids of the Python loops whose text `loop_text` reads.
fn loop_kinds(grammar: &tree_sitter::Language) -> Vec<u16> {
    crate::loop_text::LOOP_KINDS
        .iter()
        .map(|k| grammar.id_for_node_kind(k, true))
        .filter(|&id| id != 0)
        .collect()
}

/// Derives requirements, knowing which kinds are loops.
struct Deriver<'a> {
    lang: Language,
    grammar: &'a tree_sitter::Language,
    constraints: &'a [Option<RuleObj>],
    /// The loop kinds of the language whose text `loop_text` reads (none: no regions).
    loops: Vec<u16>,
}

impl Deriver<'_> {
    /// The requirement of `r`; `in_loop`: the node it is tried on is known to lie in a loop.
    fn req(&self, r: &RuleObj, in_loop: bool) -> Option<Req> {
        let in_loop = in_loop || self.in_loop(r);
        all(r.parts.iter().map(|p| self.part(p, in_loop)).collect())
    }

    /// Whether every node `r` matches is a loop.
    fn is_loop(&self, r: &RuleObj) -> bool {
        !self.loops.is_empty()
            && r.root_kinds()
                .is_some_and(|ks| !ks.is_empty() && ks.iter().all(|k| self.loops.contains(k)))
    }

    /// Whether every node `r` matches lies in a loop: it is one, or it is inside one.
    fn in_loop(&self, r: &RuleObj) -> bool {
        self.is_loop(r)
            || r.parts.iter().any(|p| match p {
                // within an ancestor that is, or lies in, a loop
                Part::Inside(rel) => self.in_loop(&rel.rule),
                Part::Matches(m) => self.in_loop(m),
                Part::All(v) => v.iter().any(|x| self.in_loop(x)),
                Part::Any(v) => !v.is_empty() && v.iter().all(|x| self.in_loop(x)),
                _ => false,
            })
    }

    fn part(&self, p: &Part, in_loop: bool) -> Option<Req> {
        // the words of the node itself: in its loop's text when it lies in one
        let own = |r: Option<Req>| match r {
            Some(r) if in_loop => Some(Req::Region(Box::new(r))),
            r => r,
        };
        match p {
            Part::Kind(k) => own(self
                .grammar
                .node_kind_for_id(*k)
                .and_then(|name| kind_keyword(self.lang, name))
                .map(|w| Req::Lit(word(w)))),
            Part::Pattern(pat) => {
                let lit = pat
                    .literal
                    .as_ref()
                    .filter(|l| l.len() >= MIN_LEN)
                    .map(|l| {
                        // an identifier token is a whole word in the source (maximal munch)
                        let word = l.bytes().all(ident_byte);
                        Req::Lit(Lit {
                            text: l.clone(),
                            nocase: false,
                            word,
                        })
                    });
                // the literal first: the sequence's regex runs only where the word occurs
                let seq = lit
                    .as_ref()
                    .zip(pat.literal.as_deref())
                    .and_then(|(_, l)| Seq::around(self.lang, &pat.tokens, l, self.constraints))
                    .map(Req::Seq);
                own(all(vec![lit, seq]))
            }
            Part::Regex(re) => {
                // the literals first; the regex runs only in files that hold them
                let lits = regex_req(re.as_str());
                let tail = lits
                    .as_ref()
                    .and_then(|_| Seq::tail(re.as_str()))
                    .map(Req::Seq);
                let seq = lits
                    .as_ref()
                    .and_then(|_| Seq::unanchored(re.as_str()))
                    .map(Req::Seq);
                // the literals, then the regex's cheap tail, then the whole regex
                own(all(vec![lits, tail, seq]))
            }
            Part::All(v) => all(v.iter().map(|r| self.req(r, in_loop)).collect()),
            Part::Any(v) => any(v.iter().map(|r| self.req(r, in_loop)).collect()),
            Part::Matches(r) => self.req(r, in_loop),
            // a descendant lies where its node does; an ancestor or a sibling only when it is
            // itself a loop (or inside one)
            Part::Has(rel) => self.req(&rel.rule, in_loop),
            Part::Inside(rel) | Part::Follows(rel) => self.req(&rel.rule, false),
            Part::Not(_) => None,
        }
    }
}
