use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar day, `YYYY-MM-DD` (SPEC section 1). Orders by day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Builds a date if it is a real calendar day (years 0000–9999).
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year <= 9999 && (1..=days_in_month).contains(&day)).then_some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`; `None` for anything else or a day that
    /// does not exist (`2023-02-30`).
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            b[range].iter().try_fold(0u16, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
            })
        };
        let month = u8::try_from(digits(5..7)?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        Date::from_ymd(digits(0..4)?, month, day)
    }

    /// The day `days` after 1970-01-01 (UTC), if it is in years 0000–9999.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        // Far beyond the years a Date holds; keeps the arithmetic in range.
        if days.unsigned_abs() > 1 << 40 {
            return None;
        }
        let (year, month, day) = super::time::civil_from_days(days);
        Date::from_ymd(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// Days from 1970-01-01 (UTC) to this date; [`Date::from_unix_days`]
    /// turns them back.
    pub fn unix_days(self) -> i64 {
        super::time::days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }

    /// The year, month and day.
    pub fn ymd(self) -> (u16, u8, u8) {
        (self.year, self.month, self.day)
    }

    /// The date as a number that orders like the date (`20240131`), used for
    /// order-preserving index keys.
    pub fn ordinal(self) -> u32 {
        u32::from(self.year) * 10_000 + u32::from(self.month) * 100 + u32::from(self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_days_only() {
        assert_eq!(
            Date::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("1900-02-29"), None);
        assert_eq!(
            Date::parse("2000-02-29").map(|d| d.ordinal()),
            Some(20000229)
        );
        assert_eq!(Date::parse("2024-13-01"), None);
        assert_eq!(Date::parse("2024-1-01"), None);
        assert_eq!(Date::parse("2024-01-00"), None);
        assert_eq!(Date::parse("+024-01-01"), None);
    }

    #[test]
    fn days_since_1970() {
        let day = |n| Date::from_unix_days(n).map(|d| d.to_string());
        assert_eq!(day(0).as_deref(), Some("1970-01-01"));
        assert_eq!(day(16_436).as_deref(), Some("2015-01-01"));
        assert_eq!(day(-1).as_deref(), Some("1969-12-31"));
        assert_eq!(day(i64::MAX), None);
        let days = |text| Date::parse(text).map(Date::unix_days);
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2000-03-01"), Some(11_017));
        assert_eq!(days("1969-12-31"), Some(-1));
        for n in [-719_468, -1, 0, 59, 11_016, 20_000, 2_932_896] {
            assert_eq!(Date::from_unix_days(n).map(Date::unix_days), Some(n));
        }
        assert_eq!(day(-800_000), None);
    }

    #[test]
    fn orders_by_day() {
        let a = Date::parse("2023-12-31");
        let b = Date::parse("2024-01-01");
        assert!(a < b);
    }
}
