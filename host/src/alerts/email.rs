//! Alert email over SMTP (lettre, rustls): `[alerts.email]` says how, `[alerts.teams.<team>]
//! email = [...]` says to whom.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Incident;
use super::settings::{EmailSettings, EmailTls};

/// An SMTP sender. `Debug` names the server only.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Builds the transport; credentials come from the environment variables named.
    pub fn new(settings: &EmailSettings) -> Result<Self, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("[alerts.email] from `{}`: {e}", settings.from))?;
        let host = settings.smtp_host.as_str();
        let builder = match settings.tls {
            EmailTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| e.to_string())?,
            EmailTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?
            }
            // Plain SMTP: only for a relay on the same machine or network.
            EmailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(Duration::from_secs(15)));
        if let (Some(user_env), Some(pass_env)) = (&settings.username_env, &settings.password_env) {
            let user = std::env::var(user_env)
                .map_err(|_| format!("[alerts.email] ${user_env} is not set"))?;
            let pass = std::env::var(pass_env)
                .map_err(|_| format!("[alerts.email] ${pass_env} is not set"))?;
            builder = builder.credentials(Credentials::new(user, pass));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            server: format!("{host}:{}", settings.smtp_port),
        })
    }

    /// Sends the incident to every address; errors name the address, never credentials.
    pub async fn send(&self, to: &[String], incident: &Incident) -> Result<(), String> {
        for address in to {
            let mailbox: Mailbox = address
                .parse()
                .map_err(|e| format!("address `{address}`: {e}"))?;
            let subject: String = format!("[Selvedge] {}", incident.text)
                .chars()
                .take(150)
                .collect();
            let message = Message::builder()
                .from(self.from.clone())
                .to(mailbox)
                .subject(subject)
                .header(ContentType::TEXT_PLAIN)
                .body(format!(
                    "{}\n\nOpen in the Selvedge dashboard: {}\n",
                    incident.text, incident.link
                ))
                .map_err(|e| format!("building the mail to {address}: {e}"))?;
            self.transport
                .send(message)
                .await
                .map_err(|e| format!("sending to {address} through {}: {e}", self.server))?;
        }
        Ok(())
    }
}
