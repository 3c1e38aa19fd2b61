// ZMTP conversations (libzmq-style peers): the connecting side (TCP client) and the binding side
// greet in pieces as libzmq does (10 bytes, 11 bytes, then the rest of each 64-byte greeting),
// then NULL (READY both ways) or PLAIN (HELLO, WELCOME, INITIATE, READY; refused for a share with
// ERROR "400" in libzmq's spelling, after which the server closes). Then, by socket pattern:
//  - REQ (or DEALER) → REP (or ROUTER for REQ): [delimiter][body] requests, [delimiter][body...]
//    replies of one or two frames;
//  - SUB/XSUB ← PUB/XPUB: a subscription (SUBSCRIBE command in 3.1, a "\x01topic" message in 3.0),
//    published messages of one or two frames, sometimes a CANCEL and a new subscription;
//  - DEALER ↔ ROUTER: [delimiter][body] either way;
//  - PUSH → PULL: messages of one to three frames;
// with PING/PONG heartbeats in 3.1.
//
// Expected records (README "ZMTP"): one Greeting per side, one Command per command (ERROR a
// server_error), a REQ/REP request and its reply one Message session, every other non-delimiter
// frame a Message session of its own.
#include <array>

#include "tools/gen/proto_zmtp.hpp"
#include "tools/gen/script.hpp"

namespace gen::detail {
namespace {

enum Name : uint8_t { kNGreeting, kNCommand, kNMessage };
constexpr std::array<std::string_view, 3> kNames = {"Greeting", "Command", "Message"};

enum Kind : uint8_t {
  kSigC, kSigS, kRestC, kRestS, kReadyS, kReadyC, kHello, kWelcome, kInitiate, kError,
  kRequest, kReply, kSubscribe, kCancel, kPublish, kDealerMsg, kRouterMsg, kPush, kPing, kPong,
};

// Conv fields: flags as below; version = minor version (0 or 1); aux = frames of the message in
// flight (or 1 when the PLAIN HELLO is refused); size = payload bytes; step = topic number.
constexpr uint8_t kPatternMask = 3;  // 0 REQ/REP, 1 PUB/SUB, 2 DEALER/ROUTER, 3 PUSH/PULL
constexpr uint8_t kPlain = 4, kSubscribed = 8, kAltClient = 16, kAltServer = 32;
enum Pattern : uint8_t { kReqRep, kPubSub, kDealerRouter, kPushPull };

constexpr Dir kC = Dir::kToServer, kS = Dir::kToClient;

Pattern pattern(const Conv& c) { return static_cast<Pattern>(c.flags & kPatternMask); }

std::string_view client_type(const Conv& c) {
  const bool alt = (c.flags & kAltClient) != 0;
  switch (pattern(c)) {
    case kReqRep: return alt ? "DEALER" : "REQ";
    case kPubSub: return alt ? "XSUB" : "SUB";
    case kDealerRouter: return "DEALER";
    case kPushPull: return "PUSH";
  }
  return "";
}

std::string_view server_type(const Conv& c) {
  const bool alt = (c.flags & kAltServer) != 0;
  switch (pattern(c)) {
    case kReqRep: return alt ? "ROUTER" : "REP";
    case kPubSub: return alt ? "XPUB" : "PUB";
    case kDealerRouter: return "ROUTER";
    case kPushPull: return "PULL";
  }
  return "";
}

zmtp::Greeting greeting_of(const Conv& c, Dir d) {
  zmtp::Greeting g;
  g.minor = c.version;
  g.mechanism = (c.flags & kPlain) != 0 ? "PLAIN" : "NULL";
  g.as_server = (c.flags & kPlain) != 0 && d == kS;
  return g;
}

Text<32> topic(const Conv& c) {
  static constexpr std::string_view kTopics[] = {"sports.", "weather.", "metrics.host", "orders."};
  Text<32> t;
  t.add(kTopics[c.step % 4]);
  return t;
}

void next_exchange(Conv& c, Env& e) {
  if (!more(c, e)) return finish(c, kC, c.rst);
  const uint32_t r = below(c.rng, 100);
  const bool v31 = c.version >= 1;
  if (v31 && r < 8) return plan(c, kC, kPing);
  c.size = payload_size(c, e);
  switch (pattern(c)) {
    case kReqRep:
      c.aux = chance(c.rng, 0.2) ? 2 : 1;  // frames of the reply
      return plan(c, kC, kRequest);
    case kPubSub:
      if ((c.flags & kSubscribed) == 0) {
        c.step = static_cast<uint8_t>(below(c.rng, 256));
        return plan(c, kC, kSubscribe);
      }
      if (r < 15) return plan(c, kC, kCancel);
      c.aux = chance(c.rng, 0.7) ? 2 : 1;  // topic frame + body, or the body alone
      return plan(c, kS, kPublish);
    case kDealerRouter: return plan(c, r < 55 ? kC : kS, r < 55 ? kDealerMsg : kRouterMsg);
    case kPushPull:
      c.aux = 1 + below(c.rng, 3);
      return plan(c, kC, kPush);
  }
}

// The handshake is done: the first exchange.
void ready_done(Conv& c, Env& e) {
  expect(e, Protocol::kZmtp, kNCommand);
  next_exchange(c, e);
}

}  // namespace

std::span<const std::string_view> zmtp_names() { return kNames; }

void zmtp_start(Conv& c, Env&) {
  c.flags = static_cast<uint8_t>(below(c.rng, 4));
  if (chance(c.rng, 0.25)) c.flags |= kPlain;
  if (chance(c.rng, 0.3)) c.flags |= kAltClient;
  if (chance(c.rng, 0.3) && pattern(c) != kReqRep) c.flags |= kAltServer;
  // REQ may face a ROUTER; a DEALER asks a REP (DEALER ↔ ROUTER is its own pattern).
  if (pattern(c) == kReqRep && (c.flags & kAltClient) == 0 && chance(c.rng, 0.3)) c.flags |= kAltServer;
  c.version = chance(c.rng, 0.85) ? 1 : 0;
  plan(c, kC, kSigC);
}

void zmtp_encode(const Conv& c, const Env& e, Writer& w) {
  Rng r{c.unit_seed};
  static constexpr uint8_t kDelimiter[1] = {};
  const auto delimiter = std::span<const uint8_t>(kDelimiter, 0);
  switch (c.kind) {
    case kSigC: return zmtp::greeting(w, greeting_of(c, kC), 0, 10);
    case kSigS: return zmtp::greeting(w, greeting_of(c, kS), 0, 11);
    case kRestC: return zmtp::greeting(w, greeting_of(c, kC), 10);
    case kRestS: return zmtp::greeting(w, greeting_of(c, kS), 11);
    case kReadyS: return zmtp::ready(w, server_type(c));
    case kReadyC: {
      // libzmq adds an (empty) Identity for the socket types that route by it.
      const std::array<zmtp::Property, 1> id = {{{"Identity", ""}}};
      const bool routed = pattern(c) == kReqRep || pattern(c) == kDealerRouter;
      return zmtp::ready(w, client_type(c), std::span(id.data(), routed ? 1 : 0));
    }
    case kHello: {
      Text<32> user;
      user.add("svc-").num(c.serial % 50);
      return zmtp::hello(w, user.view(), "s3cret-password");
    }
    case kWelcome: return zmtp::welcome(w);
    case kInitiate: {
      const std::array<zmtp::Property, 1> id = {{{"Identity", ""}}};
      return zmtp::initiate(w, client_type(c), std::span(id.data(), pattern(c) == kReqRep ? 1 : 0));
    }
    case kError: return zmtp::error(w, "400", true);
    case kRequest:
      zmtp::message(w, true, delimiter);
      return zmtp::message(w, false, payload(e, r, c.size));
    case kReply:
      zmtp::message(w, true, delimiter);
      if (c.aux == 2) zmtp::message(w, true, as_bytes("status:200"));
      return zmtp::message(w, false, payload(e, r, c.size));
    case kSubscribe:
      if (c.version >= 1) return zmtp::subscribe(w, topic(c).view());
      return zmtp::subscription_message(w, true, topic(c).view());
    case kCancel:
      if (c.version >= 1) return zmtp::cancel(w, topic(c).view());
      return zmtp::subscription_message(w, false, topic(c).view());
    case kPublish: {
      if (c.aux == 2) {
        Text<48> t;
        t.add(topic(c).view()).num(r.below(100));
        zmtp::message(w, true, t.bytes());
      }
      return zmtp::message(w, false, payload(e, r, c.size));
    }
    case kDealerMsg:
    case kRouterMsg:
      zmtp::message(w, true, delimiter);
      return zmtp::message(w, false, payload(e, r, c.size));
    case kPush:
      for (uint32_t i = 1; i < c.aux; ++i) zmtp::message(w, true, payload(e, r, 1 + r.below(64)));
      return zmtp::message(w, false, payload(e, r, c.size));
    case kPing: {
      Text<16> ctx;
      ctx.hex(r.next(), 8);
      return zmtp::ping(w, 300, ctx.view());
    }
    case kPong: return zmtp::pong(w, "");
    default: return;
  }
}

void zmtp_done(Conv& c, Env& e) {
  const Protocol p = Protocol::kZmtp;
  const bool plain = (c.flags & kPlain) != 0;
  switch (c.kind) {
    case kSigC: return plan(c, kS, kSigS);
    case kSigS: return plan(c, kC, kRestC);
    case kRestC:
      expect(e, p, kNGreeting);
      return plan(c, kS, kRestS);
    case kRestS:
      expect(e, p, kNGreeting);
      if (!plain) return plan(c, kS, kReadyS);
      c.aux = refuse(c, e) ? 1 : 0;
      return plan(c, kC, kHello);
    case kHello:
      expect(e, p, kNCommand);
      return plan(c, kS, c.aux != 0 ? kError : kWelcome);
    case kError:
      expect(e, p, kNCommand, Status::kServerError);
      return finish(c, kS);  // the server closes the refused connection
    case kWelcome:
      expect(e, p, kNCommand);
      return plan(c, kC, kInitiate);
    case kInitiate:
      expect(e, p, kNCommand);
      return plan(c, kS, kReadyS);
    case kReadyS:
      if (plain) return ready_done(c, e);  // PLAIN: the server's READY answers INITIATE
      expect(e, p, kNCommand);
      return plan(c, kC, kReadyC);
    case kReadyC: return ready_done(c, e);
    case kRequest:
      if (abort_after_request(c, e, kNMessage)) return;
      return plan(c, kS, kReply);
    case kReply:
      expect(e, p, kNMessage);  // the request and its reply
      return next_exchange(c, e);
    case kSubscribe:
      expect(e, p, c.version >= 1 ? kNCommand : kNMessage);
      c.flags |= kSubscribed;
      return next_exchange(c, e);
    case kCancel:
      expect(e, p, c.version >= 1 ? kNCommand : kNMessage);
      c.flags &= static_cast<uint8_t>(~kSubscribed);
      return next_exchange(c, e);
    case kPublish:
    case kPush:
      expect(e, p, kNMessage, Status::kOk, RecordType::kSession, c.aux);
      return next_exchange(c, e);
    case kDealerMsg:
    case kRouterMsg:
      expect(e, p, kNMessage);
      return next_exchange(c, e);
    case kPing:
      expect(e, p, kNCommand);
      return plan(c, kS, kPong);
    case kPong:
      expect(e, p, kNCommand);
      return next_exchange(c, e);
    default: return;
  }
}

}  // namespace gen::detail
