#include "dataplane/app/pcap_reader.hpp"

#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace l7tap {
namespace {
constexpr int kLinkNull = 0, kLinkEthernet = 1, kLinkRaw = 101, kLinkRawAlt = 12, kLinkSll = 113, kLinkSll2 = 276,
              kLinkLoop = 108;
// libpcap's limit on a record's captured length for these link types (MAXIMUM_SNAPLEN).
constexpr uint32_t kMaxCaplen = 262144;
constexpr std::size_t kPrefetchAhead = 8192;
constexpr std::size_t kPopulateChunk = std::size_t{2} << 20;

uint32_t load32(const uint8_t* p, bool swapped) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}
}  // namespace

PcapReader::PcapReader(const std::string& path) : path_(path) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  // libpcap reads through stdio, whose default buffer is the file system's block size (4 KiB):
  // one read() per few packets. A 1 MiB buffer makes that one per ~3000 packets (measured: the
  // read syscalls were 12 % of an offline run's CPU).
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  // fopen opens a directory; libpcap would then say "error reading dump file: Is a directory".
  struct stat st {};
  if (::fstat(::fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    throw std::runtime_error(path + ": is a directory, not a capture file");
  }
  io_buffer_ = std::make_unique<char[]>(kIoBuffer);
  std::setvbuf(f, io_buffer_.get(), _IOFBF, kIoBuffer);
  handle_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, err);
  if (handle_ == nullptr) {
    std::fclose(f);
    throw std::runtime_error(path + ": not a readable capture file: " + err);
  }
  linktype_ = pcap_datalink(handle_);
  switch (linktype_) {
    case kLinkNull: case kLinkEthernet: case kLinkRaw: case kLinkRawAlt: case kLinkSll: case kLinkSll2: case kLinkLoop:
      break;
    default:
      pcap_close(handle_);
      handle_ = nullptr;
      throw std::runtime_error(path + ": unsupported link type " + std::to_string(linktype_) +
                               " (supported: Ethernet, Linux cooked, raw IP, loopback)");
  }
  scratch_.reserve(65536 + 14);
  map_classic(::fileno(f));
}

void PcapReader::map_classic(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) return;
  const auto size = static_cast<std::size_t>(st.st_size);
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) return;  // libpcap reads it instead
  const auto* p = static_cast<const uint8_t*>(m);
  uint32_t magic;
  std::memcpy(&magic, p, 4);
  const bool classic = magic == 0xa1b2c3d4u || magic == 0xa1b23c4du || magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
  swapped_ = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
  nanoseconds_ = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
  const uint16_t major = swapped_ ? static_cast<uint16_t>(p[4] << 8 | p[5]) : static_cast<uint16_t>(p[5] << 8 | p[4]);
  if (!classic || major != 2) {  // pcapng, modified pcap variants, other versions: libpcap's
    ::munmap(m, size);
    return;
  }
  ::madvise(m, size, MADV_SEQUENTIAL);
  map_ = p;
  map_size_ = size;
  snaplen_ = static_cast<uint32_t>(pcap_snapshot(handle_));  // libpcap's, adjusted for 0 and oversize
  mapped_ = true;
  pos_ = 24;
}

std::string capture_file_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + ": cannot open: " + std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return path + ": is a directory, not a capture file";
  if (!S_ISREG(st.st_mode)) return "";
  try {
    PcapReader probe(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

uint64_t PcapReader::offset() const {
  if (mapped_) return pos_;
  const off_t pos = ::ftello(pcap_file(handle_));
  return pos < 0 ? 0 : static_cast<uint64_t>(pos);
}

PcapReader::~PcapReader() {
  if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), map_size_);
  if (handle_ != nullptr) pcap_close(handle_);
}

bool PcapReader::next_mapped(std::span<const uint8_t>& raw, uint64_t& ts_us) {
  const std::size_t left = map_size_ - pos_;
  if (left == 0) return false;
  const uint8_t* h = map_ + pos_;
  const uint32_t caplen = left >= 16 ? load32(h + 8, swapped_) : 0;
  if (left < 16 || caplen > kMaxCaplen || caplen > snaplen_ ||
      caplen > left - 16) {
    // A broken or unusual record (cut off, or longer than the file's snapshot length): libpcap
    // reads on from here, so it is handled, and reported, exactly as libpcap does. The mapping
    // stays: frames handed out from it may still be waiting in the caller's burst.
    mapped_ = false;
    if (std::fseek(pcap_file(handle_), static_cast<long>(pos_), SEEK_SET) != 0) {
      error_ = path_ + ": cannot seek: " + std::strerror(errno);
      return false;
    }
    return next_raw(raw, ts_us);
  }
  const uint32_t frac = load32(h + 4, swapped_);
  ts_us = uint64_t{load32(h, swapped_)} * 1'000'000u + (nanoseconds_ ? frac / 1000 : frac);
  raw = {h + 16, caplen};
  pos_ += 16 + caplen;
  // Reading through a mapping, the first touch of each record is a cache miss (read() would have
  // paid it copying): keep the next few KiB on their way into the cache, and the page tables of the
  // next 2 MiB filled in one call rather than one fault per 16 pages.
  const std::size_t ahead = std::min(map_size_, pos_ + kPrefetchAhead);
  for (; prefetched_ < ahead; prefetched_ += 64) __builtin_prefetch(map_ + prefetched_);
  if (populated_ < map_size_ && pos_ + kPopulateChunk > populated_) {
    ::madvise(const_cast<uint8_t*>(map_) + populated_, std::min(kPopulateChunk, map_size_ - populated_),
              MADV_POPULATE_READ);  // an older kernel refuses: faults fill them in as before
    populated_ += kPopulateChunk;
  }
  return true;
}

bool PcapReader::next_raw(std::span<const uint8_t>& raw, uint64_t& ts_us) {
  if (mapped_) return next_mapped(raw, ts_us);
  for (;;) {
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle_, &h, &data);
    if (rc == PCAP_ERROR_BREAK) return false;
    if (rc < 0) {
      error_ = path_ + ": " + pcap_geterr(handle_);
      return false;
    }
    if (rc == 0) continue;
    ts_us = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000u + static_cast<uint64_t>(h->ts.tv_usec);
    raw = {data, h->caplen};
    return true;
  }
}

bool PcapReader::next(std::span<const uint8_t>& frame, uint64_t& ts_us) {
  for (;;) {
    std::span<const uint8_t> raw;
    if (!next_raw(raw, ts_us)) return false;
    ++frames_;
    uint16_t ethertype = 0;
    std::size_t strip = 0;
    switch (linktype_) {
      case kLinkEthernet:
        frame = raw;
        return true;
      case kLinkRaw: case kLinkRawAlt:
        if (raw.empty()) break;
        ethertype = (raw[0] >> 4) == 6 ? 0x86dd : 0x0800;
        break;
      case kLinkSll:
        if (raw.size() < 16) break;
        ethertype = static_cast<uint16_t>(raw[14] << 8 | raw[15]);
        strip = 16;
        break;
      case kLinkSll2:
        if (raw.size() < 20) break;
        ethertype = static_cast<uint16_t>(raw[0] << 8 | raw[1]);
        strip = 20;
        break;
      case kLinkNull: case kLinkLoop: {
        if (raw.size() < 4) break;
        uint32_t fam_le = raw[0] | raw[1] << 8 | raw[2] << 16 | static_cast<uint32_t>(raw[3]) << 24;
        uint32_t fam_be = raw[3] | raw[2] << 8 | raw[1] << 16 | static_cast<uint32_t>(raw[0]) << 24;
        uint32_t fam = fam_le < 256 ? fam_le : fam_be;
        ethertype = fam == 2 ? 0x0800 : 0x86dd;  // AF_INET, else one of the AF_INET6 values
        strip = 4;
        break;
      }
      default: break;
    }
    if (ethertype == 0) {
      ++skipped_;
      continue;
    }
    raw = raw.subspan(strip);
    scratch_.assign(14, 0);
    scratch_[12] = static_cast<uint8_t>(ethertype >> 8);
    scratch_[13] = static_cast<uint8_t>(ethertype & 0xff);
    scratch_.insert(scratch_.end(), raw.begin(), raw.end());
    frame = scratch_;
    return true;
  }
}

}  // namespace l7tap
