// protocols.trace_headers change live: a reload publishes new names, a worker's FlowProcessor takes
// them at its next housekeeping (between bursts), and a set is freed only once no worker can still
// read it. The parser here is a toy line protocol ("REQ <id> <header>: <value>") that hands its
// header to the shared trace-context code, as the real parsers do.
#include "protocols/core/live_trace_headers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <charconv>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/flow_processor.hpp"
#include "protocols/core/trace_context.hpp"
#include "tests/dataplane/frame_builder.hpp"

namespace l7tap {
namespace {

namespace fb = l7tap::fb;

class HeaderLineParser final : public Parser {
 public:
  explicit HeaderLineParser(const ParserEnv&) {}
  ParseResult parse(Dir, std::span<const uint8_t> data, ParseContext& ctx) override {
    ParseResult r;
    std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
    for (std::size_t nl; (nl = s.find('\n', r.consumed)) != std::string_view::npos; r.consumed = static_cast<uint32_t>(nl + 1)) {
      std::string_view line = s.substr(r.consumed, nl - r.consumed);  // "REQ 7 x-my-trace: abc"
      Message m;
      m.role = MsgRole::kRequest;
      const std::size_t sp = line.find(' ', 4), colon = line.find(": ");
      uint64_t id = 0;
      std::from_chars(line.data() + 4, line.data() + (sp == std::string_view::npos ? line.size() : sp), id);
      m.has_id = true;
      m.id = id;
      m.fields.set_request_id(id);
      if (sp != std::string_view::npos && colon != std::string_view::npos)
        apply_trace_header(line.substr(sp + 1, colon - sp - 1), line.substr(colon + 2), ctx.options, m.fields);
      ctx.emit(m);
    }
    return r;
  }
  bool on_gap(Dir) override { return true; }
};

ProbeVerdict probe_req(Dir, std::span<const uint8_t> d) {
  std::string_view s(reinterpret_cast<const char*>(d.data()), d.size());
  return s.substr(0, 4) == "REQ " ? ProbeVerdict::kYes : ProbeVerdict::kNo;
}

constexpr std::string_view kSigs[] = {"^REQ "};
constexpr uint16_t kPorts[] = {7000};
const ProtocolDescriptor kHdr{"hdrline", kTcp, kSigs, kPorts, probe_req, parser_factory<HeaderLineParser>(), {}};
const ProtocolDescriptor* const kList[] = {&kHdr};

class Records : public RecordSink {
 public:
  void on_record(FlowRecord& r) override { all.push_back(r); }
  std::vector<FlowRecord> all;
};

fb::Bytes request(uint32_t& seq, std::string_view text) {
  fb::TcpOpts t;
  t.seq = seq;
  t.flags = fb::tcpf::kPsh | fb::tcpf::kAck;
  seq += static_cast<uint32_t>(text.size());
  return fb::ethernet(fb::kEthIpv4, fb::ipv4(fb::ip4("10.0.0.1"), fb::ip4("10.0.0.2"), fb::kTcp,
                                             fb::tcp(40000, 7000, fb::bytes(text), t)));
}

TEST(LiveTraceHeaders, WorkerTakesReloadedNamesBetweenBursts) {
  LiveTraceHeaders live(1, {}, {}, {});
  FlowProcessorConfig cfg;
  cfg.live_trace_headers = &live;
  cfg.request_timeout_us = 1000;  // unanswered requests become records quickly
  SignatureDatabase sigs(kList);
  Records out;
  WorkerStats stats;
  FlowProcessor p(0, cfg, sigs, {{7000, &kHdr}}, out, stats);
  uint32_t seq = 1;
  uint64_t ts = 1'700'000'000'000'000;
  auto send = [&](std::string_view text) {
    p.process_frame(request(seq, text), ts);
    ts += 10'000;
    p.housekeeping(ts);
  };
  send("REQ 1 x-my-trace: aaa\n");
  EXPECT_TRUE(live.publish({"x-my-trace"}, {}, {"x-req"}));   // SIGHUP
  EXPECT_FALSE(live.publish({"x-my-trace"}, {}, {"x-req"}));  // same names: nothing new
  p.housekeeping(ts);  // the worker's next pass between bursts
  send("REQ 2 x-my-trace: bbb\n");
  send("REQ 3 x-req: ccc\n");
  p.flush_all();
  ASSERT_EQ(out.all.size(), 3u);
  EXPECT_EQ(out.all[0].l7.get(Field::kTraceId), "");  // before the reload the name meant nothing
  EXPECT_EQ(out.all[1].l7.get(Field::kTraceId), "bbb");
  EXPECT_EQ(out.all[2].l7.get(Field::kXRequestId), "ccc");
  // The set from the start is no longer held by the only worker: freed.
  EXPECT_EQ(live.sets_kept(), 1u);
}

TEST(LiveTraceHeaders, SetsAreKeptWhileAWorkerHoldsThemAndBounded) {
  LiveTraceHeaders live(2, {"a"}, {}, {});
  ParserOptions w0, w1;
  const TraceHeaderNames* h0 = live.use(0, nullptr, w0);
  const TraceHeaderNames* h1 = live.use(1, nullptr, w1);
  ASSERT_EQ(w0.trace_id_headers.size(), 1u);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(live.publish({"gen" + std::to_string(i)}, {}, {}));
    h0 = live.use(0, h0, w0);  // worker 0 keeps up; worker 1 is stuck in a long burst
  }
  // Worker 1 still reads the first set: kept, as is the current one; the 99 in between are gone.
  EXPECT_EQ(live.sets_kept(), 2u);
  EXPECT_EQ(w1.trace_id_headers[0], "a");
  EXPECT_EQ(w0.trace_id_headers[0], "gen99");
  h1 = live.use(1, h1, w1);
  EXPECT_EQ(w1.trace_id_headers[0], "gen99");
  EXPECT_EQ(live.sets_kept(), 1u);
}

// A publisher and two workers at full speed: a worker only ever sees whole, live sets (under ASan
// a freed set read here is reported).
TEST(LiveTraceHeaders, ConcurrentPublishAndUseNeverReadsAFreedSet) {
  LiveTraceHeaders live(2, {"g0"}, {"g0"}, {"g0"});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, switches{0};
  auto worker = [&](std::size_t i) {
    ParserOptions o;
    const TraceHeaderNames* held = nullptr;
    while (!stop.load(std::memory_order_relaxed)) {
      const TraceHeaderNames* now = live.use(i, held, o);
      if (now != held) switches.fetch_add(1, std::memory_order_relaxed);
      held = now;
      // Every list of one set carries the same generation name.
      if (o.trace_id_headers.size() != 1 || o.span_id_headers.size() != 1 ||
          o.trace_id_headers[0] != o.span_id_headers[0] || o.trace_id_headers[0] != o.x_request_id_headers[0])
        bad.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  // At least 20,000 sets, and on until the workers have switched sets a few times (on a loaded
  // machine the threads may not run at all during the first 20,000).
  for (int g = 1; g <= 20000 || (switches.load() < 20 && g < 50'000'000); ++g) {
    const std::vector<std::string> n = {"g" + std::to_string(g)};
    live.publish(n, n, n);
    EXPECT_LE(live.sets_kept(), 3u);  // current + at most one per worker
  }
  stop.store(true);
  t0.join();
  t1.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(switches.load(), 0u);
}

}  // namespace
}  // namespace l7tap
