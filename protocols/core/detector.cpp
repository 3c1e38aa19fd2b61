#include "protocols/core/detector.hpp"

#include <hs/hs.h>

#include <stdexcept>
#include <string>

namespace l7tap {

SignatureDatabase::SignatureDatabase(std::span<const ProtocolDescriptor* const> protocols)
    : protocols_(protocols.begin(), protocols.end()) {
  std::vector<std::string> patterns;
  std::vector<unsigned> flags, ids;
  for (const ProtocolDescriptor* p : protocols) {
    for (std::string_view sig : p->signatures) {
      ids.push_back(static_cast<unsigned>(patterns.size()));
      patterns.emplace_back(sig);
      flags.push_back(HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH);
      pattern_proto_.push_back(p->id);
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
        what += " (protocol " + std::string(protocol_name(pattern_proto_[static_cast<std::size_t>(err->expression)])) +
                ", pattern " + patterns[static_cast<std::size_t>(err->expression)] + ")";
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

ProtocolDetector::ProtocolDetector(const SignatureDatabase& sigs,
                                   const std::vector<std::pair<uint16_t, ProtocolId>>& port_hints)
    : sigs_(sigs), port_mask_(65536, 0), cache_(kCacheSize) {
  if (sigs_.db() != nullptr && hs_alloc_scratch(sigs_.db(), &scratch_) != HS_SUCCESS)
    throw std::runtime_error("hyperscan: cannot allocate scratch space");
  for (auto [port, id] : port_hints) port_mask_[port] |= 1u << static_cast<unsigned>(id);
}

ProtocolDetector::~ProtocolDetector() {
  if (scratch_ != nullptr) hs_free_scratch(scratch_);
}

namespace {
int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  auto* pair = static_cast<std::pair<const SignatureDatabase*, uint32_t>*>(ctx);
  pair->second |= 1u << static_cast<unsigned>(pair->first->protocol_of(id));
  return 0;
}
}  // namespace

DetectResult ProtocolDetector::detect(Dir dir, std::span<const uint8_t> data, uint16_t server_port,
                                      uint16_t client_port) {
  DetectResult res;
  if (data.empty()) return res;
  uint32_t hinted = port_mask_[server_port] | port_mask_[client_port];
  std::pair<const SignatureDatabase*, uint32_t> matched{&sigs_, 0};
  if (sigs_.db() != nullptr) {
    std::size_t n = data.size() < kScanBytes ? data.size() : kScanBytes;
    hs_scan(sigs_.db(), reinterpret_cast<const char*>(data.data()), static_cast<unsigned>(n), 0, scratch_, on_match,
            &matched);
  }
  // Probe order: hinted and matching, matching, hinted only.
  const uint32_t order[3] = {hinted & matched.second, matched.second & ~hinted, hinted & ~matched.second};
  for (uint32_t mask : order) {
    for (const ProtocolDescriptor* p : sigs_.protocols()) {
      if ((mask & (1u << static_cast<unsigned>(p->id))) == 0) continue;
      ProbeVerdict v = p->probe(dir, data);
      if (v == ProbeVerdict::kYes) {
        res.protocol = p;
        res.need_more = false;
        return res;
      }
      if (v == ProbeVerdict::kMaybe) res.need_more = true;
    }
  }
  // A first segment too short for any signature to match (e.g. a client writing its first bytes
  // separately): ask every other probe whether it could be the start of its protocol.
  if (!res.need_more && data.size() < kShortPrefix) {
    const uint32_t tried = hinted | matched.second;
    for (const ProtocolDescriptor* p : sigs_.protocols()) {
      if ((tried & (1u << static_cast<unsigned>(p->id))) != 0) continue;
      if (p->probe(dir, data) == ProbeVerdict::kMaybe) {
        res.need_more = true;
        break;
      }
    }
  }
  return res;
}

std::size_t ProtocolDetector::cache_slot(const std::array<uint8_t, 16>& ip, uint16_t port, uint8_t l4) const {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : ip) h = (h ^ b) * 1099511628211ull;
  h = (h ^ port) * 1099511628211ull;
  h = (h ^ l4) * 1099511628211ull;
  return static_cast<std::size_t>(h % kCacheSize);
}

const ProtocolDescriptor* ProtocolDetector::cached(const std::array<uint8_t, 16>& ip, uint16_t port,
                                                   uint8_t l4) const {
  const CacheEntry& e = cache_[cache_slot(ip, port, l4)];
  return e.proto != nullptr && e.port == port && e.l4 == l4 && e.ip == ip ? e.proto : nullptr;
}

void ProtocolDetector::remember(const std::array<uint8_t, 16>& ip, uint16_t port, uint8_t l4,
                                const ProtocolDescriptor* p) {
  CacheEntry& e = cache_[cache_slot(ip, port, l4)];
  e.ip = ip;
  e.port = port;
  e.l4 = l4;
  e.proto = p;
}

}  // namespace l7tap
