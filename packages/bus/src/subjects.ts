const durablePattern = /^[A-Za-z0-9_-]{1,64}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** NATS refuses `.`, `*`, `>` and spaces in durable names; refuse them on every adapter. */
export function assertDurableName(durable: string): void {
  if (!durablePattern.test(durable)) {
    throw new Error(
      `invalid durable name ${JSON.stringify(durable)}: use letters, digits, - and _`,
    );
  }
}

/** Whether `value` is a UUID. Event payloads are not validated on the way in: consumers check ids. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Ids double as inbox keys (uuid columns), so a malformed id must fail at publish time. */
export function assertMessageId(id: string): void {
  if (!uuidPattern.test(id)) throw new Error(`message id ${JSON.stringify(id)} is not a UUID`);
}

export function assertSubject(subject: string, allowWildcards: boolean): void {
  const tokens = subject.split('.');
  const ok = tokens.every((t, i) => {
    if (t.length === 0 || /\s/.test(t)) return false;
    if (t === '>') return allowWildcards && i === tokens.length - 1;
    if (t === '*') return allowWildcards;
    return !t.includes('*') && !t.includes('>');
  });
  if (!ok) throw new Error(`invalid subject ${JSON.stringify(subject)}`);
}

/** NATS subject matching: `*` is one token, a trailing `>` is one or more tokens. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

/** The same matching as a Postgres regular expression, so the local bus filters in SQL. */
export function subjectFilterRegex(filter: string): string {
  const parts = filter.split('.').map((token) => {
    if (token === '>') return '.+';
    if (token === '*') return '[^.]+';
    return token.replace(/[\\^$.|?*+()[\]{}-]/g, '\\$&');
  });
  return `^${parts.join('\\.')}$`;
}
