//! Money as integer centavos (SPEC §6): never floating point.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul};

use serde::Serialize;

/// An amount of Brazilian reais in centavos.
///
/// `Display` gives the Brazilian form used on bills: `R$ 1.234,56`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);
}

impl Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

impl AddAssign for Cents {
    fn add_assign(&mut self, rhs: Cents) {
        self.0 += rhs.0;
    }
}

impl Mul<i64> for Cents {
    type Output = Cents;
    fn mul(self, rhs: i64) -> Cents {
        Cents(self.0 * rhs)
    }
}

impl Cents {
    /// Reais with a decimal point and two decimals, no grouping: `1234.56`, `-0.05`.
    pub fn decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents::ZERO, Add::add)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let reais = (abs / 100).to_string();
        // Thousands are grouped with '.', as Brazilian bills print them.
        let mut grouped = String::with_capacity(reais.len() + reais.len() / 3);
        for (i, digit) in reais.chars().enumerate() {
            if i > 0 && (reais.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}R$ {grouped},{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_have_a_point_and_two_places() {
        for (cents, text) in
            [(0, "0.00"), (5, "0.05"), (9081, "90.81"), (9080, "90.80"), (123_456, "1234.56"), (-5, "-0.05")]
        {
            assert_eq!(Cents(cents).decimal(), text);
        }
    }

    #[test]
    fn displays_in_brazilian_form() {
        let cases = [
            (0, "R$ 0,00"),
            (5, "R$ 0,05"),
            (36, "R$ 0,36"),
            (99, "R$ 0,99"),
            (100, "R$ 1,00"),
            (8694, "R$ 86,94"),
            (99_999, "R$ 999,99"),
            (123_456, "R$ 1.234,56"),
            (100_000_000, "R$ 1.000.000,00"),
            (-1_050, "-R$ 10,50"),
            (i64::MIN, "-R$ 92.233.720.368.547.758,08"),
        ];
        for (cents, shown) in cases {
            assert_eq!(Cents(cents).to_string(), shown, "{cents} centavos");
        }
    }

    #[test]
    fn sums_and_multiplies() {
        assert_eq!([Cents(36), Cents(63)].into_iter().sum::<Cents>(), Cents(99));
        assert_eq!(Cents(9) * 7, Cents(63));
    }
}
