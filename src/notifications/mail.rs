//! Delivers the outbox. Each email was queued in the transaction of the change it announces;
//! every node runs a delivery task that claims a message for a minute before sending it, so one
//! node sends it, and another tries again only if that attempt failed or its node died.

use super::db::OutboxEmail;
use crate::platform::db::{Db, now_ms};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use std::{path::PathBuf, time::Duration};

/// How long a node owns a message it is sending; also the wait before a failed one is retried.
const CLAIM_MS: i64 = 60_000;
/// Attempts before a message is given up (its `last_error` says why).
pub const MAX_ATTEMPTS: i64 = 5;
/// Messages looked at per round.
const BATCH: i64 = 20;
/// How often each node looks for messages to send.
pub const POLL: Duration = Duration::from_secs(2);

/// Where emails go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Without SMTP settings (development): each email is written to this folder as `{id}.eml`.
    Folder(PathBuf),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Prefixed to the local links in messages.
    public_url: String,
}

impl Mailer {
    /// `smtp_url` is e.g. `smtps://user:password@mail.example.com` (TLS) or
    /// `smtp://mail.example.com:587?tls=required` (STARTTLS); see lettre's `from_url`.
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        public_url: &str,
        folder: PathBuf,
    ) -> Result<Self, String> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("EMPORIUM_MAIL_FROM is not an email address ({e})"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("EMPORIUM_SMTP_URL cannot be used ({e})"))?
                    .build(),
            ),
            None => Transport::Folder(folder),
        };
        Ok(Self {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The email for an outbox row: its payload's `subject` and `text`, and its `link` (a local
    /// path) made absolute.
    fn compose(&self, recipient: &str, payload: &str) -> Result<Message, String> {
        let OutboxEmail {
            subject,
            mut text,
            link,
        } = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        if link.starts_with('/') {
            text.push_str(&format!("\n\n{}{link}\n", self.public_url));
        }
        Message::builder()
            .from(self.from.clone())
            .to(recipient.parse::<Mailbox>().map_err(|e| e.to_string())?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| e.to_string())
    }

    async fn send(&self, id: i64, message: Message) -> Result<(), String> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Transport::Folder(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::write(dir.join(format!("{id}.eml")), message.formatted())
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Sends the messages that are due; returns how many went out.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> Result<usize, sqlx::Error> {
    let now = now_ms();
    let due: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, recipient, payload FROM outbox \
         WHERE sent_at IS NULL AND attempts < $1 AND (claimed_until IS NULL OR claimed_until < $2) \
         ORDER BY id LIMIT $3",
    )
    .bind(MAX_ATTEMPTS)
    .bind(now)
    .bind(BATCH)
    .fetch_all(db.pool())
    .await?;
    let mut sent = 0;
    for (id, recipient, payload) in due {
        let claimed = sqlx::query(
            "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 \
             WHERE id = $2 AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(now + CLAIM_MS)
        .bind(id)
        .bind(now)
        .execute(db.writer())
        .await?;
        if claimed.rows_affected() == 0 {
            // Another node is sending it.
            continue;
        }
        let outcome = match mailer.compose(&recipient, &payload) {
            Ok(message) => mailer.send(id, message).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => {
                sqlx::query("UPDATE outbox SET sent_at = $1, last_error = '' WHERE id = $2")
                    .bind(now_ms())
                    .bind(id)
                    .execute(db.writer())
                    .await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(id, %error, "email not sent; it will be tried again");
                sqlx::query("UPDATE outbox SET last_error = $1 WHERE id = $2")
                    .bind(&error)
                    .bind(id)
                    .execute(db.writer())
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// Delivers the outbox every couple of seconds, for as long as the server runs.
pub async fn deliver_forever(db: Db, mailer: Mailer) {
    let mut tick = tokio::time::interval(POLL);
    loop {
        tick.tick().await;
        if let Err(error) = deliver_due(&db, &mailer).await {
            tracing::warn!(%error, "outbox delivery failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        Mailer::new(
            None,
            "Emporium <orders@shop.test>",
            "https://shop.test/",
            PathBuf::from("unused"),
        )
        .unwrap()
    }

    #[test]
    fn messages_carry_the_payload_and_an_absolute_link() {
        let payload = r#"{"subject":"Order EM-1234-5678 has shipped","text":"It is on its way.","link":"/orders/EM-1234-5678"}"#;
        let message = mailer().compose("ann@example.com", payload).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("To: ann@example.com"), "{text}");
        assert!(
            text.contains("Subject: Order EM-1234-5678 has shipped"),
            "{text}"
        );
        assert!(
            text.contains("https://shop.test/orders/EM-1234-5678"),
            "{text}"
        );
    }

    #[test]
    fn bad_settings_and_rows_are_reported() {
        assert!(Mailer::new(None, "not an address", "http://x", PathBuf::new()).is_err());
        assert!(Mailer::new(Some("ftp://nope"), "a@b.c", "http://x", PathBuf::new()).is_err());
        assert!(mailer().compose("not an address", "{}").is_err());
        assert!(mailer().compose("a@b.c", "not json").is_err());
    }
}
