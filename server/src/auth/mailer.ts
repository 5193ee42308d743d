import nodemailer from 'nodemailer';
import type { Logger } from '../logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** `smtp` sends for real; `log` prints the message to the server log (development without SMTP). */
  readonly kind: 'smtp' | 'log' | 'outbox';
  send(message: MailMessage): Promise<void>;
}

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp';
  private readonly transport;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url, {
      // nodemailer's defaults wait minutes; a request waiting on mail should not.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }
}

/**
 * Without SMTP, the message goes to the log so that a single operator can still verify and invite.
 * The server says so at start: one-time links in a log are acceptable only on a machine you own.
 */
export class LogMailer implements Mailer {
  readonly kind = 'log';

  constructor(private readonly logger: Logger) {}

  async send(message: MailMessage): Promise<void> {
    this.logger.warn(
      { mailTo: message.to, subject: message.subject },
      `email not sent (no SMTP configured):\n${message.text}`,
    );
  }
}

/** Keeps messages in memory, for embedding the server in tests and tools that read the mail themselves. */
export class OutboxMailer implements Mailer {
  readonly kind = 'outbox';
  readonly messages: MailMessage[] = [];

  async send(message: MailMessage): Promise<void> {
    this.messages.push(message);
  }

  /** The last message sent to `to`, if any. */
  lastTo(to: string): MailMessage | undefined {
    return this.messages.findLast((m) => m.to === to);
  }
}
