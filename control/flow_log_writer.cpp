#include "control/flow_log_writer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace l7tap {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, uint8_t b) {
  const char e[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xf]};
  out.append(e, sizeof e);
}

// Length of the well-formed UTF-8 sequence starting at p (RFC 3629 table: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when the byte at p does not start one.
std::size_t utf8_sequence_length(const unsigned char* p, std::size_t n) {
  const unsigned char c = p[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c == 0xe0) {
    len = 3, lo = 0xa0;
  } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
    len = 3;
  } else if (c == 0xed) {
    len = 3, hi = 0x9f;
  } else if (c == 0xf0) {
    len = 4, lo = 0x90;
  } else if (c >= 0xf1 && c <= 0xf3) {
    len = 4;
  } else if (c == 0xf4) {
    len = 4, hi = 0x8f;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t i = 2; i < len; ++i)
    if ((p[i] & 0xc0) != 0x80) return 0;
  return len;
}

// A JSON integer as RFC 8259 writes it: -?(0|[1-9][0-9]*). A request id flagged as integer is
// checked so that a parser mistake can never produce invalid JSON; it falls back to a string.
bool is_json_integer(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 20) return false;
  if (s[0] == '0' && s.size() > 1) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Writes "key":value pairs with the commas in between.
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_.push_back('{'); }
  void finish() { out_.push_back('}'); }

  void key(std::string_view k) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(k);  // our own field names: nothing to escape
    out_.append("\":", 2);
  }
  // Omitted when empty, as the schema asks.
  void str(std::string_view k, std::string_view v) {
    if (v.empty()) return;
    key(k);
    append_json_string(out_, v);
  }
  template <typename Int>
  void integer(std::string_view k, Int v) {
    key(k);
    raw_int(v);
  }
  void raw(std::string_view k, std::string_view v) {
    key(k);
    out_.append(v);
  }
  template <typename Int>
  void raw_int(Int v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
  std::string& out() { return out_; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t run = 0;  // start of the pending run of bytes copied as they are
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (std::size_t len = utf8_sequence_length(p + i, n - i); len != 0) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\f': out.append("\\f", 2); break;
      default: append_u_escape(out, c); break;  // other control chars, DEL, invalid UTF-8
    }
    run = ++i;
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

void append_utf8_sanitized(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t run = 0, i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (std::size_t len = utf8_sequence_length(p + i, n - i); len != 0) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    out.append("\xef\xbf\xbd");  // U+FFFD
    run = ++i;
  }
  out.append(s.data() + run, n - run);
}

std::string_view format_ip(const std::array<uint8_t, 16>& a, IpTextBuffer& buf) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool mapped = std::memcmp(a.data(), kMappedPrefix, sizeof kMappedPrefix) == 0;
  const char* r = mapped ? inet_ntop(AF_INET, a.data() + 12, buf.data(), buf.size())
                         : inet_ntop(AF_INET6, a.data(), buf.data(), buf.size());
  if (r == nullptr) return {};  // cannot happen with a 48-byte buffer
  return {buf.data(), std::strlen(buf.data())};
}

std::size_t format_record_json(const FlowRecord& rec, std::string& out) {
  const std::size_t before = out.size();
  const L7Fields& l7 = rec.l7;
  JsonObject j(out);
  j.str("type", record_type_name(rec.type));
  j.str("protocol", protocol_name(rec.protocol));
  j.str("version", l7.version);
  j.str("request_type", l7.request_type);
  j.str("request_domain", l7.request_domain);
  j.str("request_resource", l7.request_resource);
  if (!l7.request_id.empty()) {
    if (l7.request_id_is_int && is_json_integer(l7.request_id))
      j.raw("request_id", l7.request_id);
    else
      j.str("request_id", l7.request_id);
  }
  j.str("endpoint", l7.endpoint);
  if (l7.has_response_code) j.integer("response_code", l7.response_code);
  if (l7.response_status != ResponseStatus::kUnset)
    j.str("response_status", response_status_name(l7.response_status));
  j.str("response_exception", l7.response_exception);
  j.str("response_result", l7.response_result);
  j.str("trace_id", l7.trace_id);
  j.str("span_id", l7.span_id);
  j.str("x_request_id", l7.x_request_id);
  j.str("http_proxy_client", l7.http_proxy_client);

  // Attributes with an empty key or value carry nothing: skipped like empty fields.
  const std::size_t attr_count = std::min<std::size_t>(l7.attribute_count, l7.attributes.size());
  bool attrs_open = false;
  for (std::size_t i = 0; i < attr_count; ++i) {
    const Attribute& a = l7.attributes[i];
    if (a.key.empty() || a.value.empty()) continue;
    if (!attrs_open) {
      j.key("attributes");
      out.push_back('{');
      attrs_open = true;
    } else {
      out.push_back(',');
    }
    append_json_string(out, a.key);
    out.push_back(':');
    append_json_string(out, a.value);
  }
  if (attrs_open) out.push_back('}');

  if (l7.has_request_length) j.integer("request_length", l7.request_length);
  if (l7.has_response_length) j.integer("response_length", l7.response_length);
  if (rec.has_rrt) j.integer("rrt_us", rec.rrt_us);
  j.integer("start_time_us", rec.start_time_us);
  j.integer("end_time_us", rec.end_time_us);

  IpTextBuffer ip;
  j.str("client_ip", format_ip(rec.net.client_ip, ip));
  j.integer("client_port", rec.net.client_port);
  j.str("server_ip", format_ip(rec.net.server_ip, ip));
  j.integer("server_port", rec.net.server_port);
  j.str("l4_protocol", rec.net.l4_proto == 17 ? "udp" : "tcp");
  if (rec.net.has_vlan) j.integer("vlan", rec.net.vlan);
  if (rec.net.has_tunnel_id) j.integer("tunnel_id", rec.net.tunnel_id);
  j.finish();
  out.push_back('\n');
  return out.size() - before;
}

// ---------------------------------------------------------------------------------------------

FlowLogWriter::FlowLogWriter(std::string path, uint64_t max_bytes, uint32_t max_files)
    : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {
  if (path_.empty()) return;
  buf_.reserve(kBufferLimit + 4096);
  if (path_ == "-") {
    mode_ = Mode::kStdout;
    fd_ = STDOUT_FILENO;
    return;
  }
  mode_ = Mode::kFile;
  open_file();
}

FlowLogWriter::~FlowLogWriter() { close(); }

void FlowLogWriter::open_file() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("flow_log.path " + path_ + ": " + std::strerror(errno));
  struct stat st;
  size_ = (::fstat(fd_, &st) == 0) ? static_cast<uint64_t>(st.st_size) : 0;
}

bool FlowLogWriter::reopen_after_error() {
  if (mode_ != Mode::kFile) return false;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return false;
  struct stat st;
  size_ = buf_.size() + ((::fstat(fd_, &st) == 0) ? static_cast<uint64_t>(st.st_size) : 0);
  return true;
}

void FlowLogWriter::append(std::string_view line) {
  if (mode_ == Mode::kOff) return;
  // Rotate before the line that would take the file past the limit; a line longer than the
  // limit gets a file of its own rather than being split.
  if (mode_ == Mode::kFile && max_bytes_ != 0 && size_ != 0 && size_ + line.size() > max_bytes_) {
    flush();
    rotate();
  }
  buf_.append(line);
  ++buf_lines_;
  size_ += line.size();
  if (buf_.size() >= kBufferLimit) flush();
}

void FlowLogWriter::flush() {
  if (mode_ == Mode::kOff || buf_.empty()) return;
  bool ok = fd_ >= 0 || reopen_after_error();
  const uint64_t file_size_before = size_ - buf_.size();
  std::size_t done = 0;
  while (ok && done < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  if (ok) {
    counters_.lines.add(buf_lines_);
    counters_.bytes.add(buf_.size());
  } else {
    counters_.write_errors.add();
    counters_.lines_lost.add(buf_lines_);
    // Cut a partly written batch so the file keeps whole lines only.
    if (mode_ == Mode::kFile && fd_ >= 0 && done != 0)
      if (::ftruncate(fd_, static_cast<off_t>(file_size_before)) != 0) counters_.write_errors.add();
    size_ = file_size_before;
  }
  buf_.clear();
  buf_lines_ = 0;
}

void FlowLogWriter::rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // f.(N-1) → f.N, …, f → f.1; rename() replaces the oldest file in place.
  auto numbered = [this](std::string& s, uint32_t i) {
    s.assign(path_);
    s.push_back('.');
    s.append(std::to_string(i));
  };
  for (uint32_t i = max_files_; i >= 1; --i) {
    if (i == 1)
      rename_from_.assign(path_);
    else
      numbered(rename_from_, i - 1);
    numbered(rename_to_, i);
    if (::rename(rename_from_.c_str(), rename_to_.c_str()) != 0 && errno != ENOENT)
      counters_.write_errors.add();
  }
  // With max_files == 0 the current file is simply truncated.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) counters_.write_errors.add();  // flush() retries the open
  size_ = 0;
  counters_.rotations.add();
}

void FlowLogWriter::close() {
  if (mode_ == Mode::kOff) return;
  flush();
  if (mode_ == Mode::kFile && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  mode_ = Mode::kOff;
}

}  // namespace l7tap
