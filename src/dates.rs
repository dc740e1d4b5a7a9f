//! Calendar dates from the Unix times (milliseconds) stored in every table, in UTC.

/// A day's milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The (year, month, day) of a Unix time in milliseconds (Howard Hinnant's civil-from-days).
pub fn civil(epoch_ms: i64) -> (i64, u32, u32) {
    let days = epoch_ms.div_euclid(DAY_MS) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// The (year, month) of a Unix time in milliseconds.
pub fn year_month(epoch_ms: i64) -> (u32, u32) {
    let (year, month, _) = civil(epoch_ms);
    (u32::try_from(year).unwrap_or(0), month)
}

/// A date people read everywhere: `26 Nov 2026`.
pub fn long_date(epoch_ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day) = civil(epoch_ms);
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0).min(11)];
    format!("{day} {month} {year}")
}

/// A date and time (UTC) people read: `26 Nov 2026, 17:05`.
pub fn long_date_time(epoch_ms: i64) -> String {
    let minutes = epoch_ms.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{}, {:02}:{:02}",
        long_date(epoch_ms),
        minutes / 60,
        minutes % 60
    )
}

/// `2026-11-26`: for `<time datetime>` and for grouping by day.
pub fn iso_date(epoch_ms: i64) -> String {
    let (year, month, day) = civil(epoch_ms);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The Unix time (milliseconds) at which the UTC day `YYYY-MM-DD` begins; None for text that
/// is not such a date (Howard Hinnant's days-from-civil).
pub fn parse_iso_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let mut number = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
    };
    let (year, month, day) = (number(4)?, number(2)?, number(2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month[(month - 1) as usize] {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some((era * 146_097 + day_of_era - 719_468) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_give_their_calendar_date() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(civil(1_795_651_200_000), (2026, 11, 26));
        assert_eq!(civil(1_709_164_800_000), (2024, 2, 29), "a leap day");
        assert_eq!(
            civil(1_704_067_199_000),
            (2023, 12, 31),
            "2023-12-31 23:59:59"
        );
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(long_date(1_795_651_200_000), "26 Nov 2026");
        assert_eq!(
            long_date_time(1_795_651_200_000 + 17 * 3_600_000 + 5 * 60_000 + 59_999),
            "26 Nov 2026, 17:05"
        );
        assert_eq!(iso_date(1_709_164_800_000), "2024-02-29");
    }

    #[test]
    fn typed_dates_give_the_start_of_their_day() {
        assert_eq!(parse_iso_date("2026-11-26"), Some(1_795_651_200_000));
        assert_eq!(parse_iso_date("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_iso_date("1970-01-01"), Some(0));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-11-26",
            "",
            "2026-11-26x",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }
}
