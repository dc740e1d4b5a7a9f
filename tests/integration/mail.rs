//! Outbox delivery on both databases: emails queued by orders reach a mail folder or an SMTP
//! server once, failures are retried and recorded, and two nodes never send one email twice.

use crate::{
    checkout::{GOOD_CARD, add, address, count, key, place, shopper, variant},
    on_both_backends,
    support::{Backend, TestApp, spawn_app},
};
use axum::http::StatusCode;
use emporium::{
    catalog::seed::seed,
    notifications::mail::{MAX_ATTEMPTS, Mailer, deliver_due, deliver_until_stopped},
    platform::jobs::Stopping,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

on_both_backends!(
    order_emails_reach_the_mail_folder_once,
    emails_go_out_over_smtp,
    undeliverable_emails_are_retried_then_given_up,
    a_stopping_node_hands_back_the_email_it_could_not_send,
);

/// A shopper with a paid order: one order confirmation in the outbox.
async fn with_confirmation(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    seed(app.db(), 5, 6).await.unwrap();
    let sku = variant(&app, 0, 1_200, 5).await;
    let mut buyer = shopper(&app, "Mae Mail").await;
    add(&mut buyer, &sku, "1").await;
    let shipping = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &key(1), &shipping, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    app
}

fn folder_mailer(dir: &std::path::Path) -> Mailer {
    Mailer::new(
        None,
        "Emporium <orders@shop.test>",
        "https://shop.test",
        dir.to_path_buf(),
    )
    .unwrap()
}

async fn order_emails_reach_the_mail_folder_once(backend: Backend) {
    let app = with_confirmation(backend).await;
    let dir = tempfile_dir("folder");
    let (one, two) = (folder_mailer(&dir), folder_mailer(&dir));
    // Two nodes deliver at the same moment: the email goes out once.
    let (a, b) = tokio::join!(deliver_due(app.db(), &one), deliver_due(app.db(), &two));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(deliver_due(app.db(), &one).await.unwrap(), 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL"
        )
        .await,
        1
    );
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let email = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        email.contains("From: Emporium <orders@shop.test>"),
        "{email}"
    );
    assert!(
        email.contains("Subject: Thank you for your order EM-"),
        "{email}"
    );
    assert!(email.contains("https://shop.test/orders/EM-"), "{email}");
    let _ = std::fs::remove_dir_all(&dir);
}

async fn emails_go_out_over_smtp(backend: Backend) {
    let app = with_confirmation(backend).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(fake_smtp(listener));
    let mailer = Mailer::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        "orders@shop.test",
        "https://shop.test",
        std::path::PathBuf::new(),
    )
    .unwrap();
    assert_eq!(deliver_due(app.db(), &mailer).await.unwrap(), 1);
    let (recipients, data) = server.await.unwrap();
    assert_eq!(recipients.len(), 1);
    assert!(
        recipients[0].starts_with("RCPT TO:<Mae.Mail-"),
        "{recipients:?}"
    );
    assert!(
        data.contains("Subject: Thank you for your order EM-"),
        "{data}"
    );
}

async fn undeliverable_emails_are_retried_then_given_up(backend: Backend) {
    let app = with_confirmation(backend).await;
    app.execute("UPDATE outbox SET recipient = 'not an address'")
        .await;
    let dir = tempfile_dir("failing");
    let mailer = folder_mailer(&dir);
    for attempt in 1..=MAX_ATTEMPTS + 1 {
        assert_eq!(deliver_due(app.db(), &mailer).await.unwrap(), 0);
        // The retry wait has passed.
        app.execute("UPDATE outbox SET claimed_until = 0").await;
        let attempts = count(&app, "SELECT attempts FROM outbox").await;
        assert_eq!(attempts, attempt.min(MAX_ATTEMPTS));
    }
    let error: String = app.scalar("SELECT last_error FROM outbox").await;
    assert!(!error.is_empty());
    assert!(!dir.exists(), "nothing was written");
}

async fn a_stopping_node_hands_back_the_email_it_could_not_send(backend: Backend) {
    let app = with_confirmation(backend).await;
    // An SMTP server that takes the connection and never says a word.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(socket);
    });
    let stuck = Mailer::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        "orders@shop.test",
        "https://shop.test",
        std::path::PathBuf::new(),
    )
    .unwrap();
    let (stop, stopping) = Stopping::new();
    let node = tokio::spawn(deliver_until_stopped(app.db().clone(), stuck, stopping));
    while count(&app, "SELECT COUNT(*) FROM outbox WHERE claimed_by <> ''").await == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dir = tempfile_dir("handed-back");
    let other = folder_mailer(&dir);
    assert_eq!(
        deliver_due(app.db(), &other).await.unwrap(),
        0,
        "the stuck node holds the claim"
    );

    stop.send(true).unwrap();
    node.await.unwrap();
    silent.abort();
    assert_eq!(
        count(&app, "SELECT attempts FROM outbox").await,
        0,
        "the unfinished attempt does not count"
    );
    assert_eq!(
        deliver_due(app.db(), &other).await.unwrap(),
        1,
        "another node sends it at once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "emporium-mail-{tag}-{}-{}",
        std::process::id(),
        emporium::platform::db::now_ms()
    ))
}

/// Speaks just enough SMTP to take one message; returns its recipients and its data.
async fn fake_smtp(listener: TcpListener) -> (Vec<String>, String) {
    let (socket, _) = listener.accept().await.unwrap();
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
    let (mut recipients, mut data, mut in_data) = (Vec::new(), String::new(), false);
    while let Some(line) = lines.next_line().await.unwrap() {
        if in_data {
            if line == "." {
                in_data = false;
                write.write_all(b"250 queued\r\n").await.unwrap();
            } else {
                data.push_str(&line);
                data.push('\n');
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 fake\r\n",
            "RCPT" => {
                recipients.push(line.clone());
                b"250 ok\r\n"
            }
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            }
            _ => b"250 ok\r\n",
        };
        write.write_all(reply).await.unwrap();
    }
    (recipients, data)
}
