// AMQP 0-9-1 (RabbitMQ) parser.
//
// Wire format: the client opens with the protocol header "AMQP\0\0\x09\x01", then both peers send
// frames: type (1 method, 2 content header, 3 content body, 8 heartbeat), channel (u16), payload
// size (u32), payload, frame-end 0xCE. One record per frame:
//  - method frames are named "Class.Method"; synchronous methods pair with their -Ok FIFO per
//    channel (pair_class = channel; requests come from either peer, e.g. Connection.Start/Tune are
//    sent by the server); a method sent with its no-wait bit set gets no reply and is one-way;
//    asynchronous methods (Basic.Publish/Deliver/Return/Ack/Nack/Reject/RecoverAsync,
//    Connection.Blocked/Unblocked) are one-way;
//  - Protocol-Header, Content-Header, Content-Body and Heartbeat frames are one-way.
// Fields: version "v0.9.1"; request_domain = the vhost named by Connection.Open (on that message
// and every later one of the connection); request_resource = endpoint = "exchange.routing_key", or
// the queue when a method names neither; trace context from the content header's `headers` table.
// Connection.Close / Channel.Close: reply code → response_code; code 200 → reply text in
// response_result; other codes are errors with the text in response_exception, classified by
// the spec's reply-code classes (see close_status() in amqp.cpp).
#pragma once

#include <cstdint>
#include <span>

#include "protocols/core/parser.hpp"

namespace l7tap {

extern const ProtocolDescriptor kAmqpDescriptor;

// Exposed for tests.
ProbeVerdict probe_amqp(Dir dir, std::span<const uint8_t> data);
// Status of a Connection.Close / Channel.Close / Basic.Return reply code sent in `sender`.
ResponseStatus amqp_reply_status(uint16_t reply_code, Dir sender);

}  // namespace l7tap
