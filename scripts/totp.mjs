// Prints the current 6-digit TOTP code for a base32 secret, like an authenticator app would.
// For trying MFA against a local Kith from the command line:  node scripts/totp.mjs <secret>
import crypto from 'node:crypto';

const secret = process.argv[2];
if (!secret) {
  console.error('usage: node scripts/totp.mjs <base32 secret>');
  process.exit(2);
}
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
let bits = '';
for (const char of secret.replace(/=+$/, '').toUpperCase()) {
  const value = alphabet.indexOf(char);
  if (value < 0) {
    console.error('not a base32 secret');
    process.exit(2);
  }
  bits += value.toString(2).padStart(5, '0');
}
const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
const counter = Buffer.alloc(8);
counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
const mac = crypto.createHmac('sha1', key).update(counter).digest();
const offset = mac[mac.length - 1] & 0xf;
const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
console.log(String(code).padStart(6, '0'));
