#include "tools/gen/proto_nats.hpp"

namespace gen::nats {
namespace {

constexpr std::string_view kCrlf = "\r\n";

void header_block(Writer& w, Headers headers) {
  w.text("NATS/1.0\r\n");
  for (const Header& h : headers) {
    w.text(h.key);
    w.text(": ");
    w.text(h.value);
    w.text(kCrlf);
  }
  w.text(kCrlf);
}

uint64_t header_block_size(Headers headers) {
  return measure([&](Writer& c) { header_block(c, headers); });
}

void word(Writer& w, std::string_view s) {
  if (s.empty()) return;
  w.u8(' ');
  w.text(s);
}

void number(Writer& w, uint64_t v) {
  w.u8(' ');
  w.decimal(v);
}

}  // namespace

void info(Writer& w, std::string_view json) {
  w.text("INFO ");
  w.text(json);
  w.text(kCrlf);
}

void connect(Writer& w, std::string_view json) {
  w.text("CONNECT ");
  w.text(json);
  w.text(kCrlf);
}

void pub(Writer& w, std::string_view subject, std::string_view reply_to, std::span<const uint8_t> payload) {
  w.text("PUB");
  word(w, subject);
  word(w, reply_to);
  number(w, payload.size());
  w.text(kCrlf);
  w.bytes(payload);
  w.text(kCrlf);
}

void hpub(Writer& w, std::string_view subject, std::string_view reply_to, Headers headers,
          std::span<const uint8_t> payload) {
  const uint64_t hlen = header_block_size(headers);
  w.text("HPUB");
  word(w, subject);
  word(w, reply_to);
  number(w, hlen);
  number(w, hlen + payload.size());
  w.text(kCrlf);
  header_block(w, headers);
  w.bytes(payload);
  w.text(kCrlf);
}

void sub(Writer& w, std::string_view subject, std::string_view queue_group, uint32_t sid) {
  w.text("SUB");
  word(w, subject);
  word(w, queue_group);
  number(w, sid);
  w.text(kCrlf);
}

void unsub(Writer& w, uint32_t sid, uint32_t max_msgs) {
  w.text("UNSUB");
  number(w, sid);
  if (max_msgs != 0) number(w, max_msgs);
  w.text(kCrlf);
}

void msg(Writer& w, std::string_view subject, uint32_t sid, std::string_view reply_to,
         std::span<const uint8_t> payload) {
  w.text("MSG");
  word(w, subject);
  number(w, sid);
  word(w, reply_to);
  number(w, payload.size());
  w.text(kCrlf);
  w.bytes(payload);
  w.text(kCrlf);
}

void hmsg(Writer& w, std::string_view subject, uint32_t sid, std::string_view reply_to, Headers headers,
          std::span<const uint8_t> payload) {
  const uint64_t hlen = header_block_size(headers);
  w.text("HMSG");
  word(w, subject);
  number(w, sid);
  word(w, reply_to);
  number(w, hlen);
  number(w, hlen + payload.size());
  w.text(kCrlf);
  header_block(w, headers);
  w.bytes(payload);
  w.text(kCrlf);
}

void ping(Writer& w) { w.text("PING\r\n"); }
void pong(Writer& w) { w.text("PONG\r\n"); }
void ok(Writer& w) { w.text("+OK\r\n"); }

void err(Writer& w, std::string_view text) {
  w.text("-ERR '");
  w.text(text);
  w.text("'\r\n");
}

}  // namespace gen::nats
