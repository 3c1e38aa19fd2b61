// Real NATS client traffic for tests/e2e/nats_capture.sh (npm `nats`, the official JS client).
// usage: node client.js PORT
// Connects as user "app" (password "pw") to 127.0.0.1:PORT and runs: subscribe, publish (plain,
// with headers carrying traceparent and sw8, pipelined bursts, one payload larger than l7tap's
// 64 KiB buffer), request/reply, flush (PING/PONG), a publish the server denies (-ERR
// 'Permissions Violation ...'), a verbose connection (+OK), and a connection with a wrong password
// (-ERR 'Authorization Violation'). Every step is bounded by timeouts; the script exits on its own.
"use strict";
const { connect, headers, StringCodec } = require("nats");

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node client.js PORT");
  process.exit(2);
}
const server = `127.0.0.1:${port}`;
const sc = StringCodec();
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
// sw8: sample-b64(trace id)-b64(segment id)-span id-b64(service)-b64(instance)-b64(endpoint)-b64(peer)
const b64 = (s) => Buffer.from(s).toString("base64");
const SW8 = ["1", b64("sw8trace.1.100"), b64("sw8segment.2.200"), "3", b64("svc"), b64("inst"),
  b64("orders.sw8"), b64(server)].join("-");

async function main() {
  const nc = await connect({ servers: server, user: "app", pass: "pw", name: "l7tap-e2e", timeout: 5000 });
  const errors = [];
  nc.closed().then((e) => e && errors.push(e));

  let received = 0;
  nc.subscribe("orders.>", { callback: () => { received += 1; } });
  nc.subscribe("svc.echo", { queue: "workers", callback: (_e, m) => m.respond(sc.encode(`echo:${sc.decode(m.data)}`)) });
  await nc.flush();

  nc.publish("orders.created", sc.encode("order 1"));
  const h1 = headers();
  h1.append("traceparent", TRACEPARENT);
  h1.append("X-Tenant", "blue");
  nc.publish("orders.traced", sc.encode("order with traceparent"), { headers: h1 });
  const h2 = headers();
  h2.append("sw8", SW8);
  nc.publish("orders.sw8", sc.encode("order with sw8"), { headers: h2 });
  await nc.flush();

  const reply = await nc.request("svc.echo", sc.encode("hello"), { timeout: 2000 });
  console.error(`request/reply: ${sc.decode(reply.data)}`);

  // A pipelined burst: the client coalesces these into few large writes.
  for (let i = 0; i < 200; i += 1) nc.publish(`bulk.${i % 4}`, sc.encode(`message ${i}`));
  // One payload larger than 64 KiB (the server allows 1 MiB), also delivered back to us.
  nc.publish("orders.big", new Uint8Array(200 * 1024).fill(0x41));
  await nc.flush();

  // Denied by the server's permissions: it answers -ERR and keeps the connection.
  nc.publish("secret.plans", sc.encode("nope"));
  await nc.flush();
  nc.publish("orders.after-error", sc.encode("still connected"));
  await nc.flush();
  await nc.drain();
  console.error(`received ${received} messages on orders.>`);

  // verbose: the server acknowledges every operation with +OK.
  const nv = await connect({ servers: server, user: "app", pass: "pw", verbose: true, timeout: 5000 });
  nv.subscribe("verbose.>", { callback: () => {} });
  nv.publish("verbose.one", sc.encode("1"));
  await nv.flush();
  await nv.close();

  // Wrong password: -ERR 'Authorization Violation' and the server closes the connection.
  try {
    const bad = await connect({ servers: server, user: "app", pass: "wrong", timeout: 3000, reconnect: false,
      maxReconnectAttempts: 0 });
    await bad.close();
    throw new Error("connection with a wrong password was accepted");
  } catch (e) {
    console.error(`bad password rejected: ${e.code || e.message}`);
  }
  if (errors.length) console.error(`connection errors: ${errors.join("; ")}`);
}

const guard = setTimeout(() => { console.error("client timed out"); process.exit(1); }, 30000);
main().then(() => { clearTimeout(guard); }, (e) => { console.error(e); process.exit(1); });
