#include "tools/gen/proto_rocketmq.hpp"

namespace gen::rocketmq {
namespace {

// MessageDecoder.MESSAGE_MAGIC_CODE.
constexpr uint32_t kMagicV1 = 0xdaa320a7u;

// A JSON string: quotes, backslashes and control characters escaped (fastjson writes \u00XX for
// the latter, which is how the \1 / \2 separators of message properties travel).
void json_string(Writer& w, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  w.u8('"');
  for (const char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == '"' || c == '\\') {
      w.u8('\\');
      w.u8(c);
    } else if (c < 0x20) {
      w.text("\\u00");
      w.u8(static_cast<uint8_t>(kHex[c >> 4]));
      w.u8(static_cast<uint8_t>(kHex[c & 15]));
    } else {
      w.u8(c);
    }
  }
  w.u8('"');
}

void signed_decimal(Writer& w, int64_t v) {
  if (v < 0) {
    w.u8('-');
    w.decimal(static_cast<uint64_t>(-v));
  } else {
    w.decimal(static_cast<uint64_t>(v));
  }
}

void json_header(Writer& w, const Command& c) {
  w.text("{\"code\":");
  signed_decimal(w, c.code);
  if (!c.ext.empty()) {
    w.text(",\"extFields\":{");
    bool first = true;
    for (const ExtField& f : c.ext) {
      if (!first) w.u8(',');
      first = false;
      json_string(w, f.key);
      w.u8(':');
      json_string(w, f.value);
    }
    w.u8('}');
  }
  w.text(",\"flag\":");
  w.decimal(c.flag);
  w.text(",\"language\":\"JAVA\",\"opaque\":");
  signed_decimal(w, static_cast<int32_t>(c.opaque));  // a Java int
  if (!c.remark.empty()) {
    w.text(",\"remark\":");
    json_string(w, c.remark);
  }
  w.text(",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
  signed_decimal(w, c.version);
  w.u8('}');
}

void binary_header(Writer& w, const Command& c) {
  w.be16(static_cast<uint16_t>(c.code));
  w.u8(c.language);
  w.be16(static_cast<uint16_t>(c.version));
  w.be32(c.opaque);
  w.be32(c.flag);
  w.be32(static_cast<uint32_t>(c.remark.size()));
  w.text(c.remark);
  uint64_t map = 0;
  for (const ExtField& f : c.ext) map += 2 + f.key.size() + 4 + f.value.size();
  w.be32(static_cast<uint32_t>(map));
  for (const ExtField& f : c.ext) {
    w.be16(static_cast<uint16_t>(f.key.size()));
    w.text(f.key);
    w.be32(static_cast<uint32_t>(f.value.size()));
    w.text(f.value);
  }
}

void header(Writer& w, Serialization s, const Command& c) {
  if (s == Serialization::kJson) {
    json_header(w, c);
  } else {
    binary_header(w, c);
  }
}

}  // namespace

void command_head(Writer& w, Serialization s, const Command& c, uint64_t body_len) {
  const uint64_t hlen = measure([&](Writer& m) { header(m, s, c); });
  w.be32(static_cast<uint32_t>(4 + hlen + body_len));
  w.be32((static_cast<uint32_t>(s) << 24) | static_cast<uint32_t>(hlen & 0xffffff));
  header(w, s, c);
}

void command(Writer& w, Serialization s, const Command& c, std::span<const uint8_t> body) {
  command_head(w, s, c, body.size());
  w.bytes(body);
}

void stored_message(Writer& w, std::string_view topic, uint32_t queue_id, uint64_t queue_offset,
                    std::span<const uint8_t> body, std::string_view properties) {
  const uint32_t total = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 +
                         static_cast<uint32_t>(body.size()) + 1 + static_cast<uint32_t>(topic.size()) + 2 +
                         static_cast<uint32_t>(properties.size());
  w.be32(total);
  w.be32(kMagicV1);
  w.be32(0);  // body CRC (not checked by consumers by default)
  w.be32(queue_id);
  w.be32(0);                               // flag
  w.be64(queue_offset);                    // queue offset
  w.be64(queue_offset * 512);              // commit log offset
  w.be32(0);                               // sys flag: IPv4 hosts, not compressed
  w.be64(1700000000000ull + queue_offset); // born timestamp
  w.be32(0x0a400001);                      // born host
  w.be32(40000);
  w.be64(1700000000001ull + queue_offset); // store timestamp
  w.be32(0x0ac80001);                      // store host
  w.be32(10911);
  w.be32(0);  // reconsume times
  w.be64(0);  // prepared transaction offset
  w.be32(static_cast<uint32_t>(body.size()));
  w.bytes(body);
  w.u8(static_cast<uint8_t>(topic.size()));
  w.text(topic);
  w.be16(static_cast<uint16_t>(properties.size()));
  w.text(properties);
}

}  // namespace gen::rocketmq
