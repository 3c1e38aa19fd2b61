// Apache RocketMQ remoting protocol commands, written from the RocketMQ sources
// (RemotingCommand.java, RocketMQSerializable.java, MessageDecoder.java):
//   frame  = length (4 B BE, not counting itself) + header-length word (high byte = serialization:
//            0 JSON, 1 ROCKETMQ; low 24 bits = header length) + header + body
//   JSON header     = {"code":..,"extFields":{..},"flag":..,"language":"JAVA","opaque":..,
//                      "remark":"..","serializeTypeCurrentRPC":"JSON","version":..} (fastjson order)
//   ROCKETMQ header = code (2 B) language (1 B) version (2 B) opaque (4 B) flag (4 B)
//                     remark (4 B length + bytes) extFields (4 B length, then key: 2 B length +
//                     bytes, value: 4 B length + bytes)
// flag bit 0 = response, bit 1 = one-way. Each function appends one complete frame to a Writer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::rocketmq {

enum class Serialization : uint8_t { kJson = 0, kRocketMq = 1 };

inline constexpr uint32_t kFlagResponse = 1;
inline constexpr uint32_t kFlagOneWay = 2;

struct ExtField {
  std::string_view key{};
  std::string_view value{};
};
using ExtFields = std::span<const ExtField>;

struct Command {
  int32_t code = 0;
  int32_t version = 0;  // MQVersion ordinal (401 = V4_9_4)
  uint32_t opaque = 0;
  uint32_t flag = 0;
  std::string_view remark{};  // empty: none
  ExtFields ext{};
  uint8_t language = 0;  // LanguageCode: 0 JAVA, 9 GO, ...
};

// One command with its body.
void command(Writer& w, Serialization s, const Command& c, std::span<const uint8_t> body = {});
// The frame's length, header-length word and header for a body of `body_len` bytes that the
// caller writes next (bodies built in place, such as stored messages).
void command_head(Writer& w, Serialization s, const Command& c, uint64_t body_len);

// A message as the broker stores and returns it (MessageDecoder.decode layout, magic V1, IPv4
// hosts): the body of PULL_MESSAGE responses. `properties` is "key\1value\2..." text.
void stored_message(Writer& w, std::string_view topic, uint32_t queue_id, uint64_t queue_offset,
                    std::span<const uint8_t> body, std::string_view properties);

}  // namespace gen::rocketmq
