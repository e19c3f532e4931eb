//! The standard grounds for rejecting a complaint of a category (issue 16), each with its
//! legal basis: kept as text, one per line as `grounds｜legal basis`, parsed here.

use super::fields::{self, FieldError};

/// At most this many grounds per category, each line at most `LINE_MAX` characters.
pub const REASONS_MAX: usize = 20;
pub const LINE_MAX: usize = 400;

/// One standard ground and the provision it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardReason {
    pub grounds: String,
    pub basis: String,
}

impl StandardReason {
    /// The reason as the complainant reads it: the grounds, then the provision.
    pub fn text(&self, basis_label: &str) -> String {
        format!("{}（{basis_label}{}）", self.grounds, self.basis)
    }
}

/// Why the list of grounds was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonsProblem {
    /// A line without its `｜legal basis`, or with an empty side.
    Format,
    TooMany,
    TooLong,
    Characters,
}

fn split(line: &str) -> Option<(&str, &str)> {
    line.split_once('｜').or_else(|| line.split_once('|'))
}

/// The stored text's grounds; lines that do not read as `grounds｜basis` are skipped.
pub fn parse(stored: &str) -> Vec<StandardReason> {
    stored
        .lines()
        .filter_map(|line| {
            let (grounds, basis) = split(line)?;
            let (grounds, basis) = (grounds.trim(), basis.trim());
            (!grounds.is_empty() && !basis.is_empty()).then(|| StandardReason {
                grounds: grounds.to_owned(),
                basis: basis.to_owned(),
            })
        })
        .collect()
}

/// The list as an administrator typed it, checked and normalised (blank lines dropped,
/// `|` written `｜`); empty is allowed: the category then offers no standard grounds.
pub fn check(typed: &str) -> Result<String, ReasonsProblem> {
    let text = match fields::multi_line(Some(typed), 0, REASONS_MAX * (LINE_MAX + 1)) {
        Ok(text) => text.unwrap_or_default(),
        Err(FieldError::TooLong { .. }) => return Err(ReasonsProblem::TooLong),
        Err(_) => return Err(ReasonsProblem::Characters),
    };
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains('\t') {
            return Err(ReasonsProblem::Characters);
        }
        if line.chars().count() > LINE_MAX {
            return Err(ReasonsProblem::TooLong);
        }
        let (grounds, basis) = split(line).ok_or(ReasonsProblem::Format)?;
        let (grounds, basis) = (grounds.trim(), basis.trim());
        if grounds.is_empty() || basis.is_empty() || split(basis).is_some() {
            return Err(ReasonsProblem::Format);
        }
        lines.push(format!("{grounds}｜{basis}"));
    }
    if lines.len() > REASONS_MAX {
        return Err(ReasonsProblem::TooMany);
    }
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grounds_are_read_line_by_line_with_their_basis() {
        let stored = "超过三年｜第十五条第四项\n\n坏行\n不属于职责 | 第十五条第一项";
        let reasons = parse(stored);
        assert_eq!(reasons.len(), 2);
        assert_eq!(reasons[1].grounds, "不属于职责");
        assert_eq!(
            reasons[0].text("依据："),
            "超过三年（依据：第十五条第四项）"
        );
    }

    #[test]
    fn typed_lists_are_checked_and_normalised() {
        assert_eq!(check("  a | b \r\n\r\n c｜d ").unwrap(), "a｜b\nc｜d");
        assert_eq!(check("").unwrap(), "");
        assert_eq!(check("no basis"), Err(ReasonsProblem::Format));
        assert_eq!(check("｜basis"), Err(ReasonsProblem::Format));
        assert_eq!(check("a｜b｜c"), Err(ReasonsProblem::Format));
        assert_eq!(check("a\u{7}｜b"), Err(ReasonsProblem::Characters));
        let many = vec!["a｜b"; REASONS_MAX + 1].join("\n");
        assert_eq!(check(&many), Err(ReasonsProblem::TooMany));
        let long = format!("{}｜b", "长".repeat(LINE_MAX));
        assert_eq!(check(&long), Err(ReasonsProblem::TooLong));
    }
}
