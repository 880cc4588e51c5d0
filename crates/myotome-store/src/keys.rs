//! The keys patients are matched by: one definition, used when a patient is written, when
//! existing rows are re-keyed on start-up, and when a search or a duplicate check reads them.
//!
//! - A name key is the name folded: Unicode compatibility decomposition with the combining
//!   marks dropped (so "Nguyễn" and "Nguyen", "Zoë" and "Zoe" share a key), the letters that
//!   do not decompose spelled out ("Ø" → "o", "ß" → "ss", "Æ" → "ae" …), lower-cased, runs of
//!   white space made one space, trimmed.
//! - An identifier key is the value trimmed and lower-cased: medical record numbers are
//!   compared without their case ("mrn-0001" is "MRN-0001"); no system in use here gives case a
//!   meaning. Diacritics are kept: an identifier is not a name.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The version of the key rules above. Rows keyed under an older version are re-keyed when the
/// store opens (`patients.keys_version`).
pub const KEYS_VERSION: i64 = 2;

/// A name as it is matched.
pub fn fold_name(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            space = !folded.is_empty();
            continue;
        }
        if space {
            folded.push(' ');
            space = false;
        }
        match c {
            'ø' | 'Ø' => folded.push('o'),
            'ł' | 'Ł' => folded.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => folded.push('d'),
            'ß' => folded.push_str("ss"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'þ' | 'Þ' => folded.push_str("th"),
            'ı' => folded.push('i'),
            other => folded.extend(other.to_lowercase()),
        }
    }
    folded
}

/// An identifier value as it is matched.
pub fn identifier_key(value: &str) -> String {
    value.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_diacritics_and_spacing() {
        assert_eq!(fold_name("Nguyễn"), "nguyen");
        assert_eq!(fold_name("Zoë"), "zoe");
        assert_eq!(
            fold_name("  Lindqvist-Ólafsdóttir "),
            "lindqvist-olafsdottir"
        );
        assert_eq!(fold_name("Søren  Kierkegaard"), "soren kierkegaard");
        assert_eq!(fold_name("Straße"), "strasse");
        assert_eq!(fold_name("Łukasz"), "lukasz");
        assert_eq!(fold_name("ＡＢＣ"), "abc", "full-width letters are letters");
    }

    #[test]
    fn identifiers_keep_their_letters_but_not_their_case_or_edges() {
        assert_eq!(identifier_key("  MRN-0001\t"), "mrn-0001");
        assert_eq!(identifier_key("e-77"), "e-77");
    }
}
