// NATS conversations (a client and nats-server): INFO from the server, CONNECT + PING from the
// client (refused for a share with -ERR 'Authorization Violation', after which the server closes
// the connection), [+OK] PONG, then exchanges — PUB and HPUB (with a `traceparent` header on a
// share), SUB/UNSUB, MSG/HMSG deliveries, PING/PONG from either side; verbose clients get +OK for
// each command; a share of PUB/SUB meets -ERR 'Permissions Violation ...' — then the client
// closes the connection.
//
// Expected records (README "NATS"): INFO↔CONNECT and PING↔PONG pair; everything else, +OK and
// -ERR included, is a session of its own (-ERR: client_error for these texts).
#include <array>

#include "tools/gen/proto_nats.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t { kNInfo, kNPing, kNPub, kNHpub, kNSub, kNUnsub, kNMsg, kNHmsg, kNOk, kNErr };
constexpr std::array<std::string_view, 10> kNames = {"INFO", "PING",  "PUB", "HPUB", "SUB",
                                                     "UNSUB", "MSG", "HMSG", "OK",   "ERR"};

enum Kind : uint8_t {
  kInfo, kConnect, kConnErr, kPong, kPub, kHpub, kOk, kErr, kSub, kUnsub, kMsg, kHmsg, kPingC, kPongS, kPingS, kPongC,
};

// Conv fields: id = last subscription id; aux = 1 when the pending command is refused; step =
// subject number of the command in flight; size = payload bytes; flags as below.
constexpr uint8_t kVerbose = 1, kHeaders = 2, kSubscribed = 4, kRefusedSub = 8;

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

void next_exchange(Conv& c, Env& e);

// A command was sent: the server refuses it, acknowledges it (verbose clients) or says nothing.
void command_done(Conv& c, Env& e) {
  if (c.aux != 0) return plan(c, kS, kErr);
  if ((c.flags & kVerbose) != 0) return plan(c, kS, kOk);
  next_exchange(c, e);
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) return finish(c, kC, c.rst);
  const bool subscribed = (c.flags & kSubscribed) != 0;
  const bool headers = (c.flags & kHeaders) != 0;
  const uint32_t r = below(c.rng, 100);
  c.aux = 0;
  c.step = static_cast<uint8_t>(below(c.rng, 256));
  if (r < 35 || (r < 50 && !headers)) {
    c.size = payload_size(c, e);
    if (refuse(c, e)) c.aux = 1;
    return plan(c, kC, kPub);
  }
  if (r < 50) {
    c.size = payload_size(c, e);
    if (refuse(c, e)) c.aux = 1;
    return plan(c, kC, kHpub);
  }
  if (r < 60 && !subscribed) {
    ++c.id;
    if (refuse(c, e)) c.aux = 1;
    return plan(c, kC, kSub);
  }
  if (r < 82 && subscribed) {
    c.size = payload_size(c, e);
    return plan(c, kS, headers && chance(c.rng, 0.3) ? kHmsg : kMsg);
  }
  if (r < 85 && subscribed) return plan(c, kC, kUnsub);
  if (r < 93) return plan(c, kC, kPingC);
  plan(c, kS, kPingS);
}

// --- encoding --------------------------------------------------------------------------------

Text<64> subject(const Conv& c) {
  static constexpr std::string_view kRegions[] = {"eu", "us", "ap", "sa"};
  Text<64> t;
  switch (c.step % 4) {
    case 0: t.add("orders.").add(kRegions[(c.step >> 2) % 4]).add(".created"); break;
    case 1: t.add("metrics.host").num(c.step >> 2).add(".cpu"); break;
    case 2: t.add("events.user.").num(c.serial % 1000); break;
    default: t.add("updates.").num(c.step); break;
  }
  return t;
}

// What the client subscribes to (and what MSG deliveries then carry).
Text<64> sub_subject(const Conv& c) {
  Text<64> t;
  t.add("events.user.").num(c.serial % 1000);
  return t;
}

Text<64> inbox(Rng& r) {
  Text<64> t;
  t.add("_INBOX.").hex(r.next(), 16).add(".").num(r.below(100));
  return t;
}

void encode_info(const Conv& c, Writer& w) {
  Text<512> j;
  j.add("{\"server_id\":\"N").hex(c.serial * 0x9E3779B97F4A7C15ull, 16).add("\",\"server_name\":\"nats-");
  j.num(c.tcp.server_ip()[c.tcp.ipv6() ? 15 : 3]).add("\",\"version\":\"2.10.").num(c.serial % 12);
  j.add("\",\"proto\":1,\"git_commit\":\"5e3f7c1\",\"go\":\"go1.21.8\",\"host\":\"0.0.0.0\",\"port\":");
  j.num(c.tcp.server_port()).add(",\"headers\":").add((c.flags & kHeaders) != 0 ? "true" : "false");
  j.add(",\"max_payload\":1048576,\"client_id\":").num(c.serial % 1000000).add(",\"client_ip\":\"");
  j.add(client_ip_text(c).view()).add("\"}");
  nats::info(w, j.view());
}

void encode_connect(const Conv& c, Writer& w) {
  Text<512> j;
  j.add("{\"verbose\":").add((c.flags & kVerbose) != 0 ? "true" : "false");
  j.add(",\"pedantic\":false,\"tls_required\":false,\"name\":\"gen-").hex(client_key(0, c.serial), 8);
  j.add("\",\"lang\":\"go\",\"version\":\"1.31.0\",\"protocol\":1,\"echo\":true,\"headers\":");
  j.add((c.flags & kHeaders) != 0 ? "true" : "false").add(",\"no_responders\":true,\"user\":\"svc-");
  j.num(c.serial % 50).add("\",\"pass\":\"s3cret\"}");
  nats::connect(w, j.view());
  nats::ping(w);  // clients flush the CONNECT with a PING
}

}  // namespace

std::span<const std::string_view> nats_names() { return kNames; }

void nats_start(Conv& c, Env&) {
  if (chance(c.rng, 0.2)) c.flags |= kVerbose;
  if (chance(c.rng, 0.8)) c.flags |= kHeaders;
  plan(c, kS, kInfo);
}

void nats_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  switch (c.kind) {
    case kInfo: return encode_info(c, w);
    case kConnect: return encode_connect(c, w);
    case kConnErr: return nats::err(w, "Authorization Violation");
    case kPong:
      if ((c.flags & kVerbose) != 0) nats::ok(w);  // for the CONNECT
      return nats::pong(w);
    case kPub: {
      const Text<64> reply = inbox(r);
      return nats::pub(w, subject(c).view(), r.chance(0.2) ? reply.view() : std::string_view(), payload(e, r, c.size));
    }
    case kHpub: {
      const Text<64> trace = traceparent(r);
      Text<32> msg_id;
      msg_id.add("gen-").hex(r.next(), 12);
      const std::array<nats::Header, 2> h = {{{"Nats-Msg-Id", msg_id.view()}, {"traceparent", trace.view()}}};
      return nats::hpub(w, subject(c).view(), {}, std::span(h.data(), r.chance(0.5) ? 2 : 1), payload(e, r, c.size));
    }
    case kOk: return nats::ok(w);
    case kErr: {
      Text<128> t;
      if ((c.flags & kRefusedSub) != 0) {
        t.add("Permissions Violation for Subscription to \"").add(sub_subject(c).view()).add("\"");
      } else {
        t.add("Permissions Violation for Publish to \"").add(subject(c).view()).add("\"");
      }
      return nats::err(w, t.view());
    }
    case kSub: return nats::sub(w, sub_subject(c).view(), r.chance(0.3) ? "workers" : "", c.id);
    case kUnsub: return nats::unsub(w, c.id);
    case kMsg:
      return nats::msg(w, sub_subject(c).view(), c.id, {}, payload(e, r, c.size));
    case kHmsg: {
      const Text<64> trace = traceparent(r);
      const std::array<nats::Header, 1> h = {{{"traceparent", trace.view()}}};
      return nats::hmsg(w, sub_subject(c).view(), c.id, {}, h, payload(e, r, c.size));
    }
    case kPingC:
    case kPingS: return nats::ping(w);
    case kPongS:
    case kPongC: return nats::pong(w);
    default: return;
  }
}

void nats_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kNats;
  switch (c.kind) {
    case kInfo:
      c.aux = refuse(c, e) ? 1 : 0;
      return plan(c, kC, kConnect);
    case kConnect:
      expect(e, p, kNInfo);  // CONNECT answers INFO; the PING waits for its PONG
      if (abort_after_request(c, e, kNPing)) return;
      return plan(c, kS, c.aux != 0 ? kConnErr : kPong);
    case kConnErr:
      expect(e, p, kNErr, Status::kClientError);
      // The server closes the connection: the PING sent with CONNECT is never answered.
      expect(e, p, kNPing, Status::kUnknown, RecordType::kRequest);
      return finish(c, kS);
    case kPong:
      if ((c.flags & kVerbose) != 0) expect(e, p, kNOk);
      expect(e, p, kNPing);
      return next_exchange(c, e);
    case kPub:
    case kHpub:
      expect(e, p, c.kind == kPub ? kNPub : kNHpub);
      c.flags &= static_cast<uint8_t>(~kRefusedSub);
      return command_done(c, e);
    case kSub:
      expect(e, p, kNSub);
      if (c.aux != 0) {
        c.flags |= kRefusedSub;
      } else {
        c.flags |= kSubscribed;
      }
      return command_done(c, e);
    case kUnsub:
      expect(e, p, kNUnsub);
      c.flags &= static_cast<uint8_t>(~kSubscribed);
      return command_done(c, e);
    case kOk:
      expect(e, p, kNOk);
      return next_exchange(c, e);
    case kErr:
      expect(e, p, kNErr, Status::kClientError);
      return next_exchange(c, e);
    case kMsg:
    case kHmsg:
      expect(e, p, c.kind == kMsg ? kNMsg : kNHmsg);
      return next_exchange(c, e);
    case kPingC:
      if (abort_after_request(c, e, kNPing)) return;
      return plan(c, kS, kPongS);
    case kPingS: return plan(c, kC, kPongC);
    case kPongS:
    case kPongC:
      expect(e, p, kNPing);
      return next_exchange(c, e);
    default: return;
  }
}

}  // namespace gen::detail
