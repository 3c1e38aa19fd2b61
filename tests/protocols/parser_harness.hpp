// Test helpers for protocol parsers: ParserHarness drives a parser through the real StreamDriver
// (buffering, skipping, error handling) and collects the messages it emits; SignatureMatcher checks
// what one protocol's Hyperscan signatures match on their own; describe() and pair_all() compare
// runs and turn messages into records.
#pragma once

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/core/parser.hpp"
#include "protocols/core/session_pairing.hpp"
#include "protocols/core/stream_driver.hpp"

namespace l7tap::test {

inline std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

class CollectingSink : public MessageSink {
 public:
  void on_message(Message& m) override { messages.push_back(m); }
  std::vector<Message> messages;
};

class ParserHarness {
 public:
  // The protocol's own parser, created through its descriptor's factory in pool memory (as a
  // worker does).
  explicit ParserHarness(const ProtocolDescriptor& proto, ParserOptions opts = {}) : options_(opts) {
    ParserEnv env{&options_, &pool_};
    EXPECT_TRUE(driver_.attach(proto, env));
  }
  // A test-only parser (not in the registry), kept alive by the harness.
  explicit ParserHarness(std::unique_ptr<Parser> parser, ParserOptions opts = {}, uint64_t max_message = UINT64_MAX)
      : options_(opts), owned_(std::move(parser)) {
    driver_.attach_external(*owned_, pool_, max_message);
  }

  // Feeds `data` in one piece (ts = `ts_us`).
  void feed(Dir dir, std::span<const uint8_t> data, uint64_t ts_us = 1'000'000) {
    ParseContext ctx;
    ctx.sink = &sink_;
    ctx.options = &options_;
    ctx.now_us = ts_us;
    driver_.on_stream_data(dir, data, ctx);
    reversed_ |= ctx.reversed;
    take_counts();
  }
  void feed(Dir dir, const std::vector<uint8_t>& data, uint64_t ts_us = 1'000'000) {
    feed(dir, std::span<const uint8_t>(data), ts_us);
  }
  // Feeds `data` in chunks of `chunk` bytes (1 = byte by byte), timestamps increasing by 1 µs.
  void feed_split(Dir dir, const std::vector<uint8_t>& data, std::size_t chunk, uint64_t ts_us = 1'000'000) {
    for (std::size_t off = 0; off < data.size(); off += chunk) {
      std::size_t n = std::min(chunk, data.size() - off);
      feed(dir, std::span<const uint8_t>(data.data() + off, n), ts_us++);
    }
  }
  void datagram(Dir dir, const std::vector<uint8_t>& data, uint64_t ts_us = 1'000'000) {
    ParseContext ctx;
    ctx.sink = &sink_;
    ctx.options = &options_;
    ctx.now_us = ts_us;
    driver_.on_datagram(dir, std::span<const uint8_t>(data), ctx);
    reversed_ |= ctx.reversed;
    take_counts();
  }
  void gap(Dir dir) { driver_.on_gap(dir); }

  std::vector<Message>& messages() { return sink_.messages; }
  uint32_t errors() const { return errors_; }
  // What the driver counted since the harness was made (the worker exports these as
  // l7tap_parser_skipped_bytes_total, l7tap_parser_resyncs_total, l7tap_parser_oversize_total).
  uint64_t skipped_bytes() const { return skipped_bytes_; }
  uint32_t resyncs() const { return resyncs_; }
  uint32_t oversize() const { return oversize_; }
  bool stopped() const { return driver_.stopped(); }
  // True once any feed/datagram call's context came back with ParseContext::reversed set (the
  // parser found the flow's orientation guessed wrong).
  bool reversed() const { return reversed_; }
  ParserOptions& options() { return options_; }
  BufferPool& pool() { return pool_; }
  StreamDriver& driver() { return driver_; }

 private:
  void take_counts() {
    errors_ += driver_.take_errors();
    if (StreamDriver::Events ev; driver_.take_events(ev)) {
      skipped_bytes_ += ev.skipped_bytes;
      resyncs_ += ev.resyncs;
      oversize_ += ev.oversize;
    }
  }

  ParserOptions options_;
  std::unique_ptr<Parser> owned_;
  BufferPool pool_;  // before the driver: the driver gives its blocks back when destroyed
  StreamDriver driver_;
  CollectingSink sink_;
  uint32_t errors_ = 0;
  uint64_t skipped_bytes_ = 0;
  uint32_t resyncs_ = 0;
  uint32_t oversize_ = 0;
  bool reversed_ = false;
};

// Compiles one protocol's signatures into a Hyperscan block-mode database with the flags the
// product's SignatureDatabase uses (protocols/core/detector.cpp), so a test sees what detection
// sees. Owns the database and scratch. Tests check ok() (with error()) before calling matches().
class SignatureMatcher {
 public:
  explicit SignatureMatcher(const ProtocolDescriptor& proto) {
    std::vector<std::string> patterns(proto.signatures.begin(), proto.signatures.end());
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      exprs.push_back(patterns[i].c_str());
      flags.push_back(HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH);
      ids.push_back(static_cast<unsigned>(i));
    }
    if (exprs.empty()) {
      error_ = "protocol has no signatures";
      return;
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                         nullptr, &db_, &err) != HS_SUCCESS) {
      error_ = "hs_compile_multi failed";
      if (err != nullptr) {
        if (err->expression >= 0) error_ += " (pattern " + patterns[static_cast<std::size_t>(err->expression)] + ")";
        error_ += ": ";
        error_ += err->message;
        hs_free_compile_error(err);
      }
      db_ = nullptr;
      return;
    }
    if (hs_alloc_scratch(db_, &scratch_) != HS_SUCCESS) {
      error_ = "hs_alloc_scratch failed";
      scratch_ = nullptr;
    }
  }
  ~SignatureMatcher() {
    if (scratch_ != nullptr) hs_free_scratch(scratch_);
    if (db_ != nullptr) hs_free_database(db_);
  }
  SignatureMatcher(const SignatureMatcher&) = delete;
  SignatureMatcher& operator=(const SignatureMatcher&) = delete;

  bool ok() const { return db_ != nullptr && scratch_ != nullptr; }
  const std::string& error() const { return error_; }

  // True when any signature matches `data` (false when !ok()).
  bool matches(std::span<const uint8_t> data) const {
    return scan(reinterpret_cast<const char*>(data.data()), data.size());
  }
  bool matches(std::string_view text) const { return scan(text.data(), text.size()); }
  bool matches(std::initializer_list<uint8_t> data) const {
    return matches(std::span<const uint8_t>(data.begin(), data.size()));
  }

 private:
  bool scan(const char* data, std::size_t size) const {
    if (!ok()) return false;
    bool hit = false;
    hs_scan(
        db_, data, static_cast<unsigned>(size), 0, scratch_,
        [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
          *static_cast<bool*>(ctx) = true;
          return 0;
        },
        &hit);
    return hit;
  }

  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
  std::string error_;
};

// Everything a parser put into a message, as one line: for comparing two runs over the same bytes
// (fed whole and split, clean and after garbage). Timestamps are left out.
inline std::string describe(const Message& m) {
  const L7Fields& f = m.fields;
  std::string s = std::to_string(static_cast<int>(m.role)) + "|" + std::to_string(static_cast<int>(m.dir)) + "|" +
                  std::to_string(m.has_id) + ":" + std::to_string(m.id) + "|" + std::to_string(m.pair_class);
  for (std::size_t i = 0; i < kFieldCount; ++i) s += "|" + std::string(f.get(static_cast<Field>(i)));
  s += "|" + std::to_string(static_cast<int>(f.response_status)) + "|" +
       (f.has_response_code ? std::to_string(f.response_code) : "-") + "|" +
       (f.has_request_length ? std::to_string(f.request_length) : "-") + "|" +
       (f.has_response_length ? std::to_string(f.response_length) : "-");
  for (std::size_t i = 0; i < f.attribute_count(); ++i)
    s += "|" + std::string(f.attribute_key(i)) + "=" + std::string(f.attribute_value(i));
  return s;
}

inline std::vector<std::string> describe_all(const std::vector<Message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(describe(m));
  return out;
}

struct RecordCollector : RecordSink {
  void on_record(FlowRecord& r) override { all.push_back(r); }
  std::vector<FlowRecord> all;
};

// The records the session-pairing engine makes of `msgs` as one flow, ended after them.
inline std::vector<FlowRecord> pair_all(std::vector<Message>& msgs, uint64_t request_timeout_us = 60'000'000) {
  RecordCollector out;
  BufferPool pool;
  SessionPairing pairing(64, 64, request_timeout_us, out, pool);
  FlowSessions flow;
  for (auto& m : msgs) pairing.on_message(flow, m);
  pairing.end_flow(flow);
  return out.all;
}

}  // namespace l7tap::test
