//! Where uploaded files live: a folder in the data directory (the default, for one node), or an
//! S3-compatible bucket that every node shares (`EMPORIUM_MEDIA_URL=s3://bucket/prefix`).
//!
//! The bucket is spoken to directly: three requests (put, get) signed with AWS Signature
//! Version 4, which AWS S3, MinIO, Cloudflare R2, Ceph and moto all accept.

use super::config::ConfigError;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::{path::PathBuf, sync::Arc, time::Duration};

/// A bucket from `EMPORIUM_MEDIA_URL` and the usual AWS variables.
#[derive(Clone, Debug)]
pub struct S3Settings {
    pub bucket: String,
    /// Key prefix without slashes at either end; may be empty.
    pub prefix: String,
    pub region: String,
    /// `AWS_ENDPOINT_URL` for a store other than AWS (path-style addressing); AWS itself
    /// (virtual-hosted addressing) without it.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl S3Settings {
    /// The bucket named by `EMPORIUM_MEDIA_URL`, or `None` for the data folder.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(url) = env("EMPORIUM_MEDIA_URL").filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let problem = |setting: &str, problem: &str| ConfigError {
            setting: setting.to_owned(),
            problem: problem.to_owned(),
        };
        let (bucket, prefix) = url
            .strip_prefix("s3://")
            .map(|rest| rest.split_once('/').unwrap_or((rest, "")))
            .filter(|(bucket, _)| is_bucket_name(bucket))
            .ok_or_else(|| {
                problem(
                    "EMPORIUM_MEDIA_URL",
                    "must look like s3://bucket or s3://bucket/prefix (a bucket name has 3 to 63 \
                     lowercase letters, digits, dots and hyphens)",
                )
            })?;
        let required = |key: &str| {
            env(key)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| problem(key, "must be set when EMPORIUM_MEDIA_URL names a bucket"))
        };
        let endpoint = env("AWS_ENDPOINT_URL")
            .filter(|v| !v.is_empty())
            .map(|v| v.trim_end_matches('/').to_owned());
        if endpoint.as_deref().is_some_and(|e| {
            reqwest::Url::parse(e).map_or(true, |url| !matches!(url.scheme(), "http" | "https"))
        }) {
            return Err(problem(
                "AWS_ENDPOINT_URL",
                "must be an http:// or https:// address",
            ));
        }
        Ok(Some(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "us-east-1".into()),
            endpoint,
            access_key_id: required("AWS_ACCESS_KEY_ID")?,
            secret_access_key: required("AWS_SECRET_ACCESS_KEY")?.into(),
        }))
    }
}

fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !name.starts_with(['.', '-'])
        && !name.ends_with(['.', '-'])
}

/// Why a file could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("media folder: {0}")]
    Folder(#[from] std::io::Error),
    #[error("object store unreachable: {0}")]
    Unreachable(#[from] reqwest::Error),
    #[error("object store answered {0}")]
    Refused(reqwest::StatusCode),
}

/// The store of uploaded files, chosen by the configuration.
#[derive(Clone)]
pub enum MediaStore {
    /// Files under this folder.
    Folder(PathBuf),
    Bucket(Arc<Bucket>),
}

impl MediaStore {
    pub fn new(data_dir: &std::path::Path, s3: Option<&S3Settings>) -> Self {
        match s3 {
            None => Self::Folder(data_dir.join("media")),
            Some(settings) => Self::Bucket(Arc::new(Bucket {
                settings: settings.clone(),
                http: super::http::outbound_client(),
            })),
        }
    }

    /// Stores `bytes` under `name` (a relative path of slug-safe segments), replacing any file
    /// of that name.
    pub async fn put(
        &self,
        name: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), MediaError> {
        match self {
            Self::Folder(root) => {
                let path = root.join(name);
                if let Some(dir) = path.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                Ok(tokio::fs::write(path, bytes).await?)
            }
            Self::Bucket(bucket) => bucket.put(name, bytes, content_type).await,
        }
    }

    /// The file stored under `name`, or `None` when there is none.
    pub async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaError> {
        match self {
            Self::Folder(root) => match tokio::fs::read(root.join(name)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error.into()),
            },
            Self::Bucket(bucket) => bucket.get(name).await,
        }
    }

    /// Removes the file stored under `name`; one that is not there is removed already.
    pub async fn delete(&self, name: &str) -> Result<(), MediaError> {
        match self {
            Self::Folder(root) => match tokio::fs::remove_file(root.join(name)).await {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
                _ => Ok(()),
            },
            Self::Bucket(bucket) => bucket.delete(name).await,
        }
    }
}

/// An S3-compatible bucket.
pub struct Bucket {
    settings: S3Settings,
    http: reqwest::Client,
}

/// SHA-256 of an empty body, as `x-amz-content-sha256` names it.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl Bucket {
    /// The object's address, its `Host` header and its path as the signature reads it.
    fn locate(&self, name: &str) -> (String, String, String) {
        let s = &self.settings;
        let key = if s.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", s.prefix)
        };
        let key = uri_encode_path(&key);
        match &s.endpoint {
            Some(endpoint) => {
                let url = reqwest::Url::parse(endpoint).expect("checked by S3Settings::from_env");
                let host = match url.port() {
                    Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                    None => url.host_str().unwrap_or_default().to_owned(),
                };
                let path = format!("/{}/{key}", s.bucket);
                (format!("{endpoint}{path}"), host, path)
            }
            None => {
                let host = format!("{}.s3.{}.amazonaws.com", s.bucket, s.region);
                let path = format!("/{key}");
                (format!("https://{host}{path}"), host, path)
            }
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        name: &str,
        payload_sha256: &str,
    ) -> reqwest::RequestBuilder {
        let (url, host, path) = self.locate(name);
        let amz_date = amz_date(super::db::now_ms());
        let authorization = authorization(
            &Signing {
                method: method.as_str(),
                path: &path,
                headers: &[
                    ("host", &host),
                    ("x-amz-content-sha256", payload_sha256),
                    ("x-amz-date", &amz_date),
                ],
                payload_sha256,
                amz_date: &amz_date,
                region: &self.settings.region,
            },
            &self.settings.access_key_id,
            self.settings.secret_access_key.expose_secret(),
        );
        self.http
            .request(method, url)
            .header("x-amz-content-sha256", payload_sha256)
            .header("x-amz-date", amz_date)
            .header("authorization", authorization)
            .timeout(Duration::from_secs(20))
    }

    async fn put(&self, name: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), MediaError> {
        let digest = hex::encode(Sha256::digest(&bytes));
        let response = self
            .request(reqwest::Method::PUT, name, &digest)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(MediaError::Refused(status)),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<Vec<u8>>, MediaError> {
        let response = self
            .request(reqwest::Method::GET, name, EMPTY_SHA256)
            .send()
            .await?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => Ok(Some(response.bytes().await?.to_vec())),
            status => Err(MediaError::Refused(status)),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), MediaError> {
        let response = self
            .request(reqwest::Method::DELETE, name, EMPTY_SHA256)
            .send()
            .await?;
        match response.status() {
            status if status.is_success() || status == reqwest::StatusCode::NOT_FOUND => Ok(()),
            status => Err(MediaError::Refused(status)),
        }
    }
}

/// Percent-encodes a key as Signature Version 4 wants it: everything but unreserved
/// characters, slashes kept.
fn uri_encode_path(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `20130524T000000Z`, the time format of `x-amz-date`.
fn amz_date(epoch_ms: i64) -> String {
    let (year, month, day) = crate::dates::civil(epoch_ms);
    let seconds = epoch_ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// What one request signs: no query string (none of ours has one).
struct Signing<'a> {
    method: &'a str,
    /// The path, already encoded.
    path: &'a str,
    /// Lowercase names, sorted by name.
    headers: &'a [(&'a str, &'a str)],
    payload_sha256: &'a str,
    amz_date: &'a str,
    region: &'a str,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The `Authorization` header of AWS Signature Version 4 for service `s3`.
fn authorization(request: &Signing<'_>, key_id: &str, secret: &str) -> String {
    let canonical_headers: String = request
        .headers
        .iter()
        .map(|(name, value)| format!("{name}:{}\n", value.trim()))
        .collect();
    let signed_headers = request
        .headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        request.method, request.path, request.payload_sha256
    );
    let day = &request.amz_date[..8];
    let scope = format!("{day}/{}/s3/aws4_request", request.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        request.amz_date,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let key = [day, request.region, "s3", "aws4_request"]
        .iter()
        .fold(format!("AWS4{secret}").into_bytes(), |key, part| {
            hmac(&key, part)
        });
    format!(
        "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={}",
        hex::encode(hmac(&key, &string_to_sign))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Example: GET Object" of AWS's Signature Version 4 documentation for S3.
    #[test]
    fn signatures_match_aws_worked_example() {
        let header = authorization(
            &Signing {
                method: "GET",
                path: "/test.txt",
                headers: &[
                    ("host", "examplebucket.s3.amazonaws.com"),
                    ("range", "bytes=0-9"),
                    ("x-amz-content-sha256", EMPTY_SHA256),
                    ("x-amz-date", "20130524T000000Z"),
                ],
                payload_sha256: EMPTY_SHA256,
                amz_date: "20130524T000000Z",
                region: "us-east-1",
            },
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        assert_eq!(
            header,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn times_are_written_as_aws_reads_them() {
        assert_eq!(amz_date(1_369_353_600_000), "20130524T000000Z");
        assert_eq!(amz_date(1_796_251_425_123), "20261202T224345Z");
    }

    #[test]
    fn keys_are_percent_encoded_except_slashes() {
        assert_eq!(
            uri_encode_path("shop/uploads/7-ab.png"),
            "shop/uploads/7-ab.png"
        );
        assert_eq!(uri_encode_path("a b/ü$"), "a%20b/%C3%BC%24");
    }

    fn settings(env: &[(&str, &str)]) -> Result<Option<S3Settings>, ConfigError> {
        S3Settings::from_env(|key| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    const KEYS: [(&str, &str); 2] = [
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];

    #[test]
    fn a_bucket_is_named_by_an_s3_address() {
        assert!(settings(&[]).unwrap().is_none());
        let s = settings(&[
            KEYS[0],
            KEYS[1],
            ("EMPORIUM_MEDIA_URL", "s3://shop-media/live/pictures/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            (s.bucket.as_str(), s.prefix.as_str(), s.region.as_str()),
            ("shop-media", "live/pictures", "us-east-1")
        );
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        let on_aws = settings(&[
            KEYS[0],
            KEYS[1],
            ("EMPORIUM_MEDIA_URL", "s3://shop-media"),
            ("AWS_REGION", "eu-west-1"),
        ])
        .unwrap()
        .unwrap();
        let bucket = Bucket {
            settings: on_aws,
            http: crate::platform::http::outbound_client(),
        };
        assert_eq!(
            bucket.locate("uploads/1-a.png"),
            (
                "https://shop-media.s3.eu-west-1.amazonaws.com/uploads/1-a.png".into(),
                "shop-media.s3.eu-west-1.amazonaws.com".into(),
                "/uploads/1-a.png".into()
            )
        );
    }

    #[test]
    fn bad_bucket_settings_name_the_variable() {
        for (env, setting) in [
            (
                vec![("EMPORIUM_MEDIA_URL", "https://x")],
                "EMPORIUM_MEDIA_URL",
            ),
            (
                vec![("EMPORIUM_MEDIA_URL", "s3://Shop")],
                "EMPORIUM_MEDIA_URL",
            ),
            (vec![("EMPORIUM_MEDIA_URL", "s3://")], "EMPORIUM_MEDIA_URL"),
            (
                vec![("EMPORIUM_MEDIA_URL", "s3://shop")],
                "AWS_ACCESS_KEY_ID",
            ),
            (
                vec![
                    ("EMPORIUM_MEDIA_URL", "s3://shop"),
                    ("AWS_ENDPOINT_URL", "ftp://x"),
                ],
                "AWS_ENDPOINT_URL",
            ),
        ] {
            let mut env = env;
            env.extend(if setting == "AWS_ACCESS_KEY_ID" {
                vec![]
            } else {
                KEYS.to_vec()
            });
            assert_eq!(settings(&env).unwrap_err().setting, setting, "{env:?}");
        }
    }
}
