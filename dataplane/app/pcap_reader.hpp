// Reads capture files with libpcap for offline mode (pcap and pcapng, micro- or nanosecond
// timestamps). Frames of link types other than Ethernet (Linux cooked v1/v2, raw IP, BSD
// loopback) get a synthetic Ethernet header so the one decoder handles them all.
//
// libpcap opens and checks every file. Its reading, though, copies every record twice (the file
// into stdio's buffer, that into its own), and its buffer is reused, so the caller copies a third
// time: 11 % of the worker thread's time replaying a 1 M-frame capture. libpcap has no way to hand
// out frames in place, so a regular file in the classic pcap format (the 24-byte header and
// 16-byte record headers, either byte order, micro- or nanosecond magic) is mapped and its records
// are handed out where they lie in the mapping; pcapng, pipes and anything else are read by libpcap.
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
  // The frame next() returned last stays valid while the reader lives (it points into the mapped
  // file), rather than only until the next call.
  bool frames_stay_valid() const { return mapped_ && linktype_ == 1; }
  const std::string& error() const { return error_; }
  uint64_t frames() const { return frames_; }
  uint64_t skipped() const { return skipped_; }  // frames too short for their link header
  // Bytes of the file consumed so far (0 where the position is unknown: pipes). For progress only.
  uint64_t offset() const;

 private:
  static constexpr std::size_t kIoBuffer = 1u << 20;
  bool next_raw(std::span<const uint8_t>& raw, uint64_t& ts_us);  // one record, as captured
  bool next_mapped(std::span<const uint8_t>& raw, uint64_t& ts_us);
  void map_classic(int fd);

  std::unique_ptr<char[]> io_buffer_;  // the FILE's buffer: declared first, so freed after pcap_close
  pcap* handle_ = nullptr;
  // The mapped classic pcap file, when it is one (else null: libpcap reads). Once libpcap has taken
  // over (a broken record), the mapping stays until the reader goes, for the frames handed out.
  const uint8_t* map_ = nullptr;
  std::size_t map_size_ = 0;
  bool mapped_ = false;  // records come from the mapping
  uint32_t snaplen_ = 0;  // the file's snapshot length as libpcap reads it
  std::size_t pos_ = 0;  // next record header in the mapping
  std::size_t prefetched_ = 0;  // bytes of the mapping prefetched so far
  std::size_t populated_ = 0;   // bytes of the mapping whose page tables were filled in
  bool swapped_ = false;  // the file's byte order is not ours
  bool nanoseconds_ = false;
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
