//! Pairing codes: a random secret shown on the first device and typed on the others, in place
//! of a passphrase the user would have to invent. 24 random Crockford base32 symbols (120 bits,
//! far beyond guessing even at a cheap Argon2 cost) and one check symbol, in five groups of five:
//! `7K3QF-XB1MZ-…`. The check catches a mistyped symbol (31 times in 32), which matters because a
//! wrong code does not fail — it derives another, empty group.
//!
//! Typing is forgiving as Crockford intends: case, dashes and spaces do not matter, `O` reads as
//! `0`, `I` and `L` as `1`.

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::SyncError;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_SYMBOLS: usize = 24;
const GROUP_LEN: usize = 5;
const CHECK_LABEL: &[u8] = b"omniroute-sync/v1/pairing-check";

/// A pairing code in its canonical form (upper case, grouped). Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode(Zeroizing<String>);

impl PairingCode {
    /// A fresh code from the operating system's randomness.
    pub fn generate() -> Result<Self, SyncError> {
        let mut random = Zeroizing::new([0u8; DATA_SYMBOLS * 5 / 8]);
        getrandom::fill(random.as_mut()).map_err(|e| SyncError::Random(e.to_string()))?;
        let mut values = Zeroizing::new(Vec::with_capacity(DATA_SYMBOLS + 1));
        // Five bits per symbol, most significant first.
        for index in 0..DATA_SYMBOLS {
            let bit = index * 5;
            let pair = u16::from(random[bit / 8]) << 8
                | u16::from(random.get(bit / 8 + 1).copied().unwrap_or(0));
            values.push(((pair >> (11 - bit % 8)) & 0x1f) as u8);
        }
        let check = check_symbol(&values);
        values.push(check);
        Ok(Self::from_values(&values))
    }

    /// Reads a code as typed. Refuses wrong lengths, foreign characters and a failed check.
    pub fn parse(typed: &str) -> Result<Self, SyncError> {
        let mut values = Zeroizing::new(Vec::with_capacity(DATA_SYMBOLS + 1));
        for character in typed.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')) {
            let symbol = match character.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let value = ALPHABET
                .iter()
                .position(|letter| char::from(*letter) == symbol)
                .ok_or(SyncError::InvalidPairingCode(
                    "a character is not in the code's alphabet",
                ))?;
            values.push(value as u8);
        }
        if values.len() != DATA_SYMBOLS + 1 {
            return Err(SyncError::InvalidPairingCode("a code has 25 characters"));
        }
        if check_symbol(&values[..DATA_SYMBOLS]) != values[DATA_SYMBOLS] {
            return Err(SyncError::InvalidPairingCode("a character was mistyped"));
        }
        Ok(Self::from_values(&values))
    }

    /// The code to show the user, and what keys are derived from.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn from_values(values: &[u8]) -> Self {
        let mut text = Zeroizing::new(String::with_capacity(
            values.len() + values.len() / GROUP_LEN,
        ));
        for (index, value) in values.iter().enumerate() {
            if index > 0 && index % GROUP_LEN == 0 {
                text.push('-');
            }
            text.push(char::from(ALPHABET[usize::from(*value & 0x1f)]));
        }
        Self(text)
    }
}

fn check_symbol(data: &[u8]) -> u8 {
    let digest = Sha256::new()
        .chain_update(CHECK_LABEL)
        .chain_update(data)
        .finalize();
    digest[0] >> 3
}

impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairingCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back_however_they_are_typed() {
        let code = PairingCode::generate().unwrap();
        let text = code.as_str();
        assert_eq!(text.len(), 29);
        assert_eq!(text.matches('-').count(), 4);
        assert_eq!(PairingCode::parse(text).unwrap(), code);
        let sloppy = text
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(PairingCode::parse(&sloppy).unwrap(), code);
        assert_ne!(PairingCode::generate().unwrap(), code);
        assert!(!format!("{code:?}").contains(&text[..5]));
    }

    #[test]
    fn a_mistyped_symbol_is_caught() {
        let code = PairingCode::generate().unwrap();
        let mut caught = 0;
        let mut tried = 0;
        for position in (0..29).filter(|p| p % 6 != 5) {
            for replacement in ALPHABET.iter().map(|b| char::from(*b)) {
                let mut typed: Vec<char> = code.as_str().chars().collect();
                if typed[position] == replacement {
                    continue;
                }
                typed[position] = replacement;
                tried += 1;
                caught +=
                    usize::from(PairingCode::parse(&typed.iter().collect::<String>()).is_err());
            }
        }
        // The check symbol is 5 bits: about one typo in 32 slips through.
        assert!(caught * 100 >= tried * 90, "caught {caught} of {tried}");
    }

    #[test]
    fn wrong_lengths_and_characters_are_refused() {
        let code = PairingCode::generate().unwrap();
        assert!(PairingCode::parse(&code.as_str()[..28]).is_err());
        assert!(PairingCode::parse(&format!("{}0", code.as_str())).is_err());
        assert!(
            PairingCode::parse(&code.as_str().replacen(
                |c: char| c.is_ascii_alphanumeric(),
                "U",
                1
            ))
            .is_err()
        );
        assert!(PairingCode::parse("").is_err());
    }
}
