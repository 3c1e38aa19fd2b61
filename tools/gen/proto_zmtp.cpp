#include "tools/gen/proto_zmtp.hpp"

#include <algorithm>

namespace gen::zmtp {
namespace {

constexpr uint8_t kMore = 0x01, kLong = 0x02, kCommand = 0x04;

uint64_t metadata_size(std::string_view socket_type, std::span<const Property> more) {
  uint64_t n = 1 + 11 + 4 + socket_type.size();
  for (const Property& p : more) n += 1 + p.name.size() + 4 + p.value.size();
  return n;
}

void property(Writer& w, std::string_view name, std::string_view value) {
  w.u8(static_cast<uint8_t>(name.size()));
  w.text(name);
  w.be32(static_cast<uint32_t>(value.size()));
  w.text(value);
}

void metadata(Writer& w, std::string_view socket_type, std::span<const Property> more) {
  property(w, "Socket-Type", socket_type);
  for (const Property& p : more) property(w, p.name, p.value);
}

// A command frame whose body is the name and `data_size` bytes the caller writes next.
void command_header(Writer& w, std::string_view name, uint64_t data_size) {
  frame_header(w, false, true, 1 + name.size() + data_size);
  w.u8(static_cast<uint8_t>(name.size()));
  w.text(name);
}

}  // namespace

void greeting(Writer& w, const Greeting& g, std::size_t begin, std::size_t end) {
  uint8_t b[kGreetingSize] = {};
  b[0] = 0xff;
  b[8] = 0x01;  // libzmq pads with a ZMTP 1.0 length of 1 (not significant)
  b[9] = 0x7f;
  b[10] = g.major;
  b[11] = g.minor;
  const std::size_t n = std::min<std::size_t>(g.mechanism.size(), 20);
  for (std::size_t i = 0; i < n; ++i) b[12 + i] = static_cast<uint8_t>(g.mechanism[i]);
  b[32] = g.as_server ? 1 : 0;
  end = std::min(end, kGreetingSize);
  if (begin < end) w.bytes(std::span<const uint8_t>(b + begin, end - begin));
}

void frame_header(Writer& w, bool more, bool command, uint64_t size) {
  const uint8_t flags = static_cast<uint8_t>((more ? kMore : 0) | (command ? kCommand : 0));
  if (size > 255) {
    w.u8(flags | kLong);
    w.be64(size);
  } else {
    w.u8(flags);
    w.u8(static_cast<uint8_t>(size));
  }
}

void message(Writer& w, bool more, std::span<const uint8_t> body) {
  frame_header(w, more, false, body.size());
  w.bytes(body);
}

void ready(Writer& w, std::string_view socket_type, std::span<const Property> more) {
  command_header(w, "READY", metadata_size(socket_type, more));
  metadata(w, socket_type, more);
}

void error(Writer& w, std::string_view reason, bool libzmq_spelling) {
  const std::size_t n = std::min<std::size_t>(reason.size(), 255);
  if (libzmq_spelling) {
    frame_header(w, false, true, 5 + 1 + n);
    w.text("\x5eRROR");
  } else {
    command_header(w, "ERROR", 1 + n);
  }
  w.u8(static_cast<uint8_t>(n));
  w.text(reason.substr(0, n));
}

void hello(Writer& w, std::string_view username, std::string_view password) {
  command_header(w, "HELLO", 2 + username.size() + password.size());
  w.u8(static_cast<uint8_t>(username.size()));
  w.text(username);
  w.u8(static_cast<uint8_t>(password.size()));
  w.text(password);
}

void welcome(Writer& w) { command_header(w, "WELCOME", 0); }

void initiate(Writer& w, std::string_view socket_type, std::span<const Property> more) {
  command_header(w, "INITIATE", metadata_size(socket_type, more));
  metadata(w, socket_type, more);
}

void subscribe(Writer& w, std::string_view topic) {
  command_header(w, "SUBSCRIBE", topic.size());
  w.text(topic);
}

void cancel(Writer& w, std::string_view topic) {
  command_header(w, "CANCEL", topic.size());
  w.text(topic);
}

void ping(Writer& w, uint16_t ttl_deciseconds, std::string_view context) {
  const std::size_t n = std::min<std::size_t>(context.size(), 16);
  command_header(w, "PING", 2 + n);
  w.be16(ttl_deciseconds);
  w.text(context.substr(0, n));
}

void pong(Writer& w, std::string_view context) {
  const std::size_t n = std::min<std::size_t>(context.size(), 16);
  command_header(w, "PONG", n);
  w.text(context.substr(0, n));
}

void subscription_message(Writer& w, bool subscribe, std::string_view topic) {
  frame_header(w, false, false, 1 + topic.size());
  w.u8(subscribe ? 1 : 0);
  w.text(topic);
}

}  // namespace gen::zmtp
