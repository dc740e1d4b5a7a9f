//! The server's signing secret (for session tokens and signed cookies).
//!
//! Production passes it in `EMPORIUM_SECRET`. Development generates one on first start and keeps
//! it in the data folder with mode 0600, so sessions survive restarts without any set-up.

use super::config::{Config, ConfigError};
use rand::RngCore;
use secrecy::ExposeSecret;
use std::{fs, io::Write, path::Path};

/// Fewer bytes than this cannot be a 256-bit key.
const MIN_SECRET_LEN: usize = 32;

/// The secret's bytes. Deliberately not `Debug`/`Serialize`: it is never printed or sent.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The key material, for the token signer.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Returns the configured secret, or the development one from (or newly written to)
/// `<data_dir>/secret.key`.
pub fn resolve(config: &Config) -> Result<Secret, ConfigError> {
    if let Some(given) = &config.secret {
        let given = given.expose_secret();
        if given.len() < MIN_SECRET_LEN {
            return Err(ConfigError {
                setting: "EMPORIUM_SECRET".into(),
                problem: format!("must be at least {MIN_SECRET_LEN} characters"),
            });
        }
        return Ok(Secret(given.as_bytes().to_vec()));
    }
    let path = config.data_dir.join("secret.key");
    load_or_create(&path).map_err(|e| ConfigError {
        setting: "EMPORIUM_DATA_DIR".into(),
        problem: format!(
            "cannot keep the development secret in {}: {e}",
            path.display()
        ),
    })
}

fn load_or_create(path: &Path) -> std::io::Result<Secret> {
    match fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= MIN_SECRET_LEN => {
            return Ok(Secret(text.trim().as_bytes().to_vec()));
        }
        Ok(_) => {
            return Err(std::io::Error::other(
                "the file is too short; delete it to get a new one",
            ));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let text = hex::encode(bytes);
    let mut file = create_private(path)?;
    file.write_all(text.as_bytes())?;
    Ok(Secret(text.into_bytes()))
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_secret_is_created_once_with_private_permissions() {
        let dir = std::env::temp_dir().join(format!("emporium-secret-{}", std::process::id()));
        let path = dir.join("secret.key");
        let first = load_or_create(&path).unwrap();
        let second = load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        assert_eq!(first.bytes().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
