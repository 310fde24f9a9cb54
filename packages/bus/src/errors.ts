/** Base class so callers can catch every request/reply failure at once. */
export class BusRequestError extends Error {
  readonly subject: string;
  constructor(message: string, subject: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BusRequestError';
    this.subject = subject;
  }
}

/** No reply arrived within the timeout. */
export class BusTimeoutError extends BusRequestError {
  readonly timeoutMs: number;
  constructor(subject: string, timeoutMs: number, options?: ErrorOptions) {
    super(`request to ${subject} timed out after ${timeoutMs} ms`, subject, options);
    this.name = 'BusTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Nobody serves the subject; failing fast beats waiting for the timeout. */
export class BusNoRespondersError extends BusRequestError {
  constructor(subject: string, options?: ErrorOptions) {
    super(`no responders for ${subject}`, subject, options);
    this.name = 'BusNoRespondersError';
  }
}

/** The serving handler threw; its message crosses the bus, its stack does not. */
export class BusRemoteError extends BusRequestError {
  constructor(subject: string, remoteMessage: string) {
    super(`handler for ${subject} failed: ${remoteMessage}`, subject);
    this.name = 'BusRemoteError';
  }
}
