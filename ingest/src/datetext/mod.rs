//! Dates written in words, in French and English ("le samedi 5 décembre 2026
//! à 20 h", "December 5, 2026 at 8 PM", "du 3 au 5 décembre"), and
//! `date_format` patterns with French or English month and day names.
//!
//! Both halves are pure and hand-written (no regex): the text is folded
//! (lower case, accents removed, dashes and apostrophes unified), cut into
//! numbers, words and punctuation, and a small recursive-descent parser tries
//! every position in turn. Nothing here reads a clock: a date without a year
//! takes its year from a reference date given by the caller.
//!
//! `free` finds a date in free text ([`find_date`]); `format` reads a
//! source's `date_format` ([`parse_with_format`]). Both share the folding,
//! the month and weekday words and the year inference below.

use chrono::{Datelike, Duration, NaiveDate};

mod format;
mod free;

#[cfg(test)]
mod tests;

pub use format::{parse_with_format, parse_with_format_on};
pub use free::{find_date, FoundDate};

/// Lower case, accents removed, dashes to '-', apostrophes to '\'', every
/// kind of space to ' '.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' | 'ý' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2018}' | '\u{2019}' | '\u{02bc}' => out.push('\''),
            // Combining accents (text in NFD).
            '\u{0300}'..='\u{036f}' => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn month_of(word: &str) -> Option<u32> {
    Some(match word {
        "janvier" | "janv" | "jan" | "january" => 1,
        "fevrier" | "fevr" | "fev" | "feb" | "february" | "febr" => 2,
        "mars" | "mar" | "march" => 3,
        "avril" | "avr" | "apr" | "april" => 4,
        "mai" | "may" => 5,
        "juin" | "jun" | "june" => 6,
        "juillet" | "juil" | "jul" | "july" => 7,
        "aout" | "aug" | "august" => 8,
        "septembre" | "sept" | "sep" | "september" => 9,
        "octobre" | "oct" | "october" => 10,
        "novembre" | "nov" | "november" => 11,
        "decembre" | "dec" | "december" => 12,
        _ => return None,
    })
}

fn is_weekday(word: &str) -> bool {
    matches!(
        word,
        "lundi"
            | "lun"
            | "mardi"
            | "mar"
            | "mercredi"
            | "mer"
            | "jeudi"
            | "jeu"
            | "vendredi"
            | "ven"
            | "samedi"
            | "sam"
            | "dimanche"
            | "dim"
            | "monday"
            | "mon"
            | "tuesday"
            | "tue"
            | "tues"
            | "wednesday"
            | "wed"
            | "thursday"
            | "thu"
            | "thur"
            | "thurs"
            | "friday"
            | "fri"
            | "saturday"
            | "sat"
            | "sunday"
            | "sun"
    )
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    if !(1900..=2200).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The first `month`/`day` on or after `reference - 7 days`.
fn infer_year(month: u32, day: u32, reference: NaiveDate) -> Option<NaiveDate> {
    let from = reference.checked_sub_signed(Duration::days(7))?;
    (0..9).find_map(|k| ymd(from.year() + k, month, day).filter(|d| *d >= from))
}
