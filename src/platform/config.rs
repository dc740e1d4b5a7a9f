//! Typed runtime configuration, loaded once at start-up from `Leptos.toml` and the environment.
//!
//! `Leptos.toml` holds an `[emporium]` table (read here) and a `[package.metadata.leptos]` table
//! (read by `leptos_config`). Environment variables override both; `.env.example` lists them.

use super::db::DatabaseUrl;
use super::money::Money;
use leptos::config::LeptosOptions;
use secrecy::SecretString;
use serde::Deserialize;
use std::{fmt, ops::RangeInclusive, path::PathBuf};

/// The configuration file used when `EMPORIUM_CONFIG` does not name another.
pub const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";

/// Development generates missing secrets; production insists on being given them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// Everything the server needs to know, validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub database_url: DatabaseUrl,
    /// Where the SQLite file, the development secret and uploaded media live.
    pub data_dir: PathBuf,
    /// Products to generate when `serve` starts on an empty catalog (0 turns this off).
    pub demo_products: u32,
    /// The most units of one variant a cart line may hold (1–999).
    pub max_line_quantity: i64,
    /// How long an order waiting for payment holds its stock, in minutes (1–1440).
    pub reservation_minutes: i64,
    /// How long after delivery a shopper may ask to return items, in days (1–365).
    pub return_days: i64,
    /// The reverse proxies (CIDR blocks) whose `X-Forwarded-For` names the client; none by
    /// default, when the peer itself is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How many sign-ups one network address may make in an hour (1–100,000).
    pub sign_ups_per_hour: i64,
    /// How many requests one API key may make in a minute (1–100,000).
    pub api_requests_per_minute: i64,
    /// A variant with this many units or fewer in stock is low (0–1,000,000).
    pub low_stock: i64,
    pub shipping: Shipping,
    /// Sales tax by destination country code, in basis points (725 = 7.25%); 0 when absent.
    pub tax_rates: std::collections::BTreeMap<String, i64>,
    /// Who sells: printed on every invoice.
    pub seller: Seller,
    /// The signing secret given in the environment, if any (see `secret::resolve`).
    pub secret: Option<SecretString>,
    /// Stripe, when `STRIPE_SECRET_KEY` is set; otherwise payments use the offline test gateway.
    pub stripe: Option<StripeSettings>,
    /// `EMPORIUM_ALLOW_TEST_PAYMENTS=1`: production may run on the test gateway (a demo shop).
    pub allow_test_payments: bool,
    /// `EMPORIUM_SMTP_URL`: where emails are sent. Without it they are written to
    /// `<data-dir>/mail/`.
    pub smtp_url: Option<SecretString>,
    /// `EMPORIUM_METRICS_TOKEN`: the bearer token `/metrics` asks for (at least 16
    /// characters). Without it there is no `/metrics`.
    pub metrics_token: Option<SecretString>,
    /// `EMPORIUM_MEDIA_URL`: the bucket every node keeps uploaded pictures in; without it they
    /// are kept in `<data-dir>/media/`.
    pub media_bucket: Option<super::media::S3Settings>,
    /// `EMPORIUM_MAIL_FROM`: the sender of every email.
    pub mail_from: String,
    /// `EMPORIUM_PUBLIC_URL`: the shop's address as shoppers reach it, without a trailing
    /// slash, for absolute links (emails, canonical links, the sitemap).
    pub public_url: String,
    pub leptos: LeptosOptions,
}

/// Shipping prices from `[emporium]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shipping {
    pub standard: Money,
    pub express: Money,
    /// Standard shipping is free from this subtotal on.
    pub free_over: Money,
}

/// The seller as invoices name it, from `[emporium.seller]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Seller {
    pub name: String,
    /// The postal address, one line per entry.
    pub address: Vec<String>,
    /// The seller's tax or VAT number.
    pub tax_id: String,
    pub email: String,
}

impl Seller {
    /// The seller's block on an invoice, line by line.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.name.clone()];
        lines.extend(self.address.iter().cloned());
        if !self.tax_id.is_empty() {
            lines.push(format!("Tax ID {}", self.tax_id));
        }
        if !self.email.is_empty() {
            lines.push(self.email.clone());
        }
        lines
    }
}

/// Stripe's keys and address, all from the environment.
#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub secret_key: SecretString,
    pub publishable_key: String,
    pub webhook_secret: SecretString,
    /// `https://api.stripe.com` unless `STRIPE_API_BASE` says otherwise (tests use a fake).
    pub api_base: String,
}

/// A setting was missing or wrong. Printed as one line naming the setting.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}: {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn error(setting: &str, problem: impl fmt::Display) -> ConfigError {
    ConfigError {
        setting: setting.to_owned(),
        problem: problem.to_string(),
    }
}

/// The `[emporium]` table of `Leptos.toml`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileSettings {
    environment: Environment,
    database_url: String,
    data_dir: PathBuf,
    demo_products: u32,
    max_line_quantity: i64,
    reservation_minutes: i64,
    return_days: i64,
    trusted_proxies: Vec<String>,
    sign_ups_per_hour: i64,
    api_requests_per_minute: i64,
    low_stock: i64,
    shipping_standard_cents: i64,
    shipping_express_cents: i64,
    free_shipping_over_cents: i64,
    tax_rates: std::collections::BTreeMap<String, i64>,
    seller: Seller,
}

#[derive(Debug, Deserialize)]
struct FileLayout {
    emporium: FileSettings,
}

impl Config {
    /// Reads the file named by `EMPORIUM_CONFIG` (default `Leptos.toml`) and the process
    /// environment.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var("EMPORIUM_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG_FILE.into());
        let text = std::fs::read_to_string(&path).map_err(|e| {
            error(
                &path,
                format!("cannot read the configuration file ({e}); run from the app folder or set EMPORIUM_CONFIG"),
            )
        })?;
        Self::from_sources(&path, &text, |key| std::env::var(key).ok())
    }

    /// Builds the configuration from the file's text and an environment lookup, so tests can
    /// check every rule without touching the real environment.
    pub fn from_sources(
        path: &str,
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: FileLayout = toml::from_str(text).map_err(|e| error(path, one_line(&e)))?;
        let file = file.emporium;

        let environment = match env("EMPORIUM_ENV") {
            Some(value) => match value.as_str() {
                "development" => Environment::Development,
                "production" => Environment::Production,
                _ => return Err(error("EMPORIUM_ENV", "must be development or production")),
            },
            None => file.environment,
        };
        let (database_key, database_url) = match env("DATABASE_URL") {
            Some(url) => ("DATABASE_URL", url),
            None => ("emporium.database-url", file.database_url),
        };
        let database_url = database_url
            .parse::<DatabaseUrl>()
            .map_err(|e| error(database_key, e))?;
        let data_dir = env("EMPORIUM_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or(file.data_dir);
        let demo_products = match env("EMPORIUM_DEMO_PRODUCTS") {
            Some(value) => value
                .parse()
                .map_err(|_| error("EMPORIUM_DEMO_PRODUCTS", "must be a whole number"))?,
            None => file.demo_products,
        };
        let max_line_quantity = file.max_line_quantity;
        if !(1..=999).contains(&max_line_quantity) {
            return Err(error(
                "emporium.max-line-quantity",
                "must be a whole number from 1 to 999",
            ));
        }
        let reservation_minutes = file.reservation_minutes;
        if !(1..=1440).contains(&reservation_minutes) {
            return Err(error(
                "emporium.reservation-minutes",
                "must be a whole number from 1 to 1440",
            ));
        }
        let return_days = file.return_days;
        if !(1..=365).contains(&return_days) {
            return Err(error(
                "emporium.return-days",
                "must be a whole number from 1 to 365",
            ));
        }
        // A whole number from the environment variable `var`, else from the file's `key`.
        let number =
            |var: &'static str, key: &'static str, in_file: i64, range: RangeInclusive<i64>| {
                let (setting, value) = match env(var) {
                    Some(text) => (var, text.parse().unwrap_or(-1)),
                    None => (key, in_file),
                };
                if range.contains(&value) {
                    Ok(value)
                } else {
                    let (low, high) = range.into_inner();
                    Err(error(
                        setting,
                        format!("must be a whole number from {low} to {high}"),
                    ))
                }
            };
        let sign_ups_per_hour = number(
            "EMPORIUM_SIGN_UPS_PER_HOUR",
            "emporium.sign-ups-per-hour",
            file.sign_ups_per_hour,
            1..=100_000,
        )?;
        let api_requests_per_minute = number(
            "EMPORIUM_API_REQUESTS_PER_MINUTE",
            "emporium.api-requests-per-minute",
            file.api_requests_per_minute,
            1..=100_000,
        )?;
        let low_stock = number(
            "EMPORIUM_LOW_STOCK",
            "emporium.low-stock",
            file.low_stock,
            0..=1_000_000,
        )?;
        let (proxies_key, proxies) = match env("EMPORIUM_TRUSTED_PROXIES") {
            Some(list) => (
                "EMPORIUM_TRUSTED_PROXIES",
                list.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            None => ("emporium.trusted-proxies", file.trusted_proxies),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|text| {
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        error(
                            proxies_key,
                            format!(
                                "“{text}” is not an address or a CIDR block such as 10.0.0.0/8"
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let cents = |key: &str, value: i64| {
            Money::from_minor(value)
                .map_err(|_| error(&format!("emporium.{key}"), "must be 0 or more cents"))
        };
        let shipping = Shipping {
            standard: cents("shipping-standard-cents", file.shipping_standard_cents)?,
            express: cents("shipping-express-cents", file.shipping_express_cents)?,
            free_over: cents("free-shipping-over-cents", file.free_shipping_over_cents)?,
        };
        if let Some((country, _)) = file
            .tax_rates
            .iter()
            .find(|(_, rate)| !(0..=10_000).contains(*rate))
        {
            return Err(error(
                &format!("emporium.tax-rates.{country}"),
                "must be 0 to 10000 basis points",
            ));
        }
        if file.seller.name.trim().is_empty() {
            return Err(error(
                "emporium.seller.name",
                "must name the seller printed on invoices",
            ));
        }
        let secret = env("EMPORIUM_SECRET")
            .filter(|s| !s.is_empty())
            .map(SecretString::from);
        if environment == Environment::Production && secret.is_none() {
            return Err(error(
                "EMPORIUM_SECRET",
                "must be set when EMPORIUM_ENV=production (generate one with `openssl rand -hex 32`)",
            ));
        }
        let stripe = match env("STRIPE_SECRET_KEY").filter(|k| !k.is_empty()) {
            None => None,
            Some(secret_key) => {
                let required = |key: &str| {
                    env(key)
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| error(key, "must be set when STRIPE_SECRET_KEY is set"))
                };
                Some(StripeSettings {
                    secret_key: secret_key.into(),
                    publishable_key: required("STRIPE_PUBLISHABLE_KEY")?,
                    webhook_secret: required("STRIPE_WEBHOOK_SECRET")?.into(),
                    api_base: env("STRIPE_API_BASE")
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| "https://api.stripe.com".into())
                        .trim_end_matches('/')
                        .to_owned(),
                })
            }
        };
        let allow_test_payments = env("EMPORIUM_ALLOW_TEST_PAYMENTS").as_deref() == Some("1");
        if environment == Environment::Production && stripe.is_none() && !allow_test_payments {
            return Err(error(
                "STRIPE_SECRET_KEY",
                "must be set with STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET when EMPORIUM_ENV=production \
                 (or set EMPORIUM_ALLOW_TEST_PAYMENTS=1 to take test payments that charge nobody)",
            ));
        }
        let leptos = leptos::config::get_config_from_str(text)
            .map_err(|e| error("[package.metadata.leptos]", one_line(&e)))?;
        let smtp_url = env("EMPORIUM_SMTP_URL")
            .filter(|v| !v.is_empty())
            .map(SecretString::from);
        let metrics_token = env("EMPORIUM_METRICS_TOKEN").filter(|v| !v.is_empty());
        if metrics_token.as_ref().is_some_and(|token| token.len() < 16) {
            return Err(error(
                "EMPORIUM_METRICS_TOKEN",
                "must be at least 16 characters (for example: openssl rand -hex 16)",
            ));
        }
        let metrics_token = metrics_token.map(SecretString::from);
        let media_bucket = super::media::S3Settings::from_env(&env)?;
        let mail_from = env("EMPORIUM_MAIL_FROM")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "Emporium <orders@emporium.localhost>".into());
        let public_url = env("EMPORIUM_PUBLIC_URL")
            .filter(|v| !v.is_empty())
            .map(|v| v.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{}", leptos.site_addr));

        Ok(Self {
            environment,
            database_url,
            data_dir,
            demo_products,
            max_line_quantity,
            reservation_minutes,
            return_days,
            trusted_proxies,
            sign_ups_per_hour,
            api_requests_per_minute,
            low_stock,
            shipping,
            tax_rates: file.tax_rates,
            seller: file.seller,
            secret,
            stripe,
            allow_test_payments,
            smtp_url,
            metrics_token,
            media_bucket,
            mail_from,
            public_url,
            leptos,
        })
    }
}

/// Error messages from parsers span lines; start-up errors must be one line.
fn one_line(error: &dyn fmt::Display) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SHIPPED: &str = include_str!("../../Leptos.toml");

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources("Leptos.toml", SHIPPED, |key| vars.get(key).cloned())
    }

    #[test]
    fn the_shipped_file_is_a_valid_development_configuration() {
        let config = load(&[]).unwrap();
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.database_url.as_str(), "sqlite://data/emporium.db");
        assert_eq!(config.leptos.output_name.as_ref(), "emporium");
        assert!(config.leptos.hash_files);
    }

    #[test]
    fn leptos_toml_matches_cargo_metadata() {
        let cargo: toml::Table = toml::from_str(include_str!("../../Cargo.toml")).unwrap();
        let built = &cargo["package"]["metadata"]["leptos"];
        let runtime: toml::Table = toml::from_str(SHIPPED).unwrap();
        let served = &runtime["package"]["metadata"]["leptos"];
        for key in [
            "output-name",
            "site-root",
            "site-pkg-dir",
            "site-addr",
            "hash-files",
        ] {
            assert_eq!(
                built.get(key),
                served.get(key),
                "{key} differs between Cargo.toml and Leptos.toml"
            );
        }
    }

    #[test]
    fn environment_variables_override_the_file() {
        let config = load(&[
            ("DATABASE_URL", "postgres://u:p@127.0.0.1:5432/shop"),
            ("EMPORIUM_DATA_DIR", "/var/lib/emporium"),
            ("EMPORIUM_DEMO_PRODUCTS", "0"),
            ("EMPORIUM_SIGN_UPS_PER_HOUR", "500"),
            ("EMPORIUM_API_REQUESTS_PER_MINUTE", "30"),
            ("EMPORIUM_LOW_STOCK", "0"),
        ])
        .unwrap();
        assert_eq!(config.low_stock, 0);
        assert_eq!(config.sign_ups_per_hour, 500);
        assert_eq!(config.api_requests_per_minute, 30);
        assert_eq!(
            config.database_url.as_str(),
            "postgres://u:p@127.0.0.1:5432/shop"
        );
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/emporium"));
        assert_eq!(config.demo_products, 0);
    }

    #[test]
    fn the_public_address_is_kept_without_a_trailing_slash() {
        let config = load(&[("EMPORIUM_PUBLIC_URL", "https://shop.example/")]).unwrap();
        assert_eq!(config.public_url, "https://shop.example");
        assert_eq!(load(&[]).unwrap().public_url, "http://127.0.0.1:3000");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let cases = [
            (("DATABASE_URL", "mysql://x"), "DATABASE_URL"),
            (("EMPORIUM_ENV", "staging"), "EMPORIUM_ENV"),
            (("EMPORIUM_DEMO_PRODUCTS", "lots"), "EMPORIUM_DEMO_PRODUCTS"),
            (
                ("EMPORIUM_API_REQUESTS_PER_MINUTE", "many"),
                "EMPORIUM_API_REQUESTS_PER_MINUTE",
            ),
            (
                ("EMPORIUM_SIGN_UPS_PER_HOUR", "0"),
                "EMPORIUM_SIGN_UPS_PER_HOUR",
            ),
            (
                ("EMPORIUM_SIGN_UPS_PER_HOUR", "many"),
                "EMPORIUM_SIGN_UPS_PER_HOUR",
            ),
            (("EMPORIUM_LOW_STOCK", "-1"), "EMPORIUM_LOW_STOCK"),
        ];
        for ((key, value), setting) in cases {
            let err = load(&[(key, value)]).unwrap_err();
            assert_eq!(err.setting, setting);
            assert!(!err.to_string().contains('\n'));
        }
    }

    const PRODUCTION: (&str, &str) = ("EMPORIUM_ENV", "production");
    const A_SECRET: (&str, &str) = ("EMPORIUM_SECRET", "0123456789abcdef0123456789abcdef");

    #[test]
    fn production_refuses_to_start_without_a_secret() {
        let err = load(&[PRODUCTION]).unwrap_err();
        assert_eq!(err.setting, "EMPORIUM_SECRET");
        let config = load(&[PRODUCTION, A_SECRET, ("EMPORIUM_ALLOW_TEST_PAYMENTS", "1")]).unwrap();
        assert_eq!(config.environment, Environment::Production);
    }

    #[test]
    fn production_refuses_the_test_gateway_unless_allowed() {
        let err = load(&[PRODUCTION, A_SECRET]).unwrap_err();
        assert_eq!(err.setting, "STRIPE_SECRET_KEY");
        for named in [
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "EMPORIUM_ALLOW_TEST_PAYMENTS=1",
        ] {
            assert!(err.problem.contains(named), "{named} missing: {err}");
        }
        assert!(!err.to_string().contains('\n'));
        let allowed = load(&[PRODUCTION, A_SECRET, ("EMPORIUM_ALLOW_TEST_PAYMENTS", "1")]).unwrap();
        assert!(allowed.allow_test_payments && allowed.stripe.is_none());
        let stripe = load(&[
            PRODUCTION,
            A_SECRET,
            ("STRIPE_SECRET_KEY", "sk_live_x"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_live_x"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ])
        .unwrap();
        assert!(stripe.stripe.is_some() && !stripe.allow_test_payments);
        assert!(
            load(&[]).unwrap().stripe.is_none(),
            "development needs no gateway"
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidr_blocks() {
        let proxies = load(&[("EMPORIUM_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7")]).unwrap();
        assert_eq!(proxies.trusted_proxies.len(), 2);
        assert!(load(&[]).unwrap().trusted_proxies.is_empty());
        let err = load(&[("EMPORIUM_TRUSTED_PROXIES", "10.0.0.0/33")]).unwrap_err();
        assert_eq!(err.setting, "EMPORIUM_TRUSTED_PROXIES");
    }

    #[test]
    fn a_malformed_file_is_reported_on_one_line() {
        let err = Config::from_sources("Leptos.toml", "[emporium\nfoo", |_| None).unwrap_err();
        assert_eq!(err.setting, "Leptos.toml");
        assert!(!err.to_string().contains('\n'));
        let forever = SHIPPED.replace("reservation-minutes = 15", "reservation-minutes = 0");
        let err = Config::from_sources("Leptos.toml", &forever, |_| None).unwrap_err();
        assert_eq!(err.setting, "emporium.reservation-minutes");
        let no_returns = SHIPPED.replace("return-days = 30", "return-days = 0");
        let err = Config::from_sources("Leptos.toml", &no_returns, |_| None).unwrap_err();
        assert_eq!(err.setting, "emporium.return-days");
        let unknown = SHIPPED.replace("demo-products", "demo-prodcuts");
        let err = Config::from_sources("Leptos.toml", &unknown, |_| None).unwrap_err();
        assert!(err.problem.contains("demo-prodcuts"), "{}", err.problem);
        let nameless = SHIPPED.replace("name = \"Emporium Demo Shop Ltd.\"", "name = \" \"");
        let err = Config::from_sources("Leptos.toml", &nameless, |_| None).unwrap_err();
        assert_eq!(err.setting, "emporium.seller.name");
    }

    #[test]
    fn the_seller_prints_as_a_block_of_lines() {
        let seller = load(&[]).unwrap().seller;
        let lines = seller.lines();
        assert_eq!(lines[0], "Emporium Demo Shop Ltd.");
        assert!(
            lines.contains(&"Tax ID US-00-0000000".to_owned()),
            "{lines:?}"
        );
        assert_eq!(lines.len(), 2 + seller.address.len() + 1);
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let config = load(&[
            ("EMPORIUM_SECRET", "signing-secret-signing-secret-signing"),
            (
                "EMPORIUM_SMTP_URL",
                "smtps://mailer:smtp-password@mail.example.com",
            ),
            ("STRIPE_SECRET_KEY", "sk_test_stripe-key"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_public"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_hook-secret"),
        ])
        .unwrap();
        let shown = format!("{config:?}");
        for secret in [
            "signing-secret",
            "smtp-password",
            "stripe-key",
            "hook-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} printed in {shown}");
        }
        assert!(shown.contains("pk_test_public"), "{shown}");
    }
}
