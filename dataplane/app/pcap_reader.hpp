// Reads capture files with libpcap for offline mode (pcap and pcapng, micro- or nanosecond
// timestamps). Frames of link types other than Ethernet (Linux cooked v1/v2, raw IP, BSD
// loopback) get a synthetic Ethernet header so the one decoder handles them all.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct pcap;

namespace l7tap {

class PcapReader {
 public:
  // Throws std::runtime_error("<path>: <libpcap's reason>") when the file cannot be read or its
  // link type is not supported.
  explicit PcapReader(const std::string& path);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // Next frame as Ethernet; false at end of file. A read error ends the file and is kept in error().
  bool next(std::span<const uint8_t>& frame, uint64_t& ts_us);
  const std::string& error() const { return error_; }
  uint64_t frames() const { return frames_; }
  uint64_t skipped() const { return skipped_; }  // frames too short for their link header
  // Bytes of the file consumed so far (0 where the position is unknown: pipes). For progress only.
  uint64_t offset() const;

 private:
  static constexpr std::size_t kIoBuffer = 1u << 20;
  std::unique_ptr<char[]> io_buffer_;  // the FILE's buffer: declared first, so freed after pcap_close
  pcap* handle_ = nullptr;
  int linktype_ = 0;
  std::vector<uint8_t> scratch_;  // for link types rewritten to Ethernet
  std::string path_;
  std::string error_;
  uint64_t frames_ = 0;
  uint64_t skipped_ = 0;
};

// Why `path` cannot be replayed ("<path>: <reason>"), or "" when it can: a missing or unreadable file,
// a directory, a file that is not a capture or of an unsupported link type. Regular files are opened
// and their header read; pipes and devices (--pcap /dev/stdin) are only checked to exist, since
// reading them would consume what the replay needs.
std::string capture_file_problem(const std::string& path);

}  // namespace l7tap
