// OpenWire data structures as field lists (generated from the ActiveMQ marshallers, see
// openwire_commands.cpp): enough to walk any command of either encoding without per-type code.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace l7tap::openwire {

// How one field is marshalled (BaseDataStreamMarshaller / OpenWireFormat).
enum class Kind : uint8_t {
  kInt,          // 4 bytes
  kShort,        // 2 bytes
  kByte,         // 1 byte
  kChar,         // 2 bytes
  kBool,         // tight: one bit of the boolean stream; loose: 1 byte
  kLong,         // tight: 0/2/4/8 bytes chosen by two bits; loose: 8 bytes
  kString,       // null flag (+ tight: ascii flag), u16 length, bytes
  kCached,       // with the cache on: new flag, u16 index, then (if new) a nested object
  kNested,       // null flag, type byte, that type's fields
  kNestedArray,  // null flag, u16 count, nested objects
  kCachedArray,  // null flag, u16 count, cached objects
  kBytes,        // null flag, u32 length, bytes (byte array / byte sequence)
  kConst,        // `n` bytes
  kThrowable,    // null flag, class, message, [stack trace], cause (recursively)
};

// The fields the flow log reports; everything else is walked over.
enum class Tag : uint8_t {
  kNone,
  kCommandId,
  kResponseRequired,
  kCorrelationId,     // Response.correlationId (int): the command id it answers
  kJmsCorrelationId,  // Message.correlationId (string): JMSCorrelationID
  kDestination,
  kPhysicalName,      // of an ActiveMQDestination
  kBrokerUrl,
  kException,
  kMessage,           // MessageDispatch.message
  kProperties,        // marshalled primitive map
  kWireVersion,       // WireFormatInfo.version
  kMagic,             // WireFormatInfo.magic
};

struct FieldSpec {
  Kind kind;
  Tag tag;
  uint8_t n;  // kConst: byte count
};

struct TypeSpec {
  uint8_t type;
  uint8_t count;
  const FieldSpec* fields;
  std::span<const FieldSpec> list() const { return {fields, count}; }
};

// The field lists of wire format `version`, indexed by data structure type (nullptr: no such type
// in it). A walker picks the table once per command.
using TypeTable = std::array<const TypeSpec*, 256>;
const TypeTable& type_table(uint32_t version);

// The field list of data structure `type` for wire format `version` (nullptr: no such type in it).
inline const TypeSpec* type_spec(uint32_t version, uint8_t type) { return type_table(version)[type]; }

// CommandTypes name of a data structure type ("ActiveMQTextMessage"); empty when unknown.
std::string_view type_name(uint8_t type);

// Types whose nested form may carry their own cached marshalled form (DataStructure.isMarshallAware:
// Message subclasses and WireFormatInfo).
inline bool marshall_aware(uint8_t type) { return type == 1 || (type >= 23 && type <= 29); }

}  // namespace l7tap::openwire
