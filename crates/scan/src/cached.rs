//! Lookups a Django manager answers from a cache: `ContentType.objects.get_for_model(m)`, or
//! `CustomField.objects.get_for_model(m)` where every `def get_for_model` of a manager or
//! queryset class in the scanned code reads a cache (`cache = query_cache.get()`,
//! `self._cache[…]`, `@lru_cache`). Such a call queries once per model per request or process,
//! not once per item, so a finding whose every statement is one is not a query per item.
//!
//! Only what the code shows is trusted: a method name some manager defines without a cache, or
//! that no scanned manager defines (and Django does not cache), is taken to query.

use crate::finding::Finding;
use crate::lang::Language;
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Django's own cached manager methods: `ContentType.objects.get_for_model(…)` and its kin
/// read the content-type cache of the process, `Site.objects.get_current()` the site cache.
const DJANGO_CACHED: &[(&str, &str)] = &[
    ("ContentType", "get_for_model"),
    ("ContentType", "get_for_models"),
    ("ContentType", "get_for_id"),
    ("Site", "get_current"),
];

/// Django's own manager and queryset API: a manager of the scanned code that overrides one of
/// these with a cache says nothing of the other models' managers, which run Django's.
const DJANGO_API: &[&str] = &[
    "get",
    "filter",
    "exclude",
    "all",
    "first",
    "last",
    "earliest",
    "latest",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
    "exists",
    "count",
    "aggregate",
    "annotate",
    "in_bulk",
    "values",
    "values_list",
    "order_by",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "using",
    "raw",
    "iterator",
    "contains",
    "get_queryset",
    "none",
    "union",
    "distinct",
    "extra",
    "reverse",
    "dates",
    "datetimes",
    "select_for_update",
    "alias",
    "explain",
    "acreate",
    "aget",
    "afirst",
    "alast",
    "aexists",
    "acount",
    "get_by_natural_key",
];

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// The methods of the manager and queryset classes of a Python file, each with whether its
/// body reads a cache.
pub(crate) fn manager_methods(text: &str) -> Vec<(String, bool)> {
    static CLASS: OnceLock<Regex> = OnceLock::new();
    static DEF: OnceLock<Regex> = OnceLock::new();
    static CACHE: OnceLock<Regex> = OnceLock::new();
    if !(text.contains("Manager") || text.contains("QuerySet")) {
        return Vec::new();
    }
    let class = re(
        &CLASS,
        r"^class[ \t]+\w+[ \t]*\([^)]*\b(?:\w*Manager|\w*QuerySet|\w*ManagerMixin)\b",
    );
    let def = re(&DEF, r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(");
    // a cache read: `cache = query_cache.get()`, `self._cache[key]`, `key in self._cache`,
    // `cache.get(key)`, a memoising decorator
    let cache = re(
        &CACHE,
        r"(?i)\b\w*cache\w*\b(?:\(\))?(?:\.get\(|\[|\.__getitem__\()|[\w\])'\x22][ \t]+(?:not[ \t]+)?in[ \t]+(?:self\.|cls\.)?\w*cache\w*\b[\w.]*[ \t]*(?::|\)|$|and\b|or\b)|^@(?:functools\.)?(?:lru_cache|cache|cached|memoize)\b",
    );
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut in_class: Option<usize> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let body = line.trim_start_matches([' ', '\t']);
        if body.is_empty() || body.starts_with('#') {
            i += 1;
            continue;
        }
        let ind = indent(line);
        if in_class.is_some_and(|c| ind <= c) {
            in_class = None;
        }
        if body.starts_with("class") {
            if class.is_match(body) {
                in_class = Some(ind);
            }
            i += 1;
            continue;
        }
        let Some(class_indent) = in_class else {
            i += 1;
            continue;
        };
        let Some(name) = def.captures(body).map(|c| c[1].to_string()) else {
            i += 1;
            continue;
        };
        if ind <= class_indent {
            i += 1;
            continue;
        }
        // decorators just above the `def`
        let mut cached = lines[..i]
            .iter()
            .rev()
            .map(|l| l.trim_start_matches([' ', '\t']))
            .take_while(|l| l.starts_with('@'))
            .any(|l| cache.is_match(l));
        let mut j = i + 1;
        while j < lines.len() {
            let l = lines[j];
            let t = l.trim_start_matches([' ', '\t']);
            if !t.is_empty() && indent(l) <= ind {
                break;
            }
            if !t.starts_with('#') && cache.is_match(l) {
                cached = true;
            }
            j += 1;
        }
        out.push((name, cached));
        i = j;
    }
    out
}

/// The manager methods of the scanned code that always read a cache.
#[derive(Default)]
pub(crate) struct CachedCallees {
    names: HashSet<String>,
}

impl CachedCallees {
    /// From the manager methods of every Python file: a name is cached when every definition
    /// of it reads a cache and it is not one of Django's own.
    pub(crate) fn new<'a>(methods: impl IntoIterator<Item = &'a (String, bool)>) -> Self {
        let mut seen: HashMap<&str, bool> = HashMap::new();
        for (name, cached) in methods {
            let all = seen.entry(name).or_insert(true);
            *all = *all && *cached;
        }
        CachedCallees {
            names: seen
                .into_iter()
                .filter(|&(name, all)| all && !DJANGO_API.contains(&name))
                .map(|(n, _)| n.to_string())
                .collect(),
        }
    }

    /// Whether the statement `text` is a call of a cached manager method.
    fn is_cached(&self, text: &str) -> bool {
        static CALL: OnceLock<Regex> = OnceLock::new();
        let call = re(
            &CALL,
            r"^(?:\w+[ \t]*=[ \t]*)?(?:return[ \t]+)?([A-Za-z_][\w.]*)\.objects\.(\w+)\(",
        );
        let Some(c) = call.captures(text.trim()) else {
            return false;
        };
        let (model, method) = (&c[1], &c[2]);
        let model = model.rsplit('.').next().unwrap_or(model);
        DJANGO_CACHED.contains(&(model, method)) || self.names.contains(method)
    }

    /// Drops the Python findings whose every statement calls a cached manager method, and
    /// their entries of `classes` (which runs parallel to `findings`).
    pub(crate) fn drop_cached(
        &self,
        findings: &mut Vec<Finding>,
        classes: &mut Vec<Option<String>>,
    ) {
        let keep: Vec<bool> = findings
            .iter()
            .map(|f| {
                if f.language != Language::Python {
                    return true;
                }
                let all_cached = if f.statements.is_empty() {
                    self.is_cached(&f.snippet)
                } else {
                    f.statements.iter().all(|s| self.is_cached(&s.text))
                };
                !all_cached
            })
            .collect();
        crate::engine::keep_paired(findings, classes, &keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_methods_that_read_a_cache_are_told_apart() {
        let text = "\
class CustomFieldManager(models.Manager.from_queryset(RestrictedQuerySet)):
    use_in_migrations = True

    def get_for_model(self, model):
        cache = query_cache.get()
        fields = cache['custom_fields'].get(model) if cache is not None else None
        if fields is None:
            fields = list(self.filter(object_types=model))
        return fields

    def get_defaults_for_model(self, model):
        return {cf.name: cf.default for cf in self.get_for_model(model)}


class Other:
    def get_for_model(self, model):
        return Thing.objects.filter(model=model)


class TagQuerySet(QuerySet):
    @lru_cache
    def for_name(self, name):
        return self.filter(name=name)
";
        assert_eq!(
            manager_methods(text),
            vec![
                ("get_for_model".to_string(), true),
                ("get_defaults_for_model".to_string(), false),
                ("for_name".to_string(), true),
            ]
        );
        assert!(manager_methods("def f():\n    return cache.get('k')\n").is_empty());
        // a docstring that speaks of a cache is not a cache read; `key in self._cache` is
        let text = "class M(Manager):\n    def a(self):\n        \"\"\"Kept in cache for later.\"\"\"\n        return self.filter()\n\n    def b(self, k):\n        if k not in self._cache:\n            self._cache[k] = self.get(pk=k)\n        return self._cache[k]\n";
        assert_eq!(
            manager_methods(text),
            vec![("a".to_string(), false), ("b".to_string(), true)]
        );
    }

    #[test]
    fn a_name_is_cached_only_when_every_manager_caches_it() {
        let methods = [
            ("get_for_model".to_string(), true),
            ("by_slug".to_string(), true),
            ("by_slug".to_string(), false),
            ("get".to_string(), true),
        ];
        let c = CachedCallees::new(&methods);
        assert!(c.is_cached("CustomField.objects.get_for_model(self.queryset.model)"));
        assert!(c.is_cached("ct = ContentType.objects.get_for_model(obj)"));
        assert!(!c.is_cached("Page.objects.by_slug(slug)"));
        assert!(!c.is_cached("ContentType.objects.get(pk=pk)"));
        // Django's site cache answers the current site, not another model's `get_current`
        assert!(c.is_cached("site = Site.objects.get_current()"));
        assert!(!c.is_cached("Period.objects.get_current()"));
        assert!(!c.is_cached("Thing.objects.filter(model=m)"));
        // one manager's cached `get` is not every model's
        assert!(!c.is_cached("Collection.objects.get(id=cid)"));
    }
}
