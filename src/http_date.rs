//! The HTTP date format of a cookie's `Expires`, from Unix milliseconds.
//! (Reading dates is the browser's job: `Date.parse`.)

use crate::prelude::*;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats Unix milliseconds as an HTTP date (seconds precision), within
/// the years 1970 to 9999.
pub fn format_http_date(millis: i64) -> String {
    let seconds = millis.clamp(0, 253_402_300_799_999) / 1000;
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(29);
    out.push_str(WEEKDAYS[days.rem_euclid(7) as usize]);
    out.push_str(", ");
    push2(&mut out, day);
    out.push(' ');
    out.push_str(MONTHS[(month - 1).clamp(0, 11) as usize]);
    out.push(' ');
    push2(&mut out, year / 100);
    push2(&mut out, year % 100);
    out.push(' ');
    push2(&mut out, of_day / 3600);
    out.push(':');
    push2(&mut out, of_day / 60 % 60);
    out.push(':');
    push2(&mut out, of_day % 60);
    out.push_str(" GMT");
    out
}

fn push2(out: &mut String, value: i64) {
    out.push((b'0' + (value / 10 % 10) as u8) as char);
    out.push((b'0' + (value % 10) as u8) as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(
            format_http_date(784_111_777_000),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_http_date(1_709_164_800_999),
            "Thu, 29 Feb 2024 00:00:00 GMT"
        );
        assert_eq!(
            format_http_date(951_782_400_000),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            format_http_date(4_102_444_799_000),
            "Thu, 31 Dec 2099 23:59:59 GMT"
        );
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        assert_eq!(format_http_date(i64::MIN), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(-1), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
}
