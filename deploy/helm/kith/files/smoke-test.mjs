// Run by `helm test`: each URL in READY_URLS must answer 200, then one public RPC must succeed.
const failures = [];
for (const url of (process.env.READY_URLS ?? '').split(' ').filter(Boolean)) {
  const status = await fetch(url).then(
    (r) => r.status,
    (err) => String(err),
  );
  if (status !== 200) failures.push(`${url}: ${status}`);
}
const rpc = await fetch(process.env.RPC_URL, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ userIds: ['00000000-0000-4000-8000-000000000000'] }),
}).then(
  async (r) => ({ status: r.status, body: await r.text() }),
  (err) => ({ status: String(err), body: '' }),
);
if (rpc.status !== 200) failures.push(`${process.env.RPC_URL}: ${rpc.status} ${rpc.body}`);
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
process.stdout.write('kith smoke test passed\n');
