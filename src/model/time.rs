//! Recorded times (SPEC 9): UTC milliseconds since the Unix epoch, read
//! from and shown as `YYYY-MM-DDTHH:MM:SS.fffZ`; a TIME literal (SPEC 4.1)
//! is that, with no or exactly three fraction digits, or a DATE (midnight).

use super::Date;

/// What is wrong with a TIME literal, and at which byte of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeError {
    /// Byte offset within the literal.
    pub offset: usize,
    /// What is wrong (`hour 25 is not 00–23`).
    pub message: String,
}

const MS_PER_DAY: i64 = 86_400_000;

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses a TIME literal: `YYYY-MM-DD` (00:00:00Z of that day) or
/// `YYYY-MM-DDTHH:MM:SS[.fff]Z`. Times before 1970 read as 0 (before
/// every recorded write).
pub fn parse_time(text: &str) -> Result<u64, TimeError> {
    let err = |offset: usize, message: String| TimeError { offset, message };
    let date_text = text.get(..10).unwrap_or(text);
    let Some(date) = Date::parse(date_text) else {
        return Err(err(
            0,
            format!("\"{date_text}\" is not a real day (YYYY-MM-DD)"),
        ));
    };
    let number = |from: usize, len: usize| -> Option<i64> {
        let digits = text.get(from..from + len)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (
        number(0, 4).unwrap_or(0),
        number(5, 2).unwrap_or(0),
        number(8, 2).unwrap_or(0),
    );
    debug_assert_eq!(date.to_string(), date_text);
    let mut ms = days_from_civil(year, month, day) * MS_PER_DAY;
    if text.len() > 10 {
        let form = "a time is YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DDTHH:MM:SS.fffZ (UTC)";
        if text.as_bytes()[10] != b'T' {
            return Err(err(10, format!("expected \"T\" after the date: {form}")));
        }
        let separators = [(13, b':'), (16, b':')];
        for (at, want) in separators {
            if text.as_bytes().get(at) != Some(&want) {
                return Err(err(at, format!("expected \":\" here: {form}")));
            }
        }
        let field = |from: usize, name: &str, max: i64| -> Result<i64, TimeError> {
            match number(from, 2) {
                None => Err(err(from, format!("the {name} must be two digits: {form}"))),
                Some(n) if n > max => Err(err(
                    from,
                    format!("{name} {n:02} is out of range (00–{max:02})"),
                )),
                Some(n) => Ok(n),
            }
        };
        let hour = field(11, "hour", 23)?;
        let minute = field(14, "minute", 59)?;
        let second = field(17, "second", 59)?;
        let mut at = 19;
        let mut fraction = 0;
        if text.as_bytes().get(at) == Some(&b'.') {
            fraction = number(at + 1, 3)
                .filter(|_| {
                    text.as_bytes()
                        .get(at + 4)
                        .is_none_or(|b| !b.is_ascii_digit())
                })
                .ok_or_else(|| {
                    err(
                        at + 1,
                        format!("milliseconds take exactly three digits: {form}"),
                    )
                })?;
            at += 4;
        }
        if text.get(at..) != Some("Z") {
            return Err(err(
                at,
                format!("a time ends in \"Z\" (UTC), nothing after it: {form}"),
            ));
        }
        ms += ((hour * 60 + minute) * 60 + second) * 1000 + fraction;
    }
    Ok(u64::try_from(ms).unwrap_or(0))
}

/// Shows a recorded time as `YYYY-MM-DDTHH:MM:SS.fffZ`.
pub fn format_time(ms: u64) -> String {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    let (days, rest) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders() {
        let t = parse_time("2026-12-05T09:30:00.123Z").expect("parses");
        assert_eq!(format_time(t), "2026-12-05T09:30:00.123Z");
        assert_eq!(
            parse_time("2026-12-05").expect("day"),
            parse_time("2026-12-05T00:00:00Z").expect("time")
        );
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_time(parse_time("2024-02-29T23:59:59Z").expect("leap")),
            "2024-02-29T23:59:59.000Z"
        );
    }

    #[test]
    fn says_what_is_wrong() {
        let e = parse_time("2026-12-05T25:00:00Z").expect_err("hour 25");
        assert_eq!(e.offset, 11);
        assert!(e.message.contains("hour 25"), "{}", e.message);
        assert_eq!(parse_time("2026-02-30").expect_err("day").offset, 0);
        assert_eq!(parse_time("2026-12-05T10:00:00").expect_err("Z").offset, 19);
        assert_eq!(
            parse_time("2026-12-05T10:00:00.1Z").expect_err("ms").offset,
            20
        );
        assert_eq!(
            parse_time("2026-12-05T10:60:00Z").expect_err("min").offset,
            14
        );
    }
}
