// AMQP 0-9-1 method table: every method of every class (including RabbitMQ's extensions
// Confirm, Exchange.Bind/Unbind, Basic.Nack, Connection.Blocked/Unblocked/UpdateSecret and the
// Access class kept from 0-8/0-9), with its name as written in request_type, its pairing role,
// and where its arguments keep the fields l7tap reports.
// Source: the AMQP 0-9-1 specification (amqp0-9-1.xml) and RabbitMQ's protocol extensions page.
#pragma once

#include <cstdint>
#include <string_view>

namespace l7tap::amqp {

enum class MethodRole : uint8_t {
  kRequest,   // synchronous method that waits for its -Ok (may be sent by either peer)
  kResponse,  // the -Ok (or Get-Empty) answering a synchronous method
  kOneWay,    // asynchronous method: logged on its own
};

// How the arguments are laid out, as far as l7tap reads them. Names follow the spec's argument
// lists; "r" = reserved short (ticket in 0-8), "s" = shortstr, "ll" = long long, "b" = bit(s).
enum class ArgLayout : uint8_t {
  kNone,                // nothing of interest
  kConnectionOpen,      // s virtual-host, s reserved, b insist
  kClose,               // short reply-code, s reply-text, short class-id, short method-id
  kExchangeDeclare,     // r, s exchange, s type, b passive|durable|auto-delete|internal|no-wait
  kExchangeDelete,      // r, s exchange, b if-unused|no-wait
  kExchangeBind,        // r, s destination, s source, s routing-key, b no-wait (also Unbind)
  kQueueDeclare,        // r, s queue, b passive|durable|exclusive|auto-delete|no-wait
  kQueueBind,           // r, s queue, s exchange, s routing-key, b no-wait
  kQueueUnbind,         // r, s queue, s exchange, s routing-key (no no-wait bit)
  kQueuePurge,          // r, s queue, b no-wait
  kQueueDelete,         // r, s queue, b if-unused|if-empty|no-wait
  kQueueDeclareOk,      // s queue, long message-count, long consumer-count
  kBasicConsume,        // r, s queue, s consumer-tag, b no-local|no-ack|exclusive|no-wait
  kBasicCancel,         // s consumer-tag, b no-wait
  kBasicPublish,        // r, s exchange, s routing-key, b mandatory|immediate
  kBasicReturn,         // short reply-code, s reply-text, s exchange, s routing-key
  kBasicDeliver,        // s consumer-tag, ll delivery-tag, b redelivered, s exchange, s routing-key
  kBasicGet,            // r, s queue, b no-ack
  kBasicGetOk,          // ll delivery-tag, b redelivered, s exchange, s routing-key, long count
  kConfirmSelect,       // b no-wait
};

struct MethodInfo {
  uint16_t class_id;
  uint16_t method_id;
  std::string_view name;  // "Class.Method" as written in request_type
  MethodRole role;
  ArgLayout args;
};

// The method with these ids, or nullptr for ids no 0-9-1 peer sends.
const MethodInfo* find_method(uint16_t class_id, uint16_t method_id);

// True for a class id of 0-9-1 (with RabbitMQ's extensions and the Access class).
bool known_class(uint16_t class_id);

inline constexpr uint16_t kClassConnection = 10;
inline constexpr uint16_t kClassChannel = 20;
inline constexpr uint16_t kClassAccess = 30;
inline constexpr uint16_t kClassExchange = 40;
inline constexpr uint16_t kClassQueue = 50;
inline constexpr uint16_t kClassBasic = 60;
inline constexpr uint16_t kClassConfirm = 85;
inline constexpr uint16_t kClassTx = 90;

}  // namespace l7tap::amqp
