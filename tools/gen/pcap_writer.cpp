#include "tools/gen/pcap_writer.hpp"

#include <cerrno>
#include <cstring>

namespace gen {
namespace {
constexpr std::size_t kBufferSize = 1 << 20;
constexpr uint32_t kLinktypeEthernet = 1;
}  // namespace

PcapWriter::~PcapWriter() { close(); }

bool PcapWriter::open(const std::string& path, uint32_t snaplen) {
  close();
  failed_ = false;
  error_.clear();
  f_ = std::fopen(path.c_str(), "wb");
  if (f_ == nullptr) {
    error_ = path + ": " + std::strerror(errno);
    failed_ = true;
    return false;
  }
  snaplen_ = snaplen;
  buf_.reserve(kBufferSize + 65536 + 16);
  buf_.clear();
  put32(0xA1B2C3D4u);  // microsecond timestamps
  buf_.push_back(2);   // version 2.4
  buf_.push_back(0);
  buf_.push_back(4);
  buf_.push_back(0);
  put32(0);  // thiszone
  put32(0);  // sigfigs
  put32(snaplen_);
  put32(kLinktypeEthernet);
  return true;
}

void PcapWriter::put32(uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 24)};
  buf_.insert(buf_.end(), b, b + 4);
}

void PcapWriter::write(uint64_t ts_us, std::span<const uint8_t> frame) {
  if (f_ == nullptr) return;
  const std::size_t caplen = frame.size() < snaplen_ ? frame.size() : snaplen_;
  put32(static_cast<uint32_t>(ts_us / 1000000));
  put32(static_cast<uint32_t>(ts_us % 1000000));
  put32(static_cast<uint32_t>(caplen));
  put32(static_cast<uint32_t>(frame.size()));
  buf_.insert(buf_.end(), frame.data(), frame.data() + caplen);
  if (buf_.size() >= kBufferSize) flush();
}

void PcapWriter::flush() {
  if (f_ != nullptr && !buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size() && !failed_) {
    failed_ = true;
    error_ = std::string("write: ") + std::strerror(errno);
  }
  buf_.clear();
}

bool PcapWriter::close() {
  if (f_ == nullptr) return !failed_;
  flush();
  if (std::fclose(f_) != 0 && !failed_) {
    failed_ = true;
    error_ = std::string("close: ") + std::strerror(errno);
  }
  f_ = nullptr;
  return !failed_;
}

}  // namespace gen
