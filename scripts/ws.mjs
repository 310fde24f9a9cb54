// `node scripts/ws.mjs [topic…]`: opens the gateway's `/ws` with the access token in
// KITH_TOKEN (sent as the `bearer.<jwt>` subprotocol entry, as browsers do), subscribes to the
// topics named (default `user` and `notifications`), answers pings and prints every frame as
// one line of proto3 JSON until interrupted. KITH_URL: the Kith base URL (default
// http://127.0.0.1:8080). Node 20 has WebSocket behind a flag; the script re-runs itself with it.
import { spawnSync } from 'node:child_process';

if (typeof WebSocket === 'undefined') {
  const args = ['--experimental-websocket', '--no-warnings', ...process.argv.slice(1)];
  process.exit(spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1);
}

const token = process.env.KITH_TOKEN;
if (!token) {
  console.error('set KITH_TOKEN to an access token (e.g. from Login)');
  process.exit(2);
}
const base = process.env.KITH_URL ?? 'http://127.0.0.1:8080';
const topics = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['user', 'notifications'];
const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, ['kith.v1', `bearer.${token}`]);
let requestId = 0;
ws.onmessage = ({ data }) => {
  console.log(data);
  const frame = JSON.parse(data);
  if (frame.hello) {
    for (const topic of topics) {
      ws.send(JSON.stringify({ requestId: ++requestId, subscribe: { topic } }));
    }
  }
  if (frame.ping) ws.send(JSON.stringify({ pong: { nonce: frame.ping.nonce } }));
};
ws.onclose = ({ code, reason }) => {
  console.error(`closed: ${code} ${reason}`);
  process.exit(code === 1000 ? 0 : 1);
};
ws.onerror = () => console.error('the socket failed (is Kith running, is the token valid?)');
