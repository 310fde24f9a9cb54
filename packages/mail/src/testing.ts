/** Test utilities: a real SMTP server in-process and an independent MIME reader. */
export { startSmtpServer } from './smtp-test-server.js';
export type { TestSmtpServer } from './smtp-test-server.js';
export { readMessage } from './read-mime.js';
export type { ReadMessage } from './read-mime.js';
export type { DeliveredMail } from './mailer-contract.js';
