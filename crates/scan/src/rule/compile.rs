//! Compiling one rule's YAML into a matcher tree: patterns parsed for the rule's language,
//! node kinds resolved in its grammar, relations, and utility rules (`matches:`) expanded with
//! the rule's own metavariables.

use super::*;

/// The state of compiling one rule for one language.
pub(super) struct Compiler<'a> {
    pub(super) lang: Language,
    pub(super) grammar: tree_sitter::Language,
    pub(super) vars: Vec<String>,
    pub(super) local: &'a BTreeMap<String, RawRule>,
    pub(super) shared: &'a [(Language, String, RawRule, usize)],
    pub(super) sources: &'a [Source],
    pub(super) src: &'a Source,
    pub(super) depth: usize,
    pub(super) caches: &'a mut Caches,
    /// Utility rules compiled for this rule (their metavariables are this rule's).
    pub(super) utils: HashMap<String, Arc<RuleObj>>,
}

impl Compiler<'_> {
    fn err(&self, needle: &str, message: String) -> RuleError {
        RuleError::near(&self.src.path, &self.src.text, needle, message)
    }

    fn kind(&mut self, name: &str) -> Result<u16, RuleError> {
        let key = (self.lang, name.to_string());
        let id = match self.caches.kinds.get(&key) {
            Some(id) => *id,
            None => {
                let id = self.grammar.id_for_node_kind(name, true);
                self.caches.kinds.insert(key, id);
                id
            }
        };
        if id == 0 {
            return Err(self.err(
                name,
                format!("`{name}` is not a node kind of the {} grammar", self.lang),
            ));
        }
        Ok(id)
    }

    pub(super) fn rule(&mut self, r: &RawRule, relational: bool) -> Result<RuleObj, RuleError> {
        if !relational && (r.stop_by.is_some() || r.field.is_some()) {
            return Err(self.err(
                if r.field.is_some() {
                    "field:"
                } else {
                    "stopBy"
                },
                "`stopBy` and `field` belong inside `inside`, `has` or `follows`".into(),
            ));
        }
        let mut parts = Vec::new();
        if let Some(k) = &r.kind {
            parts.push(Part::Kind(self.kind(k)?));
        }
        if let Some(p) = &r.pattern {
            let (text, selector) = match p {
                RawPattern::Text(t) => (t.as_str(), None),
                RawPattern::Context { context, selector } => {
                    (context.as_str(), Some(selector.as_str()))
                }
            };
            let pat = pattern::compile(self.lang, text, selector, &mut self.vars)
                .map_err(|e| self.err(text, e))?;
            parts.push(Part::Pattern(pat));
        }
        if let Some(re) = &r.regex {
            let compiled = match self.caches.regexes.get(re) {
                Some(c) => c.clone(),
                None => {
                    // ASCII classes (`\w`, `\d`, `(?i)`), as the prefilter reads them: source
                    // code's identifiers are ASCII, and Unicode tables make every `\w` a large
                    // automaton to compile at each start
                    let c = regex::bytes::RegexBuilder::new(re)
                        .unicode(false)
                        .build()
                        .map_err(|e| self.err(re, format!("invalid regex: {e}")))?;
                    self.caches.regexes.insert(re.clone(), c.clone());
                    c
                }
            };
            parts.push(Part::Regex(compiled));
        }
        if let Some(all) = &r.all {
            let v = all
                .iter()
                .map(|x| self.rule(x, false))
                .collect::<Result<_, _>>()?;
            parts.push(Part::All(v));
        }
        if let Some(any) = &r.any {
            if any.is_empty() {
                return Err(self.err("any:", "`any` needs at least one rule".into()));
            }
            let v = any
                .iter()
                .map(|x| self.rule(x, false))
                .collect::<Result<_, _>>()?;
            parts.push(Part::Any(v));
        }
        if let Some(name) = &r.matches {
            let util = match self.utils.get(name) {
                Some(u) => u.clone(),
                None => {
                    let u = Arc::new(self.util(name)?);
                    self.utils.insert(name.clone(), u.clone());
                    u
                }
            };
            parts.push(Part::Matches(util));
        }
        if let Some(h) = &r.has {
            parts.push(Part::Has(Box::new(self.relation(h)?)));
        }
        if let Some(i) = &r.inside {
            parts.push(Part::Inside(Box::new(self.relation(i)?)));
        }
        if let Some(f) = &r.follows {
            if f.field.is_some() {
                return Err(self.err("field:", "`follows` takes no `field`".into()));
            }
            parts.push(Part::Follows(Box::new(self.relation(f)?)));
        }
        if let Some(n) = &r.not {
            parts.push(Part::Not(Box::new(self.rule(n, false)?)));
        }
        Ok(RuleObj { parts })
    }

    fn relation(&mut self, r: &RawRule) -> Result<Relation, RuleError> {
        let stop = match &r.stop_by {
            None | Some(RawStop::Neighbor) => Stop::Neighbor,
            Some(RawStop::End) => Stop::End,
            Some(RawStop::Rule(s)) => Stop::Rule(self.rule(s, false)?),
        };
        let field = match &r.field {
            None => None,
            Some(name) => Some(
                self.grammar
                    .field_id_for_name(name)
                    .ok_or_else(|| {
                        self.err(
                            name,
                            format!("`{name}` is not a field of the {} grammar", self.lang),
                        )
                    })?
                    .get(),
            ),
        };
        let mut inner = r.clone();
        inner.stop_by = None;
        inner.field = None;
        let rule = self.rule(&inner, false)?;
        if rule.parts.is_empty() {
            return Err(self.err("inside", "a relational rule needs a rule to match".into()));
        }
        Ok(Relation::new(rule, stop, field))
    }

    fn util(&mut self, name: &str) -> Result<RuleObj, RuleError> {
        if self.depth > 16 {
            return Err(self.err(
                name,
                format!("`matches: {name}`: utility rules refer to each other in a cycle"),
            ));
        }
        let (raw, src) = if let Some(r) = self.local.get(name) {
            (r.clone(), self.src)
        } else if let Some((_, _, r, i)) = self
            .shared
            .iter()
            .find(|(l, n, _, _)| *l == self.lang && n == name)
        {
            (r.clone(), &self.sources[*i])
        } else {
            return Err(self.err(
                name,
                format!(
                    "`matches: {name}`: no utility rule `{name}` for {}",
                    self.lang
                ),
            ));
        };
        let saved = self.src;
        self.src = src;
        self.depth += 1;
        let r = self.rule(&raw, false);
        self.depth -= 1;
        self.src = saved;
        r
    }
}
