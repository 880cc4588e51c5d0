//! GS1 element strings as a barcode scanner types them: what a biologic's label says about the
//! product (GTIN), its lot, expiry and serial number.
//!
//! A scanner in keyboard mode sends the symbol's content: optionally its symbology identifier
//! (`]d2` GS1 DataMatrix, `]C1` GS1-128, `]Q3` GS1 QR Code, `]e0` GS1 DataBar), then
//! Application Identifiers (AIs) each followed by its data. Fixed-length AIs (01 GTIN, 17
//! expiry …) need no separator; a variable-length one (10 lot, 21 serial …) ends at the FNC1
//! separator, sent as ASCII 29 (GS), unless it is last. People also type the human-readable
//! form, each AI in parentheses: `(01)09506000134352(17)261231(10)A1B2`. Both are read here.
//!
//! Source: GS1 General Specifications (AI definitions, lengths and the check digit), as
//! summarised in REFERENCES.md: AI 01 GTIN, 14 digits with a mod-10 check digit; AI 17 expiry
//! YYMMDD where day 00 means the last day of the month; AI 10 lot and AI 21 serial, up to 20
//! characters. Only the AIs a biologic's label needs are read; any other is refused by name,
//! because without knowing its length the rest of an unbracketed string cannot be read.

use jiff::civil::Date;
use std::fmt;

/// The ASCII group separator a scanner sends for FNC1.
pub const GROUP_SEPARATOR: char = '\u{1d}';

/// A GTIN-14 whose check digit is right.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gtin(String);

impl Gtin {
    /// Fourteen digits with a correct check digit; GTIN-8, -12 and -13 are padded with leading
    /// zeros, as GS1 writes them inside AI 01.
    pub fn parse(text: &str) -> Result<Self, Gs1Error> {
        let digits = text.trim();
        if digits.is_empty() || digits.len() > 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Gs1Error::GtinShape(digits.to_owned()));
        }
        if ![8, 12, 13, 14].contains(&digits.len()) {
            return Err(Gs1Error::GtinShape(digits.to_owned()));
        }
        let padded = format!("{digits:0>14}");
        let expected = check_digit(&padded[..13]);
        let given = padded.as_bytes()[13] - b'0';
        if given != expected {
            return Err(Gs1Error::GtinCheckDigit {
                gtin: padded,
                expected,
            });
        }
        Ok(Self(padded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The GS1 mod-10 check digit of `digits` (all but the last digit of a GTIN): from the right,
/// weights 3, 1, 3, 1 …; the digit that brings the sum to a multiple of ten.
pub fn check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// What a label's element string says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelData {
    /// AI 01.
    pub gtin: Option<Gtin>,
    /// AI 10.
    pub lot: Option<String>,
    /// AI 17, day 00 read as the month's last day.
    pub expiry: Option<Date>,
    /// AI 21.
    pub serial: Option<String>,
    /// AI 11.
    pub production_date: Option<Date>,
}

/// Why an element string could not be read; each says where and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gs1Error {
    Empty,
    /// The text at this character position is not an AI this reader knows.
    UnknownAi {
        at: usize,
        ai: String,
    },
    /// An AI's data is shorter than its fixed length, or empty.
    TooShort {
        ai: &'static str,
        name: &'static str,
    },
    /// A variable-length value longer than the AI allows.
    TooLong {
        ai: &'static str,
        name: &'static str,
        max: usize,
    },
    /// A character GS1 does not allow in this AI's data.
    BadCharacter {
        ai: &'static str,
        name: &'static str,
        found: char,
    },
    GtinShape(String),
    GtinCheckDigit {
        gtin: String,
        expected: u8,
    },
    /// YYMMDD that is no date.
    BadDate {
        ai: &'static str,
        text: String,
    },
    /// The same AI twice with different data.
    Repeated {
        ai: &'static str,
    },
    /// A parenthesised string whose text between AIs is not `(NN)data`.
    Bracketed {
        at: usize,
    },
}

impl fmt::Display for Gs1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gs1Error::Empty => f.write_str(
                "nothing was scanned; scan the label's barcode again or type the values",
            ),
            Gs1Error::UnknownAi { at, ai } => write!(
                f,
                "the scan has “{ai}” at character {at} where a GS1 Application Identifier this form reads should be (01 GTIN, 10 lot, 11 production date, 17 expiry, 21 serial); type the values instead"
            ),
            Gs1Error::TooShort { ai, name } => {
                write!(
                    f,
                    "the {name} (AI {ai}) in the scan is cut short; scan again"
                )
            }
            Gs1Error::TooLong { ai, name, max } => write!(
                f,
                "the {name} (AI {ai}) in the scan is longer than {max} characters: the scanner may not be sending the separator between fields; check its GS1 settings or type the values"
            ),
            Gs1Error::BadCharacter { ai, name, found } => write!(
                f,
                "the {name} (AI {ai}) in the scan has “{}”, which a GS1 barcode cannot hold; scan again or type the values",
                found.escape_default()
            ),
            Gs1Error::GtinShape(text) => write!(
                f,
                "the GTIN “{text}” is not 8, 12, 13 or 14 digits; copy it from the label"
            ),
            Gs1Error::GtinCheckDigit { gtin, expected } => write!(
                f,
                "the GTIN {gtin} has a wrong check digit (its last digit should be {expected}): a digit was misread or mistyped; scan or copy it again"
            ),
            Gs1Error::BadDate { ai, text } => write!(
                f,
                "the date “{text}” (AI {ai}) is not a date written YYMMDD; scan again or type the date"
            ),
            Gs1Error::Repeated { ai } => write!(
                f,
                "the scan holds AI {ai} twice with different values; scan one label at a time"
            ),
            Gs1Error::Bracketed { at } => write!(
                f,
                "the text at character {at} is not an Application Identifier in parentheses such as (10); check what was typed"
            ),
        }
    }
}

impl std::error::Error for Gs1Error {}

/// How an AI's data is laid out.
#[derive(Clone, Copy)]
enum Length {
    Fixed(usize),
    UpTo(usize),
}

#[derive(Clone, Copy)]
struct Ai {
    code: &'static str,
    name: &'static str,
    length: Length,
    numeric: bool,
}

/// The AIs a biologic's label uses. Others are refused by name (see the module header).
const AIS: [Ai; 5] = [
    Ai {
        code: "01",
        name: "GTIN",
        length: Length::Fixed(14),
        numeric: true,
    },
    Ai {
        code: "10",
        name: "lot number",
        length: Length::UpTo(20),
        numeric: false,
    },
    Ai {
        code: "11",
        name: "production date",
        length: Length::Fixed(6),
        numeric: true,
    },
    Ai {
        code: "17",
        name: "expiry date",
        length: Length::Fixed(6),
        numeric: true,
    },
    Ai {
        code: "21",
        name: "serial number",
        length: Length::UpTo(20),
        numeric: false,
    },
];

/// The characters GS1 allows in alphanumeric AI data (the 82-character set).
fn is_gs1_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// Reads a scanned or typed element string. `today` decides the century of a two-digit year
/// (GS1's rule: within 49 years back and 50 ahead of the current year).
pub fn parse(scanned: &str, today: Date) -> Result<LabelData, Gs1Error> {
    let text = scanned.trim_matches(|c: char| c.is_whitespace() && c != GROUP_SEPARATOR);
    let text = ["]d2", "]C1", "]Q3", "]e0"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .unwrap_or(text);
    // Some scanners lead with FNC1 as well.
    let text = text.trim_start_matches(GROUP_SEPARATOR);
    if text.is_empty() {
        return Err(Gs1Error::Empty);
    }
    let fields = if text.starts_with('(') {
        bracketed(text)?
    } else {
        unbracketed(text)?
    };
    let mut data = LabelData::default();
    for (ai, value) in fields {
        check_characters(ai, &value)?;
        match ai.code {
            "01" => set(&mut data.gtin, Gtin::parse(&value)?, ai)?,
            "10" => set(&mut data.lot, value, ai)?,
            "11" => set(&mut data.production_date, date(ai, &value, today)?, ai)?,
            "17" => set(&mut data.expiry, date(ai, &value, today)?, ai)?,
            _ => set(&mut data.serial, value, ai)?,
        }
    }
    Ok(data)
}

fn set<T: PartialEq>(slot: &mut Option<T>, value: T, ai: Ai) -> Result<(), Gs1Error> {
    match slot {
        Some(existing) if *existing != value => Err(Gs1Error::Repeated { ai: ai.code }),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn known(code: &str) -> Option<Ai> {
    AIS.iter().copied().find(|ai| ai.code == code)
}

/// `01095060001343521726123110A1B2<GS>21XYZ`: fixed-length AIs by their length, variable ones
/// up to the separator or the end.
fn unbracketed(text: &str) -> Result<Vec<(Ai, String)>, Gs1Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut fields = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if chars[at] == GROUP_SEPARATOR {
            at += 1;
            continue;
        }
        let code: String = chars[at..chars.len().min(at + 2)].iter().collect();
        let Some(ai) = known(&code) else {
            return Err(Gs1Error::UnknownAi {
                at: at + 1,
                ai: chars[at..chars.len().min(at + 4)].iter().collect(),
            });
        };
        at += 2;
        let value: String = match ai.length {
            Length::Fixed(n) => {
                let end = at + n;
                if end > chars.len() || chars[at..end].contains(&GROUP_SEPARATOR) {
                    return Err(Gs1Error::TooShort {
                        ai: ai.code,
                        name: ai.name,
                    });
                }
                let value = chars[at..end].iter().collect();
                at = end;
                value
            }
            Length::UpTo(max) => {
                let end = chars[at..]
                    .iter()
                    .position(|c| *c == GROUP_SEPARATOR)
                    .map_or(chars.len(), |p| at + p);
                if end - at > max {
                    return Err(Gs1Error::TooLong {
                        ai: ai.code,
                        name: ai.name,
                        max,
                    });
                }
                let value = chars[at..end].iter().collect();
                at = end;
                value
            }
        };
        fields.push((ai, value));
    }
    Ok(fields)
}

/// `(01)09506000134352(17)261231(10)A1B2`: each AI in parentheses, its data up to the next
/// parenthesised AI this reader knows (a lot may hold parentheses of its own).
fn bracketed(text: &str) -> Result<Vec<(Ai, String)>, Gs1Error> {
    let chars: Vec<char> = text.chars().collect();
    // Where each "(NN)" naming a known AI starts.
    let starts: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            chars[i] == '('
                && chars.get(i + 3) == Some(&')')
                && known(&chars[i + 1..i + 3].iter().collect::<String>()).is_some()
        })
        .collect();
    if starts.first() != Some(&0) {
        return Err(Gs1Error::Bracketed { at: 1 });
    }
    let mut fields = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let code: String = chars[start + 1..start + 3].iter().collect();
        let Some(ai) = known(&code) else {
            return Err(Gs1Error::Bracketed { at: start + 1 });
        };
        let end = starts.get(n + 1).copied().unwrap_or(chars.len());
        let value: String = chars[start + 4..end]
            .iter()
            .filter(|c| **c != GROUP_SEPARATOR)
            .collect::<String>()
            .trim()
            .to_owned();
        let fits = match ai.length {
            Length::Fixed(n) => value.chars().count() == n,
            Length::UpTo(max) => {
                let count = value.chars().count();
                if count > max {
                    return Err(Gs1Error::TooLong {
                        ai: ai.code,
                        name: ai.name,
                        max,
                    });
                }
                count > 0
            }
        };
        if !fits {
            return Err(Gs1Error::TooShort {
                ai: ai.code,
                name: ai.name,
            });
        }
        fields.push((ai, value));
    }
    Ok(fields)
}

fn check_characters(ai: Ai, value: &str) -> Result<(), Gs1Error> {
    let allowed = |c: char| {
        if ai.numeric {
            c.is_ascii_digit()
        } else {
            is_gs1_character(c)
        }
    };
    match value.chars().find(|c| !allowed(*c)) {
        Some(found) => Err(Gs1Error::BadCharacter {
            ai: ai.code,
            name: ai.name,
            found,
        }),
        None if value.is_empty() => Err(Gs1Error::TooShort {
            ai: ai.code,
            name: ai.name,
        }),
        None => Ok(()),
    }
}

/// YYMMDD → a date: the century puts the year within 49 years back and 50 ahead of `today`
/// (GS1 General Specifications, "determination of century in dates"); day 00 is the month's
/// last day.
fn date(ai: Ai, text: &str, today: Date) -> Result<Date, Gs1Error> {
    let bad = || Gs1Error::BadDate {
        ai: ai.code,
        text: text.to_owned(),
    };
    let number = |range: std::ops::Range<usize>| -> Result<i16, Gs1Error> {
        text.get(range)
            .and_then(|t| t.parse::<i16>().ok())
            .ok_or_else(bad)
    };
    let (yy, month, day) = (number(0..2)?, number(2..4)?, number(4..6)?);
    let current = today.year();
    let century = current - current % 100;
    let mut year = century + yy;
    if year - current > 50 {
        year -= 100;
    } else if current - year > 49 {
        year += 100;
    }
    let month = i8::try_from(month).map_err(|_| bad())?;
    let first = Date::new(year, month, 1).map_err(|_| bad())?;
    if day == 0 {
        return Ok(first.last_of_month());
    }
    let day = i8::try_from(day).map_err(|_| bad())?;
    Date::new(year, month, day).map_err(|_| bad())
}

/// The element string for `data` as a GS1 DataMatrix scanner types it: `]d2`, fixed-length
/// AIs first, variable ones after with the separator between them. Used to print a test label
/// and by the tests.
pub fn element_string(data: &LabelData) -> String {
    let mut out = String::from("]d2");
    let yymmdd = |d: Date| d.strftime("%y%m%d").to_string();
    if let Some(gtin) = &data.gtin {
        out.push_str("01");
        out.push_str(gtin.as_str());
    }
    if let Some(d) = data.production_date {
        out.push_str("11");
        out.push_str(&yymmdd(d));
    }
    if let Some(d) = data.expiry {
        out.push_str("17");
        out.push_str(&yymmdd(d));
    }
    let variable: Vec<String> = [("10", &data.lot), ("21", &data.serial)]
        .into_iter()
        .filter_map(|(ai, value)| value.as_ref().map(|v| format!("{ai}{v}")))
        .collect();
    out.push_str(&variable.join(&GROUP_SEPARATOR.to_string()));
    out
}
