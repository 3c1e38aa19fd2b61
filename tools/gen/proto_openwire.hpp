// OpenWire (ActiveMQ) commands, written from the OpenWire specification
// (https://activemq.apache.org/openwire-version-2-specification) and the v12 marshallers' field
// order (activemq-client org/apache/activemq/openwire/v12). Both encodings: loose (booleans inline,
// longs as 8 bytes) and tight (a boolean-stream prefix holding every null flag, string/long
// encoding flag and boolean field, then the data). With the marshalling cache on, cached objects
// (ids, destinations) are sent once with a "new" flag and a cache index and later by index only.
// Each function appends one complete command (with its 4-byte size prefix unless disabled).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tools/gen/writer.hpp"

namespace gen::openwire {

struct Format {
  bool tight = true;
  bool cache = true;
  bool size_prefix = true;
  bool stack_trace = true;
};

// A destination and its marshalling-cache slot: `fresh` sends the object, otherwise only the index
// (the receiver learnt it earlier). Without the cache the object is always sent.
struct Dest {
  bool topic = false;
  std::string_view name{};
  uint16_t index = 0;
  bool fresh = true;
};

struct Property {
  std::string_view key{};
  std::string_view value{};  // written as a STRING_TYPE value
};
using Properties = std::span<const Property>;

// The first command of each side, always in the default (loose, size-prefixed) format.
void wire_format_info(Writer& w, uint32_t version, bool tight, bool cache, bool size_prefix_disabled,
                      bool stack_trace = true);
void broker_info(Writer& w, const Format& f, std::string_view broker_id, std::string_view url,
                 std::string_view name);
void connection_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id,
                     std::string_view client_id, std::string_view user);
void session_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t session);
void consumer_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t session,
                   int64_t consumer, const Dest& d);
void producer_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t session,
                   int64_t producer, const Dest& d);

// One message: ActiveMQTextMessage (type 28) or ActiveMQBytesMessage (24) with `body` as content.
struct Msg {
  uint8_t type = 28;
  int32_t command_id = 0;
  bool response_required = false;
  std::string_view connection_id{};
  int64_t session = 1;
  int64_t producer = 1;
  int64_t sequence = 1;
  Dest dest{};
  std::string_view correlation_id{};  // JMSCorrelationID; empty = null
  Properties properties{};
  std::span<const uint8_t> body{};
};
void message(Writer& w, const Format& f, const Msg& m);
// MessageDispatch from the broker carrying `m` (m.command_id is the producer's).
void message_dispatch(Writer& w, const Format& f, int32_t command_id, int64_t consumer, const Dest& d, const Msg& m);
void message_ack(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t consumer,
                 const Dest& d, int32_t count);
void remove_info(Writer& w, const Format& f, int32_t command_id, bool response_required,
                 std::string_view connection_id);
void shutdown_info(Writer& w, const Format& f, int32_t command_id);
void keep_alive_info(Writer& w, const Format& f, bool response_required);
void response(Writer& w, const Format& f, int32_t correlation_id);
void exception_response(Writer& w, const Format& f, int32_t correlation_id, std::string_view exception_class,
                        std::string_view message);
// A command of a type this encoder does not know (skipped by its size prefix): `type` + raw bytes.
void raw_command(Writer& w, uint8_t type, std::span<const uint8_t> body);

}  // namespace gen::openwire
