//! Timestamps the SDK reads and writes: RFC 3339 (API objects) and the HTTP
//! date format (the `Date` header, cookie `Expires`), as Unix milliseconds.

use crate::prelude::*;

use super::text;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

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

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The number the ASCII digits `text` spell (one to nine of them).
fn number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 9 {
        return None;
    }
    digits(text.as_bytes())
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut n = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(n)
}

fn to_millis(date: (i64, i64, i64), time: (i64, i64, i64), millis: i64) -> Option<i64> {
    let (year, month, day) = date;
    let (hour, minute, second) = time;
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60_000
            + second * 1000
            + millis
    })
}

/// Parses `2024-05-01T12:30:45.123456Z` or with a `+hh:mm` offset.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    // Each field as the digits between fixed positions; the byte after it
    // must be its separator.
    let mut fields = [0i64; 6];
    for (i, (from, separator)) in [
        (0, b"-"),
        (5, b"-"),
        (8, b"T"),
        (11, b":"),
        (14, b":"),
        (17, b"."),
    ]
    .into_iter()
    .enumerate()
    {
        let width = if i == 0 { 4 } else { 2 };
        fields[i] = digits(b.get(from..from + width)?)?;
        let after = *b.get(from + width)?;
        let ok = match separator[0] {
            b'T' => matches!(after, b'T' | b't' | b' '),
            // The fraction is optional: the offset may follow at once.
            b'.' => true,
            expected => after == expected,
        };
        if !ok {
            return None;
        }
    }
    let mut pos = 19;
    let mut millis = 0;
    if b[pos] == b'.' {
        pos += 1;
        let mut scale = 100;
        while let Some(c) = b.get(pos).filter(|c| c.is_ascii_digit()) {
            millis += i64::from(c - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
        if pos == 20 {
            return None;
        }
    }
    let offset_minutes = match b.get(pos..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let [year, month, day, hour, minute, second] = fields;
    Some(to_millis((year, month, day), (hour, minute, second), millis)? - offset_minutes * 60_000)
}

/// Parses the HTTP date format, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let mut parts = text::split(text.trim(), b' ').filter(|p| !p.is_empty());
    let _weekday = parts.next()?;
    let day = number(parts.next()?)?;
    let month_name = parts.next()?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_name))? as i64
        + 1;
    let year = number(parts.next()?)?;
    let mut clock = text::split(parts.next()?, b':');
    let time = (
        number(clock.next()?)?,
        number(clock.next()?)?,
        number(clock.next()?)?,
    );
    if clock.next().is_some() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    to_millis((year, month, day), time, 0)
}

/// Formats Unix milliseconds as an HTTP date (seconds precision).
pub fn format_http_date(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(29);
    out.push_str(WEEKDAYS[days.rem_euclid(7) as usize]);
    out.push_str(", ");
    push2(&mut out, day);
    out.push(' ');
    out.push_str(MONTHS[(month - 1) as usize]);
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
    fn rfc3339_handles_fractions_offsets_and_leap_days() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2021-12-29T12:33:09Z"),
            Some(1_640_781_189_000)
        );
        assert_eq!(
            parse_rfc3339("2021-12-29T12:33:09.935673Z"),
            Some(1_640_781_189_935)
        );
        assert_eq!(
            parse_rfc3339("2021-12-29T12:33:09.9Z"),
            Some(1_640_781_189_900)
        );
        assert_eq!(
            parse_rfc3339("2021-12-29T14:33:09+02:00"),
            Some(1_640_781_189_000)
        );
        assert_eq!(
            parse_rfc3339("2021-12-29T10:33:09-02:00"),
            Some(1_640_781_189_000)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
        for bad in [
            "",
            "2023-02-29T00:00:00Z",
            "2021-13-01T00:00:00Z",
            "2021-12-29T24:00:00Z",
            "2021-12-29T12:33:09",
            "2021-12-29T12:33:09.Z",
            "2021-12-29 12:33Z",
            "x021-12-29T12:33:09Z",
            "2021-12-29T12:33:09+0200",
            "2021-12-29T12:33:09é",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates_parse_and_format_symmetrically() {
        let millis = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(millis, 784_111_777_000);
        assert_eq!(format_http_date(millis), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_http_date(1_709_164_800_999),
            "Thu, 29 Feb 2024 00:00:00 GMT"
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn formatting_round_trips_across_centuries() {
        let mut millis = -2_208_988_800_000; // 1900-01-01
        while millis < 4_102_444_800_000 {
            let text = format_http_date(millis);
            assert_eq!(parse_http_date(&text), Some(millis), "{text}");
            millis += 86_400_000 * 37 + 3_723_000;
        }
    }
}
