// Links in text and LinkRule matching. Hosts are found in http(s) URLs (also inside markdown
// "[x](https://…)") and in bare domains ("evil.example/path", "www.evil.example"); each is
// lower-cased, IDN in punycode, without a trailing dot. Detection of bare domains is lenient
// (any dotted name ending in a label of letters): over-matching costs a link rule nothing, as
// only listed domains match, while missing a link would let it through.
import { domainToASCII } from 'node:url';
import type { LinkRule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { stripInvisible } from './normalize.js';

/**
 * A URL with an http(s) scheme: the authority (group 1) ends at the first character that no
 * host contains, and the rest of the URL is consumed so its path is not read as a bare domain.
 * Slashes are optional and may be backslashes, as browsers accept "https:\\evil.example".
 */
const URL_WITH_SCHEME = /\bhttps?:[/\\]*([^\s/\\?#<>"'`()[\]{}|^,;!*]+)[^\s<>"'`()[\]{}]*/giu;

const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}\\p{M}\\-]{0,61}[\\p{L}\\p{N}\\p{M}])?';
const TOP_LABEL = '(?:xn--[a-z0-9\\-]{1,59}|\\p{L}[\\p{L}\\p{M}]{1,62})';
/** A dotted name not inside a longer word, e-mail address or name (an e-mail is not a link). */
const BARE_DOMAIN = new RegExp(
  `(?<![\\p{L}\\p{N}\\p{M}\\p{Pc}@.\\-])(?:${LABEL}\\.)+${TOP_LABEL}` +
    `(?![\\p{L}\\p{N}\\p{M}\\p{Pc}\\-]|\\.[\\p{L}\\p{N}])`,
  'giu',
);

/** The distinct hosts of the links in the text, in order of appearance. */
export function extractHosts(text: string): string[] {
  const hosts = new Set<string>();
  const visible = stripInvisible(text);
  const rest = visible.replace(URL_WITH_SCHEME, (_url, authority: string) => {
    addHost(hosts, authority);
    return ' ';
  });
  for (const [domain] of rest.matchAll(BARE_DOMAIN)) addHost(hosts, domain);
  return [...hosts];
}

/** Whether the text contains a link (a rate rule's with_links_only). */
export function hasLink(text: string): boolean {
  return extractHosts(text).length > 0;
}

/** A listed domain as hosts are compared: punycode, lower-case, no trailing dot ('' if invalid). */
export function normalizeDomain(domain: string): string {
  return trimDots(domainToASCII(stripInvisible(domain).trim().toLowerCase()));
}

/** Whether a host is the domain or one of its subdomains ("a.evil.example" ⊂ "evil.example"). */
export function hostMatchesDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export interface LinkMatcher {
  /** The first host in the text that is a listed domain or its subdomain, or undefined. */
  match(text: string): string | undefined;
}

/** Compiles a link rule: a host is looked up by each of its suffixes in a set of domains. */
export function compileLinkRule(rule: Pick<LinkRule, 'domains'>): LinkMatcher {
  const domains = new Set(rule.domains.map(normalizeDomain).filter((domain) => domain !== ''));
  return {
    match(text) {
      if (domains.size === 0) return undefined;
      return extractHosts(text).find((host) => suffixes(host).some((s) => domains.has(s)));
    },
  };
}

/** "a.b.c" → ["a.b.c", "b.c", "c"]. */
function suffixes(host: string): string[] {
  const labels = host.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** Parses an authority as a browser would (userinfo, port, percent-escapes, IDN) to its host. */
function addHost(hosts: Set<string>, authority: string): void {
  let hostname: string;
  try {
    hostname = new URL(`http://${authority}`).hostname;
  } catch {
    return;
  }
  const host = trimDots(hostname);
  if (host !== '') hosts.add(host);
}

function trimDots(host: string): string {
  return host.replace(/\.+$/, '');
}
