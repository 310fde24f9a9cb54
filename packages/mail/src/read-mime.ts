/**
 * A small, strict reader for the messages the mailers produce, written independently of
 * nodemailer so tests check its output instead of trusting it: header unfolding, RFC 2047
 * encoded words, multipart bodies, quoted-printable and base64, UTF-8. Test use only.
 */
export interface ReadMessage {
  /** Header fields in order, names lower-cased, values unfolded and decoded. */
  headers: [name: string, value: string][];
  header(name: string): string | undefined;
  /** The text/plain body, decoded. */
  text: string | undefined;
  /** The text/html body, decoded. */
  html: string | undefined;
  /** Content types of the leaf parts, in order. */
  partTypes: string[];
}

interface Part {
  headers: [string, string][];
  body: string;
}

export function readMessage(raw: Buffer): ReadMessage {
  // latin1 maps each byte to one char, so structure is parsed on text and bytes come back exact.
  const root = splitPart(raw.toString('latin1'));
  const headers = root.headers.map(([n, v]): [string, string] => [n, decodeWords(v)]);
  const leaves: { type: string; content: string }[] = [];
  collectLeaves(root, leaves);
  return {
    headers,
    header: (name) => headers.find(([n]) => n === name.toLowerCase())?.[1],
    text: leaves.find((l) => l.type === 'text/plain')?.content,
    html: leaves.find((l) => l.type === 'text/html')?.content,
    partTypes: leaves.map((l) => l.type),
  };
}

function splitPart(source: string): Part {
  const match = /\r?\n\r?\n/.exec(source);
  const head = match ? source.slice(0, match.index) : source;
  const body = match ? source.slice(match.index + match[0].length) : '';
  if (/(^|[^\r])\n/.test(head)) throw new Error('bare LF in header block');
  const headers = head
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line): [string, string] => {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${line}`);
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
  return { headers, body };
}

function headerOf(part: Part, name: string): string | undefined {
  return part.headers.find(([n]) => n === name)?.[1];
}

function contentType(part: Part): { type: string; params: Record<string, string> } {
  const raw = headerOf(part, 'content-type') ?? 'text/plain; charset=us-ascii';
  const [type = '', ...rest] = raw.split(';');
  const params: Record<string, string> = {};
  for (const m of rest.join(';').matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|([^;\s]+))/g)) {
    params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { type: type.trim().toLowerCase(), params };
}

function collectLeaves(part: Part, out: { type: string; content: string }[]): void {
  const { type, params } = contentType(part);
  if (type.startsWith('multipart/')) {
    const boundary = params.boundary;
    if (!boundary) throw new Error('multipart without boundary');
    const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pieces = part.body.split(
      new RegExp(`(?:^|\\r\\n)--${escaped}(?:--)?[ \\t]*(?:\\r\\n|$)`),
    );
    // pieces: preamble, the parts, epilogue.
    for (const piece of pieces.slice(1, -1)) collectLeaves(splitPart(piece), out);
    return;
  }
  const bytes = decodeTransfer(part.body, headerOf(part, 'content-transfer-encoding'));
  out.push({ type, content: decodeCharset(bytes, params.charset) });
}

function decodeTransfer(body: string, encoding = '7bit'): Buffer {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body.replace(/[ \t]+\r\n/g, '\r\n').replace(/=\r\n/g, ''));
    case '7bit':
    case '8bit':
    case 'binary':
      return Buffer.from(body, 'latin1');
    default:
      throw new Error(`unknown transfer encoding ${encoding}`);
  }
}

function decodeQuotedPrintable(input: string, underscoreIsSpace = false): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '=') {
      const hex = input.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad quoted-printable escape =${hex}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (underscoreIsSpace && ch === '_') {
      bytes.push(0x20);
    } else {
      bytes.push(ch.charCodeAt(0));
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset = 'us-ascii'): string {
  return new TextDecoder(charset.toLowerCase(), { fatal: true }).decode(bytes);
}

/** RFC 2047: adjacent encoded words join (their bytes, so a split character survives). */
function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g;
  const joined = value.replace(/(\?=)[ \t]+(?==\?)/g, '$1');
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  // Header bytes outside encoded words may be raw UTF-8 (SMTPUTF8).
  const plain = (segment: string) => decodeCharset(Buffer.from(segment, 'latin1'), 'utf-8');
  const flush = () => {
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (const m of joined.matchAll(word)) {
    if (m.index > last) {
      flush();
      out += plain(joined.slice(last, m.index));
    }
    const charset = m[1]!.replace(/\*.*$/, '').toLowerCase();
    const data =
      m[2]!.toUpperCase() === 'B'
        ? Buffer.from(m[3]!, 'base64')
        : decodeQuotedPrintable(m[3]!, true);
    if (pending && pending.charset !== charset) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(data);
    last = m.index + m[0].length;
  }
  flush();
  return out + plain(joined.slice(last));
}
