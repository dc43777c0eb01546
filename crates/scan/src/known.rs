//! What the walk learns of the whole project that one file's text cannot tell, and two rules
//! stand on: the relations the Django models declare (`py-relation-per-row` reports a read of
//! one), and the serializers the REST framework list views render
//! (`py-relation-per-serialized-row` reports a field of one). A file that only these rules
//! may match is parsed after the walk, and only when its text could hold what they report:
//! in an application's tests, most loops read no relation and no class is a rendered
//! serializer. The tests are necessary, never sufficient: a file that passes is scanned as
//! before, and the findings are the same.

use crate::drf::{self, ListView};
use crate::prefilter::FileText;
use crate::reach::FileFacts;
use crate::relations::{self, Reads};

/// What a deferrable rule needs of the other files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// The models' relations ([`relations::RULE`]).
    Relations,
    /// The serializers list views render ([`drf::RULE`]).
    Serializers,
}

impl Need {
    /// What the rule `id` needs, when its findings stand on other files' declarations.
    pub(crate) fn of(id: &str) -> Option<Need> {
        match id {
            relations::RULE => Some(Need::Relations),
            drf::RULE => Some(Need::Serializers),
            _ => None,
        }
    }
}

/// What every file of the walk declared.
pub(crate) struct Known {
    relations: Reads,
    /// Each list view's serializer: its class name and the module defining it.
    serializers: Vec<(String, String)>,
}

impl Known {
    /// Gathers the declarations of `facts` (every file the walk read).
    pub(crate) fn new(facts: &[FileFacts]) -> Known {
        let mut serializers: Vec<(String, String)> = facts
            .iter()
            .flat_map(|f| &f.list_views)
            .map(|v: &ListView| (v.serializer.clone(), v.serializer_module.clone()))
            .collect();
        serializers.sort_unstable();
        serializers.dedup();
        Known {
            relations: Reads::new(facts.iter().map(|f| &f.models)),
            serializers,
        }
    }

    /// Whether the file `file` (its text in `ft`) may hold a finding of a rule that needs
    /// `need`.
    pub(crate) fn may_report(&self, need: Need, file: &str, ft: &mut FileText<'_>) -> bool {
        let text = ft.text();
        match need {
            Need::Relations => self.relations.may_report(text, ft.loop_ranges()),
            // a finding is kept only in a serializer class a list view renders, defined in
            // the module the view imports it from (`drf::keep_unloaded`)
            Need::Serializers => self
                .serializers
                .iter()
                .filter(|(_, module)| drf::defined_in(file, module))
                .any(|(name, _)| declares_class(text, name)),
        }
    }
}

/// Whether `text` names `name` as a whole word (its `class` statement may be spelt over a
/// line join, a form feed…: the word is enough).
fn declares_class(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(word)
            && !text[at + name.len()..].chars().next().is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_is_found_by_its_whole_name() {
        assert!(declares_class(
            "class OrderSerializer(S):\n",
            "OrderSerializer"
        ));
        assert!(declares_class(
            "class \\\n    OrderSerializer:\n",
            "OrderSerializer"
        ));
        assert!(declares_class(
            "class\x0cOrderSerializer:\n",
            "OrderSerializer"
        ));
        assert!(!declares_class(
            "class OrderSerializerV2(S):\n",
            "OrderSerializer"
        ));
        assert!(!declares_class(
            "class MyOrderSerializer(S):\n",
            "OrderSerializer"
        ));
    }
}
