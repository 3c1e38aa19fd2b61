// Real Pulsar client traffic for tests/e2e/pulsar_js_capture.sh: npm `pulsar-flex`, a pure-JavaScript
// Pulsar client that encodes the binary protocol itself (google-protobuf + its own framing and
// CRC32C; no native addon), against tools/pulsar_responder.py.
// usage: node client.js PORT
// Runs, against 127.0.0.1:PORT:
//   1. a producer on persistent://public/default/orders: lookup connection (CONNECT, LOOKUP), data
//      connection (CONNECT, PRODUCER; the responder then PINGs and the client PONGs), three messages
//      with properties (a W3C `traceparent` and `app`), one without; a PING from the client and a
//      PARTITIONED_METADATA (both built with pulsar-flex's own command builders / generated
//      PulsarApi classes and sent through its connection: pulsar-flex never sends PARTITIONED_METADATA
//      and pings only after 60 s); CLOSE_PRODUCER;
//   2. a consumer on the same topic (subscription "l7tap-sub", Exclusive, receive queue of 4):
//      SUBSCRIBE, FLOW, MESSAGE deliveries, an ACK for each (with request_id, answered by
//      ACK_RESPONSE), a second FLOW once the queue drained below half, CLOSE_CONSUMER (unsubscribe);
//   3. a producer on persistent://public/default/forbidden-orders, which the responder refuses with
//      ERROR AuthorizationError.
// Every step is bounded by timeouts; the script exits on its own (non-zero on any failure).
"use strict";
const { Producer, Consumer, logLevel } = require("pulsar-flex");
const commands = require("pulsar-flex/src/commands");
const pulsarApi = require("pulsar-flex/src/commands/protocol/pulsar/pulsar_pb");

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node client.js PORT");
  process.exit(2);
}
const discoveryServers = [`127.0.0.1:${port}`];
const TOPIC = "persistent://public/default/orders";
const REFUSED = "persistent://public/default/forbidden-orders";
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const within = (ms, what, p) =>
  Promise.race([p, sleep(ms).then(() => { throw new Error(`timeout: ${what}`); })]);

async function produce() {
  const producer = new Producer({ topic: TOPIC, discoveryServers, logLevel: logLevel.ERROR });
  await within(10000, "producer create", producer.create());
  for (let i = 1; i <= 3; i++) {
    await within(10000, `send ${i}`, producer.sendMessage({
      payload: `order ${i}`,
      properties: { traceparent: TRACEPARENT, app: "l7tap-e2e" },
    }));
  }
  await within(10000, "send plain", producer.sendMessage({ payload: "order without properties" }));
  // Give the client's ponger a moment to answer the responder's PING before the next request.
  await sleep(200);
  const client = producer._client;
  const cnx = client.getCnx();
  // A client PING, as pulsar-flex's pinger sends it (it does every 60 s); answered by PONG.
  await within(10000, "ping", cnx.sendSimpleCommandRequest({ command: commands.ping({}) }, client._responseMediator));
  // PARTITIONED_METADATA: pulsar-flex has no builder for it; its generated PulsarApi class is used.
  const pm = new pulsarApi.BaseCommand()
    .setType(pulsarApi.BaseCommand.Type.PARTITIONED_METADATA)
    .setPartitionmetadata(new pulsarApi.CommandPartitionedTopicMetadata().setTopic(TOPIC).setRequestId(7));
  cnx.sendSimpleCommandRequest({ command: pm }, client._responseMediator, true);
  await sleep(200);
  await within(10000, "producer close", producer.close());
  cnx.close();
}

async function consume() {
  const consumer = new Consumer({
    topic: TOPIC,
    discoveryServers,
    subscription: "l7tap-sub",
    subType: Consumer.SUB_TYPES.EXCLUSIVE,
    consumerName: "l7tap-consumer",
    receiveQueueSize: 4,
    logLevel: logLevel.ERROR,
  });
  await within(10000, "subscribe", consumer.subscribe());
  const got = [];
  let done;
  const all = new Promise((r) => (done = r));
  await consumer.run({
    autoAck: false,
    onMessage: async ({ ack, message, properties }) => {
      await ack();
      got.push({ payload: message.toString(), properties });
      if (got.length === 4) done();
    },
  });
  await within(20000, "4 messages", all);
  const traced = got.filter((m) => m.properties.traceparent === TRACEPARENT);
  if (traced.length !== 3) throw new Error(`traceparent on ${traced.length} of 3 deliveries: ${JSON.stringify(got)}`);
  await within(10000, "unsubscribe", consumer.unsubscribe());
  console.log(`consumed ${got.length}: ${got.map((m) => m.payload).join(", ")}`);
}

async function refused() {
  const producer = new Producer({ topic: REFUSED, discoveryServers, logLevel: logLevel.ERROR });
  try {
    await within(10000, "refused producer", producer.create());
  } catch (e) {
    if (e.name !== "PulsarFlexProducerCreationError") throw e;
    console.log(`refused as expected: ${e.message || e.name}`);
    producer._client.getCnx().close();
    return;
  }
  throw new Error("the producer on the forbidden topic was created");
}

(async () => {
  await produce();
  await consume();
  await refused();
  await sleep(300); // let the FINs go out before exiting
  process.exit(0);
})().catch((e) => {
  console.error(`pulsar client failed: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
