import { freePort } from '@kith/testkit';
import { SMTPServer } from 'smtp-server';
import type { DeliveredMail } from './mailer-contract.js';

/** A real SMTP server in this process (test use): AUTH PLAIN required, no TLS, on 127.0.0.1. */
export interface TestSmtpServer {
  port: number;
  url(user: string, pass: string): string;
  delivered: DeliveredMail[];
  /** Every AUTH attempt: its SASL method and user, and whether it succeeded. */
  logins: { method: string; username: string | undefined; ok: boolean }[];
  close(): Promise<void>;
}

export async function startSmtpServer(credentials: {
  user: string;
  pass: string;
}): Promise<TestSmtpServer> {
  const delivered: DeliveredMail[] = [];
  const logins: TestSmtpServer['logins'] = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN'],
    authOptional: false,
    // Plain TCP on loopback: AUTH without TLS is allowed here and only here.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      const ok =
        auth.method === 'PLAIN' &&
        auth.username === credentials.user &&
        auth.password === credentials.pass;
      logins.push({ method: auth.method, username: auth.username, ok });
      if (!ok) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        delivered.push({
          raw: Buffer.concat(chunks),
          envelope: {
            from: mailFrom ? mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
        });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: (user, pass) =>
      `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    delivered,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
