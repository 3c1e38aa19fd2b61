// PcapReader: classic pcap files are read from a mapping, everything else by libpcap; both ways must
// give the same frames, timestamps and errors. The files are built here byte by byte from the
// format's definition (pcap: the 24-byte file header and 16-byte record headers, in the writer's
// byte order, micro- or nanosecond magic; pcapng: section header, interface description and
// enhanced packet blocks). A FIFO makes libpcap read the same bytes: it cannot be mapped.
#include "dataplane/app/pcap_reader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace l7tap {
namespace {

struct Rec {
  uint32_t sec;
  uint32_t frac;  // µs or ns, as the file says
  std::vector<uint8_t> data;
};

void put32(std::vector<uint8_t>& b, uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(big ? v >> (24 - 8 * i) : v >> (8 * i)));
}
void put16(std::vector<uint8_t>& b, uint16_t v, bool big) {
  for (int i = 0; i < 2; ++i) b.push_back(static_cast<uint8_t>(big ? v >> (8 - 8 * i) : v >> (8 * i)));
}

std::vector<uint8_t> classic(const std::vector<Rec>& recs, bool big, bool nano, uint32_t linktype = 1,
                             uint32_t snaplen = 65535) {
  std::vector<uint8_t> b;
  put32(b, nano ? 0xa1b23c4du : 0xa1b2c3d4u, big);
  put16(b, 2, big);
  put16(b, 4, big);
  put32(b, 0, big);
  put32(b, 0, big);
  put32(b, snaplen, big);
  put32(b, linktype, big);
  for (const Rec& r : recs) {
    put32(b, r.sec, big);
    put32(b, r.frac, big);
    put32(b, static_cast<uint32_t>(r.data.size()), big);
    put32(b, static_cast<uint32_t>(r.data.size()), big);
    b.insert(b.end(), r.data.begin(), r.data.end());
  }
  return b;
}

std::vector<Rec> sample_records() {
  std::vector<Rec> recs;
  for (uint32_t i = 0; i < 50; ++i) {
    Rec r{1700000000 + i, i * 1000 + 7, {}};
    r.data.resize(14 + (i * 37) % 1500);
    for (std::size_t k = 0; k < r.data.size(); ++k) r.data[k] = static_cast<uint8_t>(k * 31 + i);
    recs.push_back(r);
  }
  return recs;
}

class PcapReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "pcap_reader_" + std::to_string(::getpid());
    ::mkdir(dir_.c_str(), 0700);
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    files_.push_back(path);
    return path;
  }

  struct Read {
    std::vector<std::vector<uint8_t>> frames;
    std::vector<uint64_t> ts;
    std::string error;
    bool in_place = false;  // every frame stayed valid (checked after reading them all)
  };
  static Read read_all(const std::string& path) {
    Read out;
    PcapReader r(path);
    std::vector<std::span<const uint8_t>> kept;  // frames said to stay valid, and their copies
    std::vector<std::size_t> kept_index;
    std::span<const uint8_t> f;
    uint64_t ts = 0;
    out.in_place = true;
    while (r.next(f, ts)) {
      out.frames.emplace_back(f.begin(), f.end());
      out.ts.push_back(ts);
      if (r.frames_stay_valid()) {
        kept.push_back(f);
        kept_index.push_back(out.frames.size() - 1);
      } else {
        out.in_place = false;
      }
    }
    out.error = r.error();
    // Frames said to stay valid still show their bytes at the end (also after libpcap took over).
    for (std::size_t i = 0; i < kept.size(); ++i) {
      const std::vector<uint8_t>& copy = out.frames[kept_index[i]];
      EXPECT_TRUE(std::equal(kept[i].begin(), kept[i].end(), copy.begin(), copy.end()));
    }
    EXPECT_EQ(r.frames(), out.frames.size() + r.skipped());
    return out;
  }
  // The same bytes through a FIFO: libpcap reads them (a FIFO cannot be mapped).
  Read read_through_fifo(const std::vector<uint8_t>& bytes) {
    const std::string fifo = dir_ + "/fifo";
    ::mkfifo(fifo.c_str(), 0600);
    files_.push_back(fifo);
    std::thread writer([&] {
      std::FILE* w = std::fopen(fifo.c_str(), "wb");
      if (w == nullptr) return;
      std::fwrite(bytes.data(), 1, bytes.size(), w);
      std::fclose(w);
    });
    Read out = read_all(fifo);
    writer.join();
    EXPECT_FALSE(out.in_place);
    return out;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(PcapReaderTest, ClassicFilesAreMappedAndReadAsLibpcapReadsThem) {
  const std::vector<Rec> recs = sample_records();
  for (bool big : {false, true}) {
    for (bool nano : {false, true}) {
      SCOPED_TRACE(std::string(big ? "big-endian" : "little-endian") + (nano ? ", ns" : ", µs"));
      std::vector<Rec> in = recs;
      if (nano)
        for (Rec& r : in) r.frac = r.frac * 1000 + 999;  // sub-µs digits are dropped
      const std::vector<uint8_t> bytes = classic(in, big, nano);
      const Read mapped = read_all(write("f.pcap", bytes));
      EXPECT_TRUE(mapped.in_place);
      EXPECT_EQ(mapped.error, "");
      ASSERT_EQ(mapped.frames.size(), recs.size());
      for (std::size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(mapped.frames[i], recs[i].data);
        EXPECT_EQ(mapped.ts[i], uint64_t{recs[i].sec} * 1'000'000 + recs[i].frac);
      }
      const Read piped = read_through_fifo(bytes);
      EXPECT_EQ(piped.frames, mapped.frames);
      EXPECT_EQ(piped.ts, mapped.ts);
    }
  }
}

TEST_F(PcapReaderTest, CutOffRecordIsReportedAsLibpcapReportsIt) {
  std::vector<uint8_t> bytes = classic(sample_records(), false, false);
  for (std::size_t cut : {std::size_t{20}, std::size_t{9}}) {  // inside the last frame; inside its header
    SCOPED_TRACE(cut);
    const std::vector<Rec> recs = sample_records();
    const std::size_t last = 16 + recs.back().data.size();
    std::vector<uint8_t> broken(bytes.begin(), bytes.end() - static_cast<std::ptrdiff_t>(cut < 16 ? last - cut : cut));
    const Read mapped = read_all(write("broken.pcap", broken));
    const Read piped = read_through_fifo(broken);
    EXPECT_EQ(mapped.frames.size(), recs.size() - 1);
    EXPECT_EQ(mapped.frames, piped.frames);
    EXPECT_NE(mapped.error.find("truncated dump file"), std::string::npos) << mapped.error;
    // The same reason as libpcap's, after the path.
    EXPECT_EQ(mapped.error.substr(mapped.error.find(": ")), piped.error.substr(piped.error.find(": ")));
  }
}

TEST_F(PcapReaderTest, RecordsLongerThanTheSnapshotLengthGoToLibpcap) {
  // A writer that broke its own snapshot length: libpcap's handling of it (from that record on)
  // is the reference, whatever it is.
  std::vector<Rec> recs = sample_records();
  const std::vector<uint8_t> bytes = classic(recs, false, false, 1, 200);
  const Read mapped = read_all(write("snap.pcap", bytes));
  const Read piped = read_through_fifo(bytes);
  EXPECT_EQ(mapped.frames, piped.frames);
  EXPECT_EQ(mapped.ts, piped.ts);
  EXPECT_EQ(mapped.error.empty(), piped.error.empty()) << mapped.error << " / " << piped.error;
}

TEST_F(PcapReaderTest, OtherLinkTypesGetAnEthernetHeaderAndAreCopied) {
  Rec ip{1700000000, 5, {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}};
  const Read mapped = read_all(write("raw.pcap", classic({ip}, false, false, 101)));
  EXPECT_FALSE(mapped.in_place);  // rewritten into the reader's scratch buffer
  ASSERT_EQ(mapped.frames.size(), 1u);
  ASSERT_EQ(mapped.frames[0].size(), 14 + ip.data.size());
  EXPECT_EQ(mapped.frames[0][12], 0x08);
  EXPECT_EQ(mapped.frames[0][13], 0x00);
  EXPECT_TRUE(std::equal(ip.data.begin(), ip.data.end(), mapped.frames[0].begin() + 14));
}

TEST_F(PcapReaderTest, PcapngIsReadByLibpcap) {
  // Section header block, one Ethernet interface (µs timestamps), two enhanced packet blocks.
  std::vector<uint8_t> b;
  auto block = [&b](uint32_t type, const std::vector<uint8_t>& body) {
    const auto len = static_cast<uint32_t>(12 + body.size());
    put32(b, type, false);
    put32(b, len, false);
    b.insert(b.end(), body.begin(), body.end());
    put32(b, len, false);
  };
  std::vector<uint8_t> shb;
  put32(shb, 0x1a2b3c4d, false);
  put16(shb, 1, false);
  put16(shb, 0, false);
  put32(shb, 0xffffffff, false);
  put32(shb, 0xffffffff, false);
  block(0x0a0d0d0a, shb);
  std::vector<uint8_t> idb;
  put16(idb, 1, false);
  put16(idb, 0, false);
  put32(idb, 65535, false);
  block(1, idb);
  const std::vector<Rec> recs = sample_records();
  for (std::size_t i = 0; i < 2; ++i) {
    const uint64_t ts = uint64_t{recs[i].sec} * 1'000'000 + recs[i].frac;
    std::vector<uint8_t> epb;
    put32(epb, 0, false);
    put32(epb, static_cast<uint32_t>(ts >> 32), false);
    put32(epb, static_cast<uint32_t>(ts), false);
    put32(epb, static_cast<uint32_t>(recs[i].data.size()), false);
    put32(epb, static_cast<uint32_t>(recs[i].data.size()), false);
    epb.insert(epb.end(), recs[i].data.begin(), recs[i].data.end());
    while (epb.size() % 4 != 0) epb.push_back(0);
    block(6, epb);
  }
  const Read r = read_all(write("f.pcapng", b));
  EXPECT_FALSE(r.in_place);
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(r.frames[1], recs[1].data);
  EXPECT_EQ(r.ts[1], uint64_t{recs[1].sec} * 1'000'000 + recs[1].frac);
}

}  // namespace
}  // namespace l7tap
