//! Calendar dates from the Unix times (milliseconds) stored in every table, in UTC.

/// The (year, month, day) of a Unix time in milliseconds (Howard Hinnant's civil-from-days).
pub fn civil(epoch_ms: i64) -> (i64, u32, u32) {
    let days = epoch_ms.div_euclid(86_400_000) + 719_468;
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

/// `2026-11-26`: for `<time datetime>` and for grouping by day.
pub fn iso_date(epoch_ms: i64) -> String {
    let (year, month, day) = civil(epoch_ms);
    format!("{year:04}-{month:02}-{day:02}")
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
        assert_eq!(iso_date(1_709_164_800_000), "2024-02-29");
    }
}
