#include "protocols/core/record.hpp"

#include <charconv>

namespace l7tap {

std::string_view protocol_name(ProtocolId p) {
  switch (p) {
    case ProtocolId::kKafka: return "kafka";
    case ProtocolId::kMqtt: return "mqtt";
    case ProtocolId::kAmqp: return "amqp";
    case ProtocolId::kOpenwire: return "openwire";
    case ProtocolId::kNats: return "nats";
    case ProtocolId::kPulsar: return "pulsar";
    case ProtocolId::kZmtp: return "zmtp";
    case ProtocolId::kRocketmq: return "rocketmq";
    case ProtocolId::kDubbo: return "dubbo";
    case ProtocolId::kGrpc: return "grpc";
    case ProtocolId::kSofarpc: return "sofarpc";
    case ProtocolId::kFastcgi: return "fastcgi";
    case ProtocolId::kBrpc: return "brpc";
    case ProtocolId::kTars: return "tars";
    case ProtocolId::kHttp1: return "http1";
    case ProtocolId::kHttp2: return "http2";
    case ProtocolId::kUnknown:
    case ProtocolId::kCount: break;
  }
  return "unknown";
}

std::string_view record_type_name(RecordType t) {
  switch (t) {
    case RecordType::kSession: return "session";
    case RecordType::kRequest: return "request";
    case RecordType::kResponse: return "response";
  }
  return "session";
}

std::string_view response_status_name(ResponseStatus s) {
  switch (s) {
    case ResponseStatus::kOk: return "ok";
    case ResponseStatus::kClientError: return "client_error";
    case ResponseStatus::kServerError: return "server_error";
    case ResponseStatus::kTimeout: return "timeout";
    case ResponseStatus::kUnknown: return "unknown";
    case ResponseStatus::kUnset: break;
  }
  return "";
}

void L7Fields::set_request_id(uint64_t id) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, id);
  request_id.assign(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  request_id_is_int = true;
}

void L7Fields::set_attribute(std::string_view key, std::string_view value) {
  for (uint8_t i = 0; i < attribute_count; ++i) {
    if (attributes[i].key == key) {
      attributes[i].value = value;
      return;
    }
  }
  if (attribute_count == attributes.size()) return;
  attributes[attribute_count].key = key;
  attributes[attribute_count].value = value;
  ++attribute_count;
}

std::string_view L7Fields::attribute(std::string_view key) const {
  for (uint8_t i = 0; i < attribute_count; ++i)
    if (attributes[i].key == key) return attributes[i].value.view();
  return {};
}

void L7Fields::fill_missing_from(const L7Fields& o) {
  auto fill = [](auto& dst, const auto& src) {
    if (dst.empty() && !src.empty()) dst = src;
  };
  fill(version, o.version);
  fill(request_type, o.request_type);
  fill(request_domain, o.request_domain);
  fill(request_resource, o.request_resource);
  fill(endpoint, o.endpoint);
  if (request_id.empty() && !o.request_id.empty()) {
    request_id = o.request_id;
    request_id_is_int = o.request_id_is_int;
  }
  if (!has_response_code && o.has_response_code) set_response_code(o.response_code);
  if (response_status == ResponseStatus::kUnset) response_status = o.response_status;
  fill(response_exception, o.response_exception);
  fill(response_result, o.response_result);
  fill(trace_id, o.trace_id);
  fill(span_id, o.span_id);
  fill(x_request_id, o.x_request_id);
  fill(http_proxy_client, o.http_proxy_client);
  for (uint8_t i = 0; i < o.attribute_count; ++i)
    if (attribute(o.attributes[i].key).empty()) set_attribute(o.attributes[i].key, o.attributes[i].value);
  if (!has_request_length && o.has_request_length) set_request_length(o.request_length);
  if (!has_response_length && o.has_response_length) set_response_length(o.response_length);
}

}  // namespace l7tap
