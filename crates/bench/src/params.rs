//! Parameter scans, as hyperfine's `-P name min max [-D step]` and `-L name a,b,c`: every
//! combination of the parameters, substituted into `{name}` placeholders.

use std::collections::BTreeMap;

/// One parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// Numeric range, inclusive, with a step.
    Range {
        /// Placeholder name.
        name: String,
        /// First value.
        from: f64,
        /// Last value (inclusive).
        to: f64,
        /// Step (> 0).
        step: f64,
    },
    /// Explicit values.
    List {
        /// Placeholder name.
        name: String,
        /// Values.
        values: Vec<String>,
    },
}

impl Param {
    fn name(&self) -> &str {
        match self {
            Param::Range { name, .. } | Param::List { name, .. } => name,
        }
    }

    fn values(&self) -> Vec<String> {
        match self {
            Param::List { values, .. } => values.clone(),
            Param::Range { from, to, step, .. } => {
                let mut out = Vec::new();
                let mut i = 0u64;
                loop {
                    let v = from + step * i as f64;
                    if v > to + step * 1e-9 {
                        break;
                    }
                    out.push(if v.fract() == 0.0 && v.abs() < 1e15 {
                        format!("{}", v as i64)
                    } else {
                        format!("{v}")
                    });
                    i += 1;
                }
                out
            }
        }
    }
}

/// Every combination of parameter values (the first parameter varies slowest).
pub fn combinations(params: &[Param]) -> Vec<BTreeMap<String, String>> {
    let mut out = vec![BTreeMap::new()];
    for p in params {
        let mut next = Vec::new();
        for combo in &out {
            for v in p.values() {
                let mut c = combo.clone();
                c.insert(p.name().to_string(), v);
                next.push(c);
            }
        }
        out = next;
    }
    out
}

/// Replaces `{name}` by its value.
pub fn substitute(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut s = template.to_string();
    for (k, v) in values {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_substitution() {
        let ps = [
            Param::Range {
                name: "n".into(),
                from: 1.0,
                to: 3.0,
                step: 1.0,
            },
            Param::List {
                name: "mode".into(),
                values: vec!["a".into(), "b".into()],
            },
        ];
        let c = combinations(&ps);
        assert_eq!(c.len(), 6);
        assert_eq!(substitute("run -n {n} --{mode}", &c[5]), "run -n 3 --b");
        let c = combinations(&[Param::Range {
            name: "x".into(),
            from: 0.0,
            to: 0.3,
            step: 0.1,
        }]);
        assert_eq!(c.len(), 4);
    }
}
