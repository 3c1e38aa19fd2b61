#include "tools/gen/proto_openwire.hpp"

#include <array>

namespace gen::openwire {
namespace {

enum Type : uint8_t {
  kWireFormatInfo = 1,
  kBrokerInfo = 2,
  kConnectionInfo = 3,
  kSessionInfo = 4,
  kConsumerInfo = 5,
  kProducerInfo = 6,
  kKeepAliveInfo = 10,
  kShutdownInfo = 11,
  kRemoveInfo = 12,
  kMessageDispatch = 21,
  kMessageAck = 22,
  kResponse = 30,
  kExceptionResponse = 31,
  kQueue = 100,
  kTopic = 101,
  kMessageId = 110,
  kConnectionId = 120,
  kSessionId = 121,
  kConsumerId = 122,
  kProducerId = 123,
  kBrokerId = 124,
};

// The cache slot this encoder gives null objects (callers use small indexes for real objects).
constexpr uint16_t kNullSlot = 1000;

// The tight encoding's boolean stream (BooleanStream.java): bit i is bit i % 8 of byte i / 8.
struct BoolStream {
  std::array<uint8_t, 512> bytes{};
  uint32_t n = 0;
  void push(bool b) {
    if (n / 8 >= bytes.size()) return;  // never reached by these commands
    if (b) bytes[n / 8] |= static_cast<uint8_t>(1u << (n % 8));
    ++n;
  }
  uint32_t size() const { return (n + 7) / 8; }
};

// Field writer for one pass. Tight commands are written in two passes, as the marshallers do
// (tightMarshal1 gathers the booleans and the size, tightMarshal2 writes the data): the first
// into a counter with `bits` set, the second into the real writer with `bits` null.
struct Enc {
  Writer& w;
  const Format& f;
  BoolStream* bits;

  void flag(bool b) {
    if (!f.tight) {
      w.u8(b ? 1 : 0);
    } else if (bits != nullptr) {
      bits->push(b);
    }
  }
  void i32(int32_t v) { w.be32(static_cast<uint32_t>(v)); }
  void boolean(bool b) { flag(b); }
  void string(std::string_view s, bool present = true) {
    flag(present);
    if (!present) return;
    if (f.tight) flag(true);  // ascii
    w.be16(static_cast<uint16_t>(s.size()));
    w.text(s);
  }
  void null_string() { string({}, false); }
  // tightMarshalLong1/2: 0 → no bytes; 16/32/64-bit otherwise.
  void i64(int64_t v) {
    if (!f.tight) {
      w.be64(static_cast<uint64_t>(v));
      return;
    }
    const auto u = static_cast<uint64_t>(v);
    if (u == 0) {
      flag(false);
      flag(false);
    } else if ((u & 0xFFFFFFFFFFFF0000ull) == 0) {
      flag(false);
      flag(true);
      w.be16(static_cast<uint16_t>(u));
    } else if ((u & 0xFFFFFFFF00000000ull) == 0) {
      flag(true);
      flag(false);
      w.be32(static_cast<uint32_t>(u));
    } else {
      flag(true);
      flag(true);
      w.be64(u);
    }
  }
  void null_object() { flag(false); }
  // A nested object's header; `aware`: a marshall-aware type (messages), sent without a cached form.
  void nested(uint8_t type, bool aware = false) {
    flag(true);
    w.u8(type);
    if (aware && f.tight) flag(false);
  }
  // A cached object's header; returns whether the object itself follows.
  bool cached(uint16_t index, bool fresh) {
    if (!f.cache) return true;
    flag(fresh);
    w.be16(index);
    return fresh;
  }
  // A null cached object. The marshaller caches null like any object (one slot, referenced later);
  // writing it as new each time into its own slot is equally valid for the receiver.
  void null_cached() {
    if (f.cache) {
      flag(true);
      w.be16(kNullSlot);
    }
    null_object();
  }
  void bytes(std::span<const uint8_t> b) {
    flag(true);
    w.be32(static_cast<uint32_t>(b.size()));
    w.bytes(b);
  }
  void null_bytes() { flag(false); }
  void null_array() { flag(false); }
  void throwable(std::string_view clazz, std::string_view message) {
    flag(true);
    string(clazz);
    string(message);
    if (f.stack_trace) {
      w.be16(0);     // no stack trace elements
      flag(false);   // no cause
    }
  }

  void connection_id(std::string_view id, uint16_t index, bool fresh) {
    if (!cached(index, fresh)) return;
    nested(kConnectionId);
    string(id);
  }
  void session_id(std::string_view conn, int64_t session, uint16_t index, bool fresh) {
    if (!cached(index, fresh)) return;
    nested(kSessionId);
    string(conn);
    i64(session);
  }
  void producer_id_fields(std::string_view conn, int64_t producer, int64_t session) {
    string(conn);
    i64(producer);
    i64(session);
  }
  void consumer_id(std::string_view conn, int64_t session, int64_t consumer, uint16_t index, bool fresh) {
    if (!cached(index, fresh)) return;
    nested(kConsumerId);
    string(conn);
    i64(session);
    i64(consumer);
  }
  void destination(const Dest& d) {
    if (!cached(d.index, d.fresh)) return;
    nested(d.topic ? kTopic : kQueue);
    string(d.name);
  }
  void base(int32_t command_id, bool response_required) {
    i32(command_id);
    boolean(response_required);
  }
};

// Writes one command: [size] type [boolean stream] data.
template <class Body>
void command(Writer& w, const Format& f, uint8_t type, Body&& body) {
  BoolStream bits;
  Writer counter = Writer::counter();
  Enc first{counter, f, &bits};
  body(first);
  uint32_t bs_total = 0;
  if (f.tight) bs_total = bits.size() + (bits.size() < 64 ? 1 : bits.size() < 256 ? 2 : 3);
  const auto size = static_cast<uint32_t>(1 + bs_total + counter.pos());
  if (f.size_prefix) w.be32(size);
  w.u8(type);
  if (f.tight) {
    const uint32_t n = bits.size();
    if (n < 64) {
      w.u8(static_cast<uint8_t>(n));
    } else if (n < 256) {
      w.u8(0xC0);
      w.u8(static_cast<uint8_t>(n));
    } else {
      w.u8(0x80);
      w.be16(static_cast<uint16_t>(n));
    }
    w.bytes(std::span<const uint8_t>(bits.bytes.data(), n));
  }
  Enc second{w, f, nullptr};
  body(second);
}

// MarshallingSupport.marshalPrimitiveMap with STRING_TYPE values.
void primitive_map_string(Writer& w, Properties props) {
  w.be32(static_cast<uint32_t>(props.size()));
  for (const Property& p : props) {
    w.be16(static_cast<uint16_t>(p.key.size()));
    w.text(p.key);
    w.u8(9);
    w.be16(static_cast<uint16_t>(p.value.size()));
    w.text(p.value);
  }
}

uint32_t primitive_map_size(Properties props) {
  uint32_t n = 4;
  for (const Property& p : props) n += 2 + static_cast<uint32_t>(p.key.size()) + 1 + 2 + static_cast<uint32_t>(p.value.size());
  return n;
}

// The message fields after BaseCommand (Message + ActiveMQMessage marshallers, v12).
void message_fields(Enc& e, const Msg& m, uint16_t producer_index) {
  // producerId (cached)
  if (e.cached(producer_index, m.dest.fresh)) {
    e.nested(kProducerId);
    e.producer_id_fields(m.connection_id, m.producer, m.session);
  }
  e.destination(m.dest);
  e.null_cached();  // transactionId
  e.null_cached();  // originalDestination
  // messageId (nested): textView, producerId (cached, already sent above), sequences
  e.nested(kMessageId);
  e.null_string();
  if (e.cached(producer_index, false)) {
    e.nested(kProducerId);
    e.producer_id_fields(m.connection_id, m.producer, m.session);
  }
  e.i64(m.sequence);
  e.i64(0);
  e.null_cached();  // originalTransactionId
  e.null_string();                                          // groupID
  e.i32(0);                                                 // groupSequence
  e.string(m.correlation_id, !m.correlation_id.empty());
  e.boolean(false);  // persistent
  e.i64(0);          // expiration
  e.w.u8(4);         // priority
  e.null_object();   // replyTo
  e.i64(1700000000000 + m.sequence);  // timestamp
  e.null_string();   // type
  if (m.body.empty()) {
    e.null_bytes();
  } else {
    e.bytes(m.body);
  }
  if (m.properties.empty()) {
    e.null_bytes();
  } else {
    e.flag(true);
    e.w.be32(primitive_map_size(m.properties));
    primitive_map_string(e.w, m.properties);
  }
  e.null_object();                                           // dataStructure
  e.null_cached();  // targetConsumerId
  e.boolean(false);                                          // compressed
  e.i32(0);                                                  // redeliveryCounter
  e.null_array();                                            // brokerPath
  e.i64(0);                                                  // arrival
  e.null_string();                                           // userID
  e.boolean(false);                                          // recievedByDFBridge
  e.boolean(false);                                          // droppable
  e.null_array();                                            // cluster
  e.i64(0);                                                  // brokerInTime
  e.i64(0);                                                  // brokerOutTime
  e.boolean(false);                                          // JMSXGroupFirstForConsumer
}

}  // namespace

void wire_format_info(Writer& w, uint32_t version, bool tight, bool cache, bool size_prefix_disabled,
                      bool stack_trace) {
  struct Entry {
    std::string_view key;
    bool value;
  };
  const Entry entries[] = {{"TightEncodingEnabled", tight},
                           {"CacheEnabled", cache},
                           {"SizePrefixDisabled", size_prefix_disabled},
                           {"StackTraceEnabled", stack_trace},
                           {"TcpNoDelayEnabled", true}};
  uint32_t map = 4;
  for (const Entry& e : entries) map += 2 + static_cast<uint32_t>(e.key.size()) + 2;
  map += 2 + 9 + 1 + 4;  // "CacheSize" INTEGER_TYPE 1024
  const uint32_t size = 1 + 8 + 4 + 1 + 4 + map;
  w.be32(size);
  w.u8(kWireFormatInfo);
  w.text("ActiveMQ");
  w.be32(version);
  w.u8(1);  // properties present
  w.be32(map);
  w.be32(static_cast<uint32_t>(std::size(entries) + 1));
  for (const Entry& e : entries) {
    w.be16(static_cast<uint16_t>(e.key.size()));
    w.text(e.key);
    w.u8(1);  // BOOLEAN_TYPE
    w.u8(e.value ? 1 : 0);
  }
  w.be16(9);
  w.text("CacheSize");
  w.u8(5);  // INTEGER_TYPE
  w.be32(1024);
}

void broker_info(Writer& w, const Format& f, std::string_view broker_id, std::string_view url,
                 std::string_view name) {
  command(w, f, kBrokerInfo, [&](Enc& e) {
    e.base(0, false);
    if (e.cached(0, true)) {
      e.nested(kBrokerId);
      e.string(broker_id);
    }
    e.string(url);
    e.null_array();  // peerBrokerInfos
    e.string(name);
    for (int i = 0; i < 5; ++i) e.boolean(false);  // slave, master, faultTolerant, duplex, network
    e.i64(0);        // connectionId
    e.null_string(); // brokerUploadUrl
    e.null_string(); // networkProperties
  });
}

void connection_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id,
                     std::string_view client_id, std::string_view user) {
  command(w, f, kConnectionInfo, [&](Enc& e) {
    e.base(command_id, true);
    e.connection_id(connection_id, 0, true);
    e.string(client_id);
    e.null_string();  // password
    e.string(user, !user.empty());
    e.null_array();   // brokerPath
    e.boolean(false); // brokerMasterConnector
    e.boolean(true);  // manageable
    e.boolean(true);  // clientMaster
    e.boolean(false); // faultTolerant
    e.boolean(false); // failoverReconnect
    e.null_string();  // clientIp
  });
}

void session_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t session) {
  command(w, f, kSessionInfo, [&](Enc& e) {
    e.base(command_id, false);
    e.session_id(connection_id, session, 1, true);
  });
}

void consumer_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t session,
                   int64_t consumer, const Dest& d) {
  command(w, f, kConsumerInfo, [&](Enc& e) {
    e.base(command_id, true);
    e.consumer_id(connection_id, session, consumer, 2, true);
    e.boolean(false);  // browser
    e.destination(d);
    e.i32(1000);       // prefetchSize
    e.i32(0);          // maximumPendingMessageLimit
    e.boolean(true);   // dispatchAsync
    e.null_string();   // selector
    e.null_string();   // clientId
    e.null_string();   // subscriptionName
    e.boolean(false);  // noLocal
    e.boolean(false);  // exclusive
    e.boolean(false);  // retroactive
    e.w.u8(0);         // priority
    e.null_array();    // brokerPath
    e.null_object();   // additionalPredicate
    e.boolean(false);  // networkSubscription
    e.boolean(false);  // optimizedAcknowledge
    e.boolean(false);  // noRangeAcks
    e.null_array();    // networkConsumerPath
  });
}

void producer_info(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t session,
                   int64_t producer, const Dest& d) {
  command(w, f, kProducerInfo, [&](Enc& e) {
    e.base(command_id, true);
    if (e.cached(3, true)) {
      e.nested(kProducerId);
      e.producer_id_fields(connection_id, producer, session);
    }
    e.destination(d);
    e.null_array();    // brokerPath
    e.boolean(false);  // dispatchAsync
    e.i32(0);          // windowSize
  });
}

void message(Writer& w, const Format& f, const Msg& m) {
  command(w, f, m.type, [&](Enc& e) {
    e.base(m.command_id, m.response_required);
    message_fields(e, m, 3);
  });
}

void message_dispatch(Writer& w, const Format& f, int32_t command_id, int64_t consumer, const Dest& d, const Msg& m) {
  command(w, f, kMessageDispatch, [&](Enc& e) {
    e.base(command_id, false);
    e.consumer_id(m.connection_id, m.session, consumer, 2, d.fresh);
    e.destination(d);
    e.nested(m.type, true);
    e.base(m.command_id, m.response_required);
    message_fields(e, m, 3);
    e.i32(0);  // redeliveryCounter
  });
}

void message_ack(Writer& w, const Format& f, int32_t command_id, std::string_view connection_id, int64_t consumer,
                 const Dest& d, int32_t count) {
  command(w, f, kMessageAck, [&](Enc& e) {
    e.base(command_id, false);
    e.destination(d);
    e.null_cached();  // transactionId
    e.consumer_id(connection_id, 1, consumer, 2, false);
    e.w.u8(2);        // ackType: standard
    e.null_object();  // firstMessageId
    e.null_object();  // lastMessageId
    e.i32(count);
    e.flag(false);    // poisonCause
  });
}

void remove_info(Writer& w, const Format& f, int32_t command_id, bool response_required,
                 std::string_view connection_id) {
  command(w, f, kRemoveInfo, [&](Enc& e) {
    e.base(command_id, response_required);
    e.connection_id(connection_id, 0, false);
    e.i64(-2);  // lastDeliveredSequenceId
  });
}

void shutdown_info(Writer& w, const Format& f, int32_t command_id) {
  command(w, f, kShutdownInfo, [&](Enc& e) { e.base(command_id, false); });
}

void keep_alive_info(Writer& w, const Format& f, bool response_required) {
  command(w, f, kKeepAliveInfo, [&](Enc& e) { e.base(0, response_required); });
}

void response(Writer& w, const Format& f, int32_t correlation_id) {
  command(w, f, kResponse, [&](Enc& e) {
    e.base(0, false);
    e.i32(correlation_id);
  });
}

void exception_response(Writer& w, const Format& f, int32_t correlation_id, std::string_view exception_class,
                        std::string_view message) {
  command(w, f, kExceptionResponse, [&](Enc& e) {
    e.base(0, false);
    e.i32(correlation_id);
    e.throwable(exception_class, message);
  });
}

void raw_command(Writer& w, uint8_t type, std::span<const uint8_t> body) {
  w.be32(static_cast<uint32_t>(1 + body.size()));
  w.u8(type);
  w.bytes(body);
}

}  // namespace gen::openwire
