#include "protocols/core/detector.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <stdexcept>
#include <string>


namespace l7tap {

SignatureDatabase::SignatureDatabase(std::span<const ProtocolDescriptor* const> protocols)
    : protocols_(protocols.begin(), protocols.end()) {
  std::vector<std::string> patterns;
  std::vector<unsigned> flags, ids;
  for (uint32_t pos = 0; pos < protocols_.size(); ++pos) {
    for (std::string_view sig : protocols_[pos]->signatures) {
      ids.push_back(static_cast<unsigned>(patterns.size()));
      patterns.emplace_back(sig);
      flags.push_back(HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH);
      pattern_proto_.push_back(pos);
    }
  }
  if (patterns.empty()) return;
  std::vector<const char*> cstr;
  for (auto& s : patterns) cstr.push_back(s.c_str());
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(cstr.data(), flags.data(), ids.data(), static_cast<unsigned>(cstr.size()), HS_MODE_BLOCK,
                       nullptr, &db_, &err) != HS_SUCCESS) {
    std::string what = "hyperscan: signature does not compile";
    if (err != nullptr) {
      if (err->expression >= 0) {
        const auto e = static_cast<std::size_t>(err->expression);
        what += " (protocol " + std::string(protocols_[pattern_proto_[e]]->name) + ", pattern " + patterns[e] + ")";
      }
      what += ": ";
      what += err->message;
      hs_free_compile_error(err);
    }
    throw std::runtime_error(what);
  }
}

SignatureDatabase::~SignatureDatabase() {
  if (db_ != nullptr) hs_free_database(db_);
}

namespace {

inline void set_bit(std::vector<uint64_t>& s, uint32_t i) { s[i >> 6] |= uint64_t{1} << (i & 63); }
inline bool test_bit(const std::vector<uint64_t>& s, uint32_t i) { return (s[i >> 6] >> (i & 63)) & 1; }
inline void clear_bits(std::vector<uint64_t>& s) { std::fill(s.begin(), s.end(), 0); }

struct MatchContext {
  const SignatureDatabase* sigs;
  std::vector<uint64_t>* matched;
};

int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  auto* m = static_cast<MatchContext*>(ctx);
  set_bit(*m->matched, m->sigs->protocol_of(id));
  return 0;
}

}  // namespace

ProtocolDetector::ProtocolDetector(const SignatureDatabase& sigs,
                                   const std::vector<std::pair<uint16_t, const ProtocolDescriptor*>>& port_hints)
    : sigs_(sigs), hint_start_(65537, 0), cache_(kCacheSize) {
  if (sigs_.db() != nullptr && hs_alloc_scratch(sigs_.db(), &scratch_) != HS_SUCCESS)
    throw std::runtime_error("hyperscan: cannot allocate scratch space");
  const auto protos = sigs_.protocols();
  const std::size_t words = (protos.size() + 63) / 64 + 1;
  hinted_.assign(words, 0);
  matched_.assign(words, 0);
  order_.assign(words, 0);
  for (const ProtocolDescriptor* p : protos) transports_ |= p->transports;
  // Port hints as a compressed table: count per port, prefix sums, then fill.
  std::vector<std::pair<uint16_t, uint32_t>> hints;
  for (auto [port, d] : port_hints) {
    const auto it = std::find(protos.begin(), protos.end(), d);
    if (it != protos.end()) hints.emplace_back(port, static_cast<uint32_t>(it - protos.begin()));
  }
  std::sort(hints.begin(), hints.end());
  hints.erase(std::unique(hints.begin(), hints.end()), hints.end());
  for (auto [port, pos] : hints) ++hint_start_[port + 1u];
  for (std::size_t p = 1; p < hint_start_.size(); ++p) hint_start_[p] += hint_start_[p - 1];
  for (auto [port, pos] : hints) hint_proto_.push_back(pos);  // sorted by port: already in CSR order
}

ProtocolDetector::~ProtocolDetector() {
  if (scratch_ != nullptr) hs_free_scratch(scratch_);
}

bool ProtocolDetector::probe_set(const std::vector<uint64_t>& mask, Dir dir, std::span<const uint8_t> data,
                                 uint8_t tbit, DetectResult& res) const {
  const auto protos = sigs_.protocols();
  for (uint32_t pos = 0; pos < protos.size(); ++pos) {
    if (!test_bit(mask, pos) || (protos[pos]->transports & tbit) == 0) continue;
    const ProbeVerdict v = protos[pos]->probe(dir, data);
    if (v == ProbeVerdict::kYes) {
      res.protocol = protos[pos];
      res.need_more = false;
      return true;
    }
    if (v == ProbeVerdict::kMaybe) res.need_more = true;
  }
  return false;
}

DetectResult ProtocolDetector::detect(Dir dir, std::span<const uint8_t> data, uint16_t server_port,
                                      uint16_t client_port, uint8_t l4) {
  DetectResult res;
  const uint8_t tbit = transport_bit(l4);
  if (data.empty() || (transports_ & tbit) == 0) return res;
  clear_bits(hinted_);
  clear_bits(matched_);
  for (uint16_t port : {server_port, client_port})
    for (uint32_t i = hint_start_[port]; i < hint_start_[port + 1u]; ++i) set_bit(hinted_, hint_proto_[i]);
  if (sigs_.db() != nullptr) {
    MatchContext mc{&sigs_, &matched_};
    const std::size_t n = std::min(data.size(), kScanBytes);
    hs_scan(sigs_.db(), reinterpret_cast<const char*>(data.data()), static_cast<unsigned>(n), 0, scratch_, on_match,
            &mc);
  }
  // Probe order: hinted and matching, matching, hinted only.
  for (std::size_t w = 0; w < order_.size(); ++w) order_[w] = hinted_[w] & matched_[w];
  if (probe_set(order_, dir, data, tbit, res)) return res;
  for (std::size_t w = 0; w < order_.size(); ++w) order_[w] = matched_[w] & ~hinted_[w];
  if (probe_set(order_, dir, data, tbit, res)) return res;
  for (std::size_t w = 0; w < order_.size(); ++w) order_[w] = hinted_[w] & ~matched_[w];
  if (probe_set(order_, dir, data, tbit, res)) return res;
  // A first segment too short for any signature to match (e.g. a client writing its first bytes
  // separately): ask every other probe whether it could be the start of its protocol.
  if (!res.need_more && data.size() < kShortPrefix) {
    const auto protos = sigs_.protocols();
    for (uint32_t pos = 0; pos < protos.size(); ++pos) {
      if (test_bit(hinted_, pos) || test_bit(matched_, pos) || (protos[pos]->transports & tbit) == 0) continue;
      if (protos[pos]->probe(dir, data) == ProbeVerdict::kMaybe) {
        res.need_more = true;
        break;
      }
    }
  }
  return res;
}

std::size_t ProtocolDetector::cache_slot(const ServerKey& k) const {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : k.ip) h = (h ^ b) * 1099511628211ull;
  h = (h ^ k.port) * 1099511628211ull;
  h = (h ^ k.l4) * 1099511628211ull;
  h = (h ^ k.vlan) * 1099511628211ull;
  h = (h ^ k.tunnel_id) * 1099511628211ull;
  return static_cast<std::size_t>(h % kCacheSize);
}

const ProtocolDescriptor* ProtocolDetector::cached(const ServerKey& key) const {
  const CacheEntry& e = cache_[cache_slot(key)];
  return e.proto != nullptr && e.key == key ? e.proto : nullptr;
}

void ProtocolDetector::remember(const ServerKey& key, const ProtocolDescriptor* p) {
  CacheEntry& e = cache_[cache_slot(key)];
  e.key = key;
  e.proto = p;
}

}  // namespace l7tap
