//! The search terms of DESIGN §6: overlapping character bigrams for Chinese text (where
//! words are not separated by spaces), Latin words and numbers kept whole, lower-cased.

/// One run of text that tokenises the same way.
enum Run {
    Cjk(Vec<char>),
    Word(String),
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F
        | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// A Latin letter with diacritics as its base letter (é → e), as SQLite's FTS5 tokenizer
/// folds it on its own: PostgreSQL takes the terms as they are, so the terms fold first
/// and both backends find "cafe" for "café" and the other way round.
fn without_diacritic(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    let mut base = None;
    let mut only_marks = true;
    unicode_normalization::char::decompose_canonical(c, |part| {
        if base.is_none() {
            base = Some(part);
        } else if !unicode_normalization::char::is_combining_mark(part) {
            only_marks = false;
        }
    });
    match base {
        Some(letter) if letter.is_ascii_alphabetic() && only_marks => letter,
        _ => c,
    }
}

fn runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush = |runs: &mut Vec<Run>, cjk: &mut Vec<char>, word: &mut String| {
        if !cjk.is_empty() {
            runs.push(Run::Cjk(std::mem::take(cjk)));
        }
        if !word.is_empty() {
            runs.push(Run::Word(std::mem::take(word)));
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                flush(&mut runs, &mut cjk, &mut word);
            }
            cjk.push(c);
        } else if c.is_alphanumeric() {
            if !cjk.is_empty() {
                flush(&mut runs, &mut cjk, &mut word);
            }
            word.extend(without_diacritic(c).to_lowercase());
        } else {
            flush(&mut runs, &mut cjk, &mut word);
        }
    }
    flush(&mut runs, &mut cjk, &mut word);
    runs
}

fn push_run_terms(run: &Run, terms: &mut Vec<String>) {
    match run {
        Run::Cjk(chars) if chars.len() == 1 => terms.push(chars[0].to_string()),
        Run::Cjk(chars) => terms.extend(chars.windows(2).map(|w| w.iter().collect())),
        Run::Word(word) => terms.push(word.clone()),
    }
}

/// The space-separated terms stored for a complaint's searchable texts.
pub fn index_terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut terms = Vec::new();
    for text in texts {
        for run in runs(text) {
            push_run_terms(&run, &mut terms);
        }
    }
    terms.join(" ")
}

/// A query turned into terms: each group is a phrase (its terms adjacent and in order);
/// a single Chinese character is matched as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryTerm {
    Phrase(Vec<String>),
    Prefix(String),
}

pub fn query_terms(query: &str) -> Vec<QueryTerm> {
    runs(query)
        .into_iter()
        .map(|run| match &run {
            Run::Cjk(chars) if chars.len() == 1 => QueryTerm::Prefix(chars[0].to_string()),
            _ => {
                let mut terms = Vec::new();
                push_run_terms(&run, &mut terms);
                QueryTerm::Phrase(terms)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_becomes_bigrams_and_latin_words_stay_whole() {
        assert_eq!(index_terms(["电热水壶"]), "电热 热水 水壶");
        assert_eq!(
            index_terms(["买的iPhone15手机, 屏幕坏了"]),
            "买的 iphone15 手机 屏幕 幕坏 坏了"
        );
        assert_eq!(index_terms(["奶", "A-1"]), "奶 a 1");
        assert_eq!(
            index_terms(["Café Ñandú, Tiếng Việt; ß ø x² 한국"]),
            "cafe nandu tieng viet ß ø x² 한국"
        );
    }

    #[test]
    fn queries_are_phrases_of_bigrams_or_prefixes() {
        assert_eq!(
            query_terms("电热水壶"),
            vec![QueryTerm::Phrase(vec![
                "电热".into(),
                "热水".into(),
                "水壶".into()
            ])]
        );
        assert_eq!(query_terms("奶"), vec![QueryTerm::Prefix("奶".into())]);
        assert_eq!(query_terms("  "), vec![]);
    }
}
