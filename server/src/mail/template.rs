//! Filling a mail template: `{name}` placeholders and `{#name}` … `{/name}` sections that are
//! kept only when `name` has a value (the syntax is described in `templates/README.md`).
//!
//! Written here rather than taken from a template crate: the mails need nothing more, and the
//! whole engine is the two rules above, which a reader checks at a glance.

/// A template that does not fit the values given: a bug in a template file or in the code
/// filling it, which the unit tests of every template catch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{name}` names no value.
    #[error("the template names an unknown placeholder {{{0}}}")]
    Unknown(String),
    /// A `{` without its `}`.
    #[error("the template has an unclosed placeholder")]
    Unclosed,
    /// A section end without its start, or a start without its end.
    #[error("the template's section {0} is not closed properly")]
    Section(String),
}

/// Fills `template` with `values` (`(name, value)`; `None` or an empty value means "no value":
/// its sections are left out, and naming it as a placeholder is an error).
pub fn fill(template: &str, values: &[(&str, Option<&str>)]) -> Result<String, TemplateError> {
    let value = |name: &str| {
        values
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value.filter(|v| !v.is_empty()))
    };
    let mut out = String::with_capacity(template.len() * 2);
    // The open sections, innermost last, each with whether its lines are kept.
    let mut sections: Vec<(&str, bool)> = Vec::new();
    for line in template.split_inclusive('\n') {
        let marker = line.trim_end_matches(['\r', '\n']);
        if let Some(name) = section_marker(marker, "{#") {
            let present = value(name).ok_or_else(|| TemplateError::Unknown(name.to_owned()))?;
            sections.push((name, present.is_some()));
            continue;
        }
        if let Some(name) = section_marker(marker, "{/") {
            match sections.pop() {
                Some((open, _)) if open == name => continue,
                _ => return Err(TemplateError::Section(name.to_owned())),
            }
        }
        if sections.iter().all(|(_, kept)| *kept) {
            fill_line(line, &value, &mut out)?;
        }
    }
    match sections.pop() {
        Some((open, _)) => Err(TemplateError::Section(open.to_owned())),
        None => Ok(out),
    }
}

/// The name in a marker line `{#name}` or `{/name}` (by `prefix`), if `line` is one.
fn section_marker<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix('}')
}

/// Appends `line` with its placeholders replaced.
fn fill_line<'v>(
    line: &str,
    value: &impl Fn(&str) -> Option<Option<&'v str>>,
    out: &mut String,
) -> Result<(), TemplateError> {
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(TemplateError::Unclosed)?;
        let name = &after[..close];
        match value(name) {
            Some(Some(text)) => out.push_str(text),
            _ => return Err(TemplateError::Unknown(name.to_owned())),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_keeps_sections_with_a_value() {
        let template = "A {x}\n{#y}\nB {y}\n{/y}\nC\n";
        assert_eq!(
            fill(template, &[("x", Some("1")), ("y", Some("2"))]).unwrap(),
            "A 1\nB 2\nC\n"
        );
        assert_eq!(
            fill(template, &[("x", Some("1")), ("y", None)]).unwrap(),
            "A 1\nC\n"
        );
        assert_eq!(
            fill(template, &[("x", Some("1")), ("y", Some(""))]).unwrap(),
            "A 1\nC\n"
        );
    }

    #[test]
    fn a_template_that_does_not_fit_is_an_error() {
        assert_eq!(
            fill("{z}\n", &[("x", Some("1"))]),
            Err(TemplateError::Unknown("z".into()))
        );
        assert_eq!(
            fill("{x}\n", &[("x", None)]),
            Err(TemplateError::Unknown("x".into()))
        );
        assert_eq!(
            fill("{x\n", &[("x", Some("1"))]),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(
            fill("{#x}\nA\n", &[("x", Some("1"))]),
            Err(TemplateError::Section("x".into()))
        );
        assert_eq!(
            fill("A\n{/x}\n", &[("x", Some("1"))]),
            Err(TemplateError::Section("x".into()))
        );
    }
}
