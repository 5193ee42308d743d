import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startServer } from '../server';
import { SmtpMailer } from './mailer';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A mail message's header value, with folded continuation lines joined. */
function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The body as text, undoing quoted-printable if the mailer chose it for long lines. */
function body(raw: string): string {
  const text = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  if (!/quoted-printable/i.test(header(raw, 'content-transfer-encoding') ?? '')) return text;
  return text
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('SmtpMailer against a local SMTP server', () => {
  const received: Received[] = [];
  let smtp: SMTPServer;
  let url: string;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        // A mailbox the server refuses, to see that a failed delivery reaches the caller.
        if (address.address.startsWith('refused@')) callback(new Error('550 no such mailbox'));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smtp.once('error', reject);
      smtp.listen(0, '127.0.0.1', () => resolve());
    });
    url = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('delivers the recipient, sender, subject and body', async () => {
    const mailer = new SmtpMailer(url, 'Enclave <no-reply@enclave.example>');
    expect(mailer.kind).toBe('smtp');
    const text = 'Hello Ada,\n\nConfirm your address:\nhttps://enclave.example/verify-email?token=abc123\n';
    await mailer.send({ to: 'ada@client.example', subject: 'Confirm your email address for Enclave', text });

    expect(received).toHaveLength(1);
    const [mail] = received;
    expect(mail!.to).toEqual(['ada@client.example']);
    expect(mail!.from).toBe('no-reply@enclave.example');
    expect(header(mail!.raw, 'to')).toBe('ada@client.example');
    expect(header(mail!.raw, 'from')).toBe('Enclave <no-reply@enclave.example>');
    expect(header(mail!.raw, 'subject')).toBe('Confirm your email address for Enclave');
    expect(body(mail!.raw).replace(/\r\n/g, '\n')).toContain(text);
  });

  it('fails the send when the SMTP server refuses the recipient', async () => {
    const mailer = new SmtpMailer(url, 'Enclave <no-reply@enclave.example>');
    await expect(
      mailer.send({ to: 'refused@client.example', subject: 'Not delivered', text: 'Nobody reads this.' }),
    ).rejects.toThrow();
    expect(received).toEqual([]);
  });

  it('is what a server configured with ENCLAVE_SMTP_URL sends its verification mail through', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'enclave-smtp-'));
    const config = loadConfig({
      ENCLAVE_HOST: '127.0.0.1',
      ENCLAVE_PORT: '0',
      ENCLAVE_DATA_DIR: dataDir,
      ENCLAVE_SIGNUP: 'open',
      ENCLAVE_SMTP_URL: url,
      ENCLAVE_MAIL_FROM: 'Enclave <accounts@enclave.example>',
      ENCLAVE_LOG_LEVEL: 'silent',
      ENCLAVE_DB_CACHE_KIB: '2048',
    });
    const server = await startServer({ config, logger: createLogger('silent') });
    try {
      expect(server.deps.mailer.kind).toBe('smtp');
      const res = await fetch(`${server.url}/api/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({
          email: 'grace@client.example',
          name: 'Grace',
          password: 'a long enough password',
        }),
      });
      expect(res.status).toBe(202);
      expect(received).toHaveLength(1);
      const [mail] = received;
      expect(mail!.to).toEqual(['grace@client.example']);
      expect(mail!.from).toBe('accounts@enclave.example');
      expect(header(mail!.raw, 'subject')).toBe('Confirm your email address for Enclave');
      expect(body(mail!.raw)).toMatch(
        new RegExp(`${server.url}/console/verify-email\\?token=[A-Za-z0-9_-]{43}`),
      );
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
