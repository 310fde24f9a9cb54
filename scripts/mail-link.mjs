// Prints the link in the newest mail embedded Kith wrote (<KITH_DATA_DIR>/mail/*.eml), decoded:
// the files are quoted-printable, so a link copied from them by hand carries `=3D` and soft
// line breaks and fails.
//   node scripts/mail-link.mjs            the link
//   node scripts/mail-link.mjs --token    only its token= value
//   node scripts/mail-link.mjs --to ana@example.com --token   the newest mail to that address
//   node scripts/mail-link.mjs --to ana@example.com --code    the sign-in code of a mailed-code login
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    token: { type: 'boolean', default: false },
    code: { type: 'boolean', default: false },
    to: { type: 'string' },
  },
});
const mailDir = path.join(process.env.KITH_DATA_DIR ?? '.data', 'mail');

function fail(message) {
  console.error(`mail-link: ${message}`);
  process.exit(1);
}

/** Header block and body; header names lower-cased, folded lines joined. */
function splitMessage(text) {
  const at = text.search(/\r?\n\r?\n/);
  const head = at < 0 ? text : text.slice(0, at);
  const body = at < 0 ? '' : text.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** `body` is the raw bytes as latin1 text (one char per byte); the result is UTF-8 decoded. */
function decodeBody(headers, body) {
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64')
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return Buffer.from(body, 'latin1').toString('utf8');
  // Soft line breaks go first, then every =XX is a byte of UTF-8.
  const joined = body.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(joined.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The text/plain content of a message, from a multipart one if need be. */
function plainText(text) {
  const { headers, body } = splitMessage(text);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!type.toLowerCase().startsWith('multipart/') || !boundary) return decodeBody(headers, body);
  for (const part of body.split(`--${boundary}`).slice(1)) {
    const inner = part.replace(/^\r?\n/, '');
    const found = plainText(inner);
    if (splitMessage(inner).headers.get('content-type')?.toLowerCase().startsWith('text/plain')) {
      return found;
    }
  }
  return '';
}

let files;
try {
  files = fs.readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
} catch {
  fail(`no mail directory at ${mailDir} (set KITH_DATA_DIR to the server's data directory)`);
}
// Names start with the time written (ISO 8601 basic format), so the newest sorts last.
files.sort().reverse();
const message = files
  .map((name) => fs.readFileSync(path.join(mailDir, name), 'latin1'))
  .find((raw) => {
    if (!values.to) return true;
    const to = splitMessage(raw).headers.get('to') ?? '';
    return to.toLowerCase().includes(values.to.toLowerCase());
  });
if (!message) fail(`no mail${values.to ? ` to ${values.to}` : ''} in ${mailDir}`);

if (values.code) {
  // The code stands alone on its line, indented (auth's mailed-code template).
  const code = /^ {4}([A-Z0-9]{6})$/m.exec(plainText(message))?.[1];
  if (!code) fail('the newest mail holds no sign-in code');
  console.log(code);
  process.exit(0);
}
const link = /https?:\/\/[^\s<>"]+/.exec(plainText(message))?.[0];
if (!link) fail('the newest mail holds no link');
if (values.token) {
  const token = new URL(link).searchParams.get('token');
  if (!token) fail(`the link has no token: ${link}`);
  console.log(token);
} else {
  console.log(link);
}
