//! A PostgreSQL `[database] url` naming several hosts, libpq's way:
//! `postgres://user@host1:5432,host2:5433/dbname?options`. sqlx parses one host per URL only,
//! so the list is split here into one single-host URL per host, in the order written, each with
//! the same user, database and options; the storage layer connects to the first of them that
//! takes writes (`storage::pg_failover`). A URL with one host is returned unchanged, so it
//! behaves exactly as before multi-host URLs existed.
//!
//! Errors say which host of the list is wrong and why, never quoting the URL (whatever a
//! mistyped value may hold).

/// Why a multi-host URL was refused. `position` counts the hosts from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostListError {
    /// Two commas in a row, or one at either end of the list.
    #[error("host {position} of the list is empty")]
    EmptyHost {
        /// Which host.
        position: usize,
    },
    /// `[` with no `]` after it, or something other than `:PORT` after the `]`.
    #[error("host {position}: an IPv6 address is written [ADDRESS] or [ADDRESS]:PORT")]
    BadBrackets {
        /// Which host.
        position: usize,
    },
    /// An IPv6 address without brackets: its colons cannot be told from the port's.
    #[error("host {position}: an IPv6 address must be in brackets, [ADDRESS]:PORT")]
    BareIpv6 {
        /// Which host.
        position: usize,
    },
    /// The port is not a number from 1 to 65535.
    #[error("host {position}: the port must be a number from 1 to 65535")]
    BadPort {
        /// Which host.
        position: usize,
    },
    /// A query option that names a host or port, which would apply to every host of the list.
    #[error("{key} in the query cannot be combined with several hosts; list them before the /")]
    HostInQuery {
        /// The option (`host`, `hostaddr` or `port`).
        key: String,
    },
}

/// One single-host URL per host of `url`, in order (see the module documentation). `url` has
/// been checked to start with `postgres://` or `postgresql://`.
pub fn host_urls(url: &str) -> Result<Vec<String>, HostListError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(vec![url.to_owned()]);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The user is what comes before the last `@` (a user name may hold an encoded one only).
    let (user, hosts) = match authority.rsplit_once('@') {
        Some((user, hosts)) => (Some(user), hosts),
        None => (None, authority),
    };
    if !hosts.contains(',') {
        return Ok(vec![url.to_owned()]);
    }
    if let Some(key) = query_keys(tail)
        .into_iter()
        .find(|key| ["host", "hostaddr", "port"].contains(&key.as_str()))
    {
        return Err(HostListError::HostInQuery { key });
    }
    let user = user.map_or(String::new(), |user| format!("{user}@"));
    hosts
        .split(',')
        .enumerate()
        .map(|(index, host)| {
            let (host, port) = host_and_port(host, index + 1)?;
            let port = port.map_or(String::new(), |port| format!(":{port}"));
            Ok(format!("{scheme}://{user}{host}{port}{tail}"))
        })
        .collect()
}

/// A list entry's host (brackets kept around an IPv6 address, as URLs write it) and port.
fn host_and_port(entry: &str, position: usize) -> Result<(&str, Option<u16>), HostListError> {
    let (host, port) = if entry.starts_with('[') {
        let close = entry
            .find(']')
            .ok_or(HostListError::BadBrackets { position })?;
        let (host, after) = entry.split_at(close + 1);
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(HostListError::BadBrackets { position })?,
            ),
        };
        if host == "[]" {
            return Err(HostListError::EmptyHost { position });
        }
        (host, port)
    } else {
        if entry.matches(':').count() > 1 {
            return Err(HostListError::BareIpv6 { position });
        }
        match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        }
    };
    if host.is_empty() {
        return Err(HostListError::EmptyHost { position });
    }
    let port = port
        .map(|port| match port.parse::<u16>() {
            // Digits only: `parse` would also take a sign.
            Ok(number) if number > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(number),
            _ => Err(HostListError::BadPort { position }),
        })
        .transpose()?;
    Ok((host, port))
}

/// The keys of the query string in `tail` (`/dbname?a=1&b=2`, or a whole URL), lower-cased.
pub(super) fn query_keys(tail: &str) -> Vec<String> {
    tail.split_once('?')
        .map(|(_, query)| {
            query
                .split('&')
                .map(|pair| pair.split('=').next().unwrap_or("").to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_host_is_returned_unchanged() {
        for url in [
            "postgres://u@db.example:5433/softtoken",
            "postgresql://db/softtoken?application_name=x",
            "postgres://u@[::1]:5432/d",
            "postgres://u@host/d?host=/run/postgresql",
        ] {
            assert_eq!(host_urls(url).unwrap(), [url]);
        }
    }

    #[test]
    fn several_hosts_become_one_url_each_in_order() {
        assert_eq!(
            host_urls("postgres://softtoken@db1:5432,db2:5433,db3/softtoken?options=-c%20a%3Db")
                .unwrap(),
            [
                "postgres://softtoken@db1:5432/softtoken?options=-c%20a%3Db",
                "postgres://softtoken@db2:5433/softtoken?options=-c%20a%3Db",
                "postgres://softtoken@db3/softtoken?options=-c%20a%3Db",
            ]
        );
        assert_eq!(
            host_urls("postgresql://a,b").unwrap(),
            ["postgresql://a", "postgresql://b"]
        );
        assert_eq!(
            host_urls("postgres://u@[::1]:5432,[fe80::2],10.0.0.3:6432/d").unwrap(),
            [
                "postgres://u@[::1]:5432/d",
                "postgres://u@[fe80::2]/d",
                "postgres://u@10.0.0.3:6432/d",
            ]
        );
    }

    #[test]
    fn a_bad_host_list_is_refused_naming_the_host_never_quoting_the_url() {
        let cases: &[(&str, HostListError)] = &[
            (
                "postgres://u@a,,b/d",
                HostListError::EmptyHost { position: 2 },
            ),
            (
                "postgres://u@a,/d",
                HostListError::EmptyHost { position: 2 },
            ),
            (
                "postgres://u@,a/d",
                HostListError::EmptyHost { position: 1 },
            ),
            (
                "postgres://u@a,:5432/d",
                HostListError::EmptyHost { position: 2 },
            ),
            (
                "postgres://u@a,[]:5432/d",
                HostListError::EmptyHost { position: 2 },
            ),
            (
                "postgres://u@a,[::1/d",
                HostListError::BadBrackets { position: 2 },
            ),
            (
                "postgres://u@[::1]5432,a/d",
                HostListError::BadBrackets { position: 1 },
            ),
            (
                "postgres://u@a,::1/d",
                HostListError::BareIpv6 { position: 2 },
            ),
            (
                "postgres://u@a:x,b/d",
                HostListError::BadPort { position: 1 },
            ),
            (
                "postgres://u@a,b:0/d",
                HostListError::BadPort { position: 2 },
            ),
            (
                "postgres://u@a,b:65536/d",
                HostListError::BadPort { position: 2 },
            ),
            (
                "postgres://u@a,b:+5/d",
                HostListError::BadPort { position: 2 },
            ),
            (
                "postgres://u@a,b:/d",
                HostListError::BadPort { position: 2 },
            ),
            (
                "postgres://u@a,b/d?Port=5",
                HostListError::HostInQuery { key: "port".into() },
            ),
            (
                "postgres://u@a,b/d?x=1&host=c",
                HostListError::HostInQuery { key: "host".into() },
            ),
        ];
        for (url, expected) in cases {
            let err = host_urls(url).unwrap_err();
            assert_eq!(&err, expected, "{url}");
            let message = err.to_string();
            for part in ["u@", "::1", ":x", "65536"] {
                assert!(!message.contains(part), "{url}: {message}");
            }
        }
    }
}
