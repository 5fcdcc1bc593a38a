//! Comparing one policy value with one request value, per operator family.
//! Negated operators are evaluated through their positive counterpart; the
//! caller applies the "matches none" rule.

use super::operator::BaseOperator;
use super::variables::PolicyValue;
use crate::glob::{Tok, match_tokens};

/// The positive counterpart of a negated operator (identity otherwise).
pub(crate) fn positive(op: BaseOperator) -> BaseOperator {
    use BaseOperator::*;
    match op {
        StringNotEquals => StringEquals,
        StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
        StringNotLike => StringLike,
        NumericNotEquals => NumericEquals,
        DateNotEquals => DateEquals,
        NotIpAddress => IpAddress,
        ArnNotEquals => ArnEquals,
        ArnNotLike => ArnLike,
        other => other,
    }
}

/// Does `request` satisfy the positive operator against `policy`?
/// `Err` explains why the pair cannot be compared (then it does not match).
pub(crate) fn matches(
    op: BaseOperator,
    value: &PolicyValue,
    request: &str,
) -> Result<bool, String> {
    use BaseOperator::*;
    let policy = value.text.as_str();
    match positive(op) {
        StringEquals => Ok(policy == request),
        StringEqualsIgnoreCase => Ok(policy.to_lowercase() == request.to_lowercase()),
        StringLike => Ok(match_tokens(&value.tokens, request, false)),
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            let p = parse_number(policy)
                .ok_or_else(|| format!("policy value \"{policy}\" is not a number"))?;
            let r = parse_number(request)
                .ok_or_else(|| format!("request value \"{request}\" is not a number"))?;
            Ok(relate(positive(op), p, r))
        }
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            let p = parse_date(policy).ok_or_else(|| {
                format!("policy value \"{policy}\" is not an ISO 8601 date or epoch time")
            })?;
            let r = parse_date(request)
                .ok_or_else(|| format!("request value \"{request}\" is not a date"))?;
            Ok(relate(
                match positive(op) {
                    DateEquals => NumericEquals,
                    DateLessThan => NumericLessThan,
                    DateLessThanEquals => NumericLessThanEquals,
                    DateGreaterThan => NumericGreaterThan,
                    _ => NumericGreaterThanEquals,
                },
                p,
                r,
            ))
        }
        Bool => {
            let p = parse_bool(policy)
                .ok_or_else(|| format!("policy value \"{policy}\" is not true or false"))?;
            let r = parse_bool(request)
                .ok_or_else(|| format!("request value \"{request}\" is not true or false"))?;
            Ok(p == r)
        }
        BinaryEquals => Ok(policy == request),
        ArnEquals | ArnLike => Ok(arn_like(&value.tokens, request)),
        IpAddress => Err(
            "hoist does not evaluate IpAddress/NotIpAddress; treated as not matching".to_owned(),
        ),
        Null => Err("Null is evaluated on presence, not values".to_owned()),
        _ => unreachable!("positive() never returns a negated operator"),
    }
}

fn relate(op: BaseOperator, policy: f64, request: f64) -> bool {
    match op {
        BaseOperator::NumericEquals => request == policy,
        BaseOperator::NumericLessThan => request < policy,
        BaseOperator::NumericLessThanEquals => request <= policy,
        BaseOperator::NumericGreaterThan => request > policy,
        _ => request >= policy,
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// ARN matching as IAM does it: the six colon-separated parts (`arn`,
/// partition, service, region, account, resource) are compared one by one,
/// each with `*`/`?` wildcards; the resource part keeps any further colons.
/// A bare `*` matches every ARN. A pattern that is not a six-part ARN is
/// compared as a whole.
pub(crate) fn arn_like(pattern: &[Tok], request: &str) -> bool {
    if pattern == [Tok::Star] {
        return true;
    }
    let p = split_arn_tokens(pattern);
    let r: Vec<&str> = request.splitn(6, ':').collect();
    if p.len() != 6 || r.len() != 6 {
        return p.len() == r.len() && match_tokens(pattern, request, false);
    }
    p.iter().zip(&r).all(|(pp, rp)| match_tokens(pp, rp, false))
}

/// Splits a compiled ARN pattern on its first five literal colons.
pub(crate) fn split_arn_tokens(pattern: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::with_capacity(6);
    let mut start = 0;
    for (i, t) in pattern.iter().enumerate() {
        if parts.len() == 5 {
            break;
        }
        if *t == Tok::Lit(':') {
            parts.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    parts.push(&pattern[start..]);
    parts
}

/// Seconds since the epoch from an epoch number or an ISO 8601 date
/// (`2026-01-02`, `2026-01-02T03:04:05Z`, `…T03:04:05.123+02:00`, `…T03:04Z`).
pub(crate) fn parse_date(s: &str) -> Option<f64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<f64>().ok();
    }
    let (date, time) = match s.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut dparts = date.split('-');
    let y: i64 = dparts.next()?.parse().ok()?;
    let m: i64 = dparts.next()?.parse().ok()?;
    let d: i64 = dparts.next()?.parse().ok()?;
    if dparts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) as f64 * 86_400.0;
    if let Some(t) = time {
        let (clock, offset) = split_offset(t)?;
        let mut cparts = clock.split(':');
        let h: f64 = cparts.next()?.parse().ok()?;
        let mi: f64 = cparts.next()?.parse().ok()?;
        let sec: f64 = match cparts.next() {
            Some(v) => v.parse().ok()?,
            None => 0.0,
        };
        if cparts.next().is_some()
            || !(0.0..24.0).contains(&h)
            || !(0.0..60.0).contains(&mi)
            || !(0.0..61.0).contains(&sec)
        {
            return None;
        }
        secs += h * 3600.0 + mi * 60.0 + sec - offset;
    }
    Some(secs)
}

fn split_offset(t: &str) -> Option<(&str, f64)> {
    if let Some(c) = t.strip_suffix(['Z', 'z']) {
        return Some((c, 0.0));
    }
    if let Some(i) = t.rfind(['+', '-']) {
        let (clock, off) = t.split_at(i);
        let sign = if off.starts_with('-') { -1.0 } else { 1.0 };
        let (oh, om) = off[1..].split_once(':').unwrap_or((&off[1..], "0"));
        let oh: f64 = oh.parse().ok()?;
        let om: f64 = om.parse().ok()?;
        return Some((clock, sign * (oh * 3600.0 + om * 60.0)));
    }
    Some((t, 0.0))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's
/// well-known algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400.0));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0.0));
        assert_eq!(parse_date("86400"), Some(86_400.0));
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2000-03-01T00:00:00Z"), Some(951_868_800.0));
    }

    fn arn(p: &str, r: &str) -> bool {
        arn_like(&crate::glob::compile(p), r)
    }

    fn m(op: BaseOperator, p: &str, r: &str) -> Result<bool, String> {
        matches(op, &PolicyValue::plain(p), r)
    }

    #[test]
    fn arns_compare_by_component() {
        assert!(arn(
            "arn:aws:iam::*:role/Stack-*",
            "arn:aws:iam::123:role/Stack-Task"
        ));
        assert!(!arn(
            "arn:aws:iam::*:role/Stack-*",
            "arn:aws:s3:::role/Stack-Task"
        ));
        assert!(arn("*", "anything"));
        // A star in one component does not reach into the next.
        assert!(!arn("arn:aws:*:123:role/x", "arn:aws:iam::123:role/x"));
        assert!(arn("arn:aws:s3:::b/a:b/*", "arn:aws:s3:::b/a:b/c"));
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(m(BaseOperator::NumericLessThan, "10", "9"), Ok(true));
        assert_eq!(m(BaseOperator::NumericLessThan, "10", "10"), Ok(false));
        assert!(m(BaseOperator::NumericEquals, "x", "1").is_err());
        assert_eq!(m(BaseOperator::Bool, "true", "TRUE"), Ok(true));
        assert_eq!(m(BaseOperator::StringNotLike, "a*", "abc"), Ok(true));
    }
}
