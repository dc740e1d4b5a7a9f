//! Delivers the outbox. Each email was queued in the transaction of the change it announces;
//! every node runs a delivery task that claims a message for a minute before sending it, so one
//! node sends it, and another tries again only if that attempt failed or its node died. A node
//! that shuts down hands back the claim of a message it could not finish.

use super::db::OutboxEmail;
use crate::platform::{
    db::{Db, now_ms},
    jobs::Stopping,
    tokens::random_hex,
};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
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
    /// Names this node's claims in the outbox.
    node: String,
}

/// The HTML part of an email: its text in paragraphs (escaped), and the link as a button.
fn html_of(text: &str, link: Option<&str>) -> String {
    let paragraphs: String = text
        .split("\n\n")
        .map(|p| {
            format!(
                "<p>{}</p>",
                html_escape::encode_text(p).replace('\n', "<br>")
            )
        })
        .collect();
    let button = link.map_or_else(String::new, |url| {
        format!(
            "<p><a href=\"{}\" style=\"display:inline-block;background:#1d4ed8;color:#fff;\
             padding:10px 16px;border-radius:6px;text-decoration:none\">Open in the shop</a></p>",
            html_escape::encode_double_quoted_attribute(url)
        )
    });
    format!(
        "<!doctype html><html lang=\"en\"><body style=\"font-family:system-ui,sans-serif;\
         line-height:1.5;color:#0f172a;max-width:36rem\">{paragraphs}{button}</body></html>"
    )
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
            node: random_hex(8),
        })
    }

    /// The email for an outbox row: its payload's `subject` and `text`, and its `link` (a local
    /// path) made absolute; as plain text, and as HTML with the link as a button.
    fn compose(&self, recipient: &str, payload: &str) -> Result<Message, String> {
        let OutboxEmail {
            subject,
            mut text,
            link,
        } = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        let link = link
            .starts_with('/')
            .then(|| format!("{}{link}", self.public_url));
        let html = html_of(&text, link.as_deref());
        if let Some(link) = &link {
            text.push_str(&format!("\n\n{link}\n"));
        }
        Message::builder()
            .from(self.from.clone())
            .to(recipient.parse::<Mailbox>().map_err(|e| e.to_string())?)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
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

/// Emails waiting to be sent that will still be tried: the outbox's backlog.
pub async fn backlog(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND attempts < $1")
        .bind(MAX_ATTEMPTS)
        .fetch_one(db.pool())
        .await
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
            "UPDATE outbox SET claimed_until = $1, claimed_by = $2, attempts = attempts + 1 \
             WHERE id = $3 AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < $4)",
        )
        .bind(now + CLAIM_MS)
        .bind(&mailer.node)
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
                sqlx::query(
                    "UPDATE outbox SET sent_at = $1, last_error = '', claimed_by = '' WHERE id = $2",
                )
                    .bind(now_ms())
                    .bind(id)
                    .execute(db.writer())
                    .await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(id, %error, "email not sent; it will be tried again");
                // The claim stays as the wait before the next attempt.
                sqlx::query("UPDATE outbox SET last_error = $1, claimed_by = '' WHERE id = $2")
                    .bind(&error)
                    .bind(id)
                    .execute(db.writer())
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// Hands back the claims of messages `mailer`'s node took but did not finish: another node
/// sends them at its next round instead of after the claim runs out. Returns how many.
pub async fn release_claims(db: &Db, mailer: &Mailer) -> Result<u64, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE outbox SET claimed_until = NULL, claimed_by = '', attempts = attempts - 1 \
         WHERE claimed_by = $1 AND sent_at IS NULL",
    )
    .bind(&mailer.node)
    .execute(db.writer())
    .await?;
    Ok(released.rows_affected())
}

/// How long a message being sent when the node stops may take to finish.
const FINISH_AT_STOP: Duration = Duration::from_secs(5);

/// Delivers the outbox every couple of seconds until the node stops; then lets the message in
/// flight finish (briefly) and hands back any claim left.
pub async fn deliver_until_stopped(db: Db, mailer: Mailer, mut stopping: Stopping) {
    let mut tick = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stopping.wait() => break,
        }
        let round = deliver_due(&db, &mailer);
        tokio::pin!(round);
        let outcome = tokio::select! {
            outcome = &mut round => outcome,
            () = stopping.wait() => {
                let _ = tokio::time::timeout(FINISH_AT_STOP, round).await;
                break;
            }
        };
        if let Err(error) = outcome {
            tracing::warn!(%error, "outbox delivery failed");
        }
    }
    match release_claims(&db, &mailer).await {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, "unsent emails handed back to the other nodes"),
        Err(error) => tracing::warn!(%error, "handing back claimed emails failed"),
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
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Content-Type: text/plain"), "{text}");
        assert!(text.contains("Content-Type: text/html"), "{text}");
    }

    #[test]
    fn the_html_part_escapes_the_text_and_links_the_shop() {
        let html = html_of(
            "Hello <b>Ann</b> & co,\n\nLine one\nline two",
            Some("https://shop.test/orders/EM-1?a=1&b=\"2\""),
        );
        assert!(
            html.contains("<p>Hello &lt;b&gt;Ann&lt;/b&gt; &amp; co,</p>"),
            "{html}"
        );
        assert!(html.contains("<p>Line one<br>line two</p>"), "{html}");
        assert!(
            html.contains(r#"href="https://shop.test/orders/EM-1?a=1&amp;b=&quot;2&quot;""#),
            "{html}"
        );
        assert!(!html_of("No link", None).contains("<a "));
    }

    #[test]
    fn bad_settings_and_rows_are_reported() {
        assert!(Mailer::new(None, "not an address", "http://x", PathBuf::new()).is_err());
        assert!(Mailer::new(Some("ftp://nope"), "a@b.c", "http://x", PathBuf::new()).is_err());
        assert!(mailer().compose("not an address", "{}").is_err());
        assert!(mailer().compose("a@b.c", "not json").is_err());
    }
}
