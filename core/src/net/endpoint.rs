//! Where the provider is: the configured base URL (`https://host[:port][/prefix]`), checked
//! once when the core is built, and the URL of each request under it.
//!
//! The rules (docs/protocol.md §6.1.1): `https` only; no user name or password, no query; the
//! host is a DNS name or an IP address (an IPv6 literal in brackets); a trailing `/` is ignored.
//! Anything else is refused with [`CoreError::InvalidInput`] before any network use.

use hyper::Uri;
use rustls_pki_types::{IpAddr, ServerName};

use crate::error::CoreError;

/// The provider's address, from its base URL.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    /// Host to connect to, without the brackets of an IPv6 literal.
    host: String,
    port: u16,
    /// The name the certificate must carry (a DNS name or an IP address); an IPv6 address
    /// goes into a URL in brackets.
    server_name: ServerName<'static>,
    /// The `Host` header: the URL's authority as written (`:443` kept if it was typed).
    authority: String,
    /// Path prefix without a trailing slash: `""` or e.g. `"/softtoken"`.
    prefix: String,
}

impl Endpoint {
    /// Parses and checks a base URL.
    pub(super) fn parse(base_url: &str) -> Result<Self, CoreError> {
        let invalid = |reason: &str| CoreError::InvalidInput {
            reason: reason.into(),
        };
        if !base_url.starts_with("https://") {
            return Err(invalid("the provider URL must start with https://"));
        }
        let uri: Uri = base_url
            .parse()
            .map_err(|_| invalid("the provider URL is not a valid URL"))?;
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("the provider URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "the provider URL must not carry a user name or password",
            ));
        }
        if uri.query().is_some() {
            return Err(invalid("the provider URL must not have a query"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server_name = ServerName::try_from(host.as_str())
            .map_err(|_| invalid("the provider URL's host is not a valid name"))?
            .to_owned();
        Ok(Self {
            port: authority.port_u16().unwrap_or(443),
            server_name,
            authority: authority.as_str().to_owned(),
            prefix: uri.path().trim_end_matches('/').to_owned(),
            host,
        })
    }

    /// The URL of `path` (which starts with `/`) under the base URL.
    pub(super) fn url(&self, path: &str) -> String {
        let (host, port, prefix) = (&self.host, self.port, &self.prefix);
        match self.server_name {
            ServerName::IpAddress(IpAddr::V6(_)) => {
                format!("https://[{host}]:{port}{prefix}{path}")
            }
            _ => format!("https://{host}:{port}{prefix}{path}"),
        }
    }

    /// The `Host` header value: the authority as the base URL wrote it.
    pub(super) fn authority(&self) -> &str {
        &self.authority
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parses_host_port_and_prefix() {
        let e = Endpoint::parse("https://provider.example:8443/softtoken/").unwrap();
        assert_eq!(e.host, "provider.example");
        assert_eq!(e.port, 8443);
        assert_eq!(e.authority, "provider.example:8443");
        assert_eq!(e.prefix, "/softtoken");

        let e = Endpoint::parse("https://provider.example").unwrap();
        assert_eq!((e.port, e.prefix.as_str()), (443, ""));

        let e = Endpoint::parse("https://[::1]:9443").unwrap();
        assert_eq!(e.host, "::1");
        assert_eq!(e.authority, "[::1]:9443");
        assert!(matches!(e.server_name, ServerName::IpAddress(_)));
    }

    #[test]
    fn endpoint_refuses_what_is_not_a_plain_https_base_url() {
        for url in [
            "http://provider.example",
            "provider.example",
            "https://",
            "https://user:pw@provider.example",
            "https://provider.example/?x=1",
            "https://provider example",
        ] {
            assert!(
                matches!(Endpoint::parse(url), Err(CoreError::InvalidInput { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn request_urls_keep_the_prefix_and_bracket_ipv6() {
        let e = Endpoint::parse("https://provider.example:8443/softtoken/").unwrap();
        assert_eq!(
            e.url("/v1/activations"),
            "https://provider.example:8443/softtoken/v1/activations"
        );
        let e = Endpoint::parse("https://[::1]:9443").unwrap();
        assert_eq!(
            e.url("/v1/tokens/status"),
            "https://[::1]:9443/v1/tokens/status"
        );
        let e = Endpoint::parse("https://127.0.0.1").unwrap();
        assert_eq!(
            e.url("/v1/activations"),
            "https://127.0.0.1:443/v1/activations"
        );
    }
}
