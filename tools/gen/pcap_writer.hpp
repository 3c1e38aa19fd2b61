// Classic libpcap file writer (https://www.tcpdump.org/manpages/pcap-savefile.5.html): the
// 24-byte global header (magic 0xa1b2c3d4 = microsecond timestamps, version 2.4, LINKTYPE_ETHERNET)
// and one 16-byte record header per frame, all little-endian, through a 1 MiB buffer.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace gen {

class PcapWriter {
 public:
  PcapWriter() = default;
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Creates (truncates) `path` and writes the global header; false on error (see error()).
  bool open(const std::string& path, uint32_t snaplen = 262144);
  // One frame with its timestamp (µs since the epoch). Frames longer than the snap length are
  // cut to it (the record keeps the original length).
  void write(uint64_t ts_us, std::span<const uint8_t> frame);
  // Flushes and closes; false if any write failed.
  bool close();
  const std::string& error() const { return error_; }

 private:
  void flush();
  void put32(uint32_t v);

  std::FILE* f_ = nullptr;
  std::vector<uint8_t> buf_;
  uint32_t snaplen_ = 262144;
  bool failed_ = false;
  std::string error_;
};

}  // namespace gen
