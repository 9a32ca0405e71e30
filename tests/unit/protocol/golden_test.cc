// Frames captured from real clients talking to Apache Kafka 4.1.1 (tests/unit/protocol/golden,
// see its README): every request and response decodes with our generated codecs and re-encodes
// to the very same bytes.

#include "gregor/protocol/api_registry.h"
#include "gregor/protocol/messages/connection.h"
#include "gregor/protocol/messages/core.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

namespace gregor::protocol {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Decodes header + body of one frame and re-encodes both; returns the re-encoding.
template <typename Body>
std::vector<uint8_t> reencode(const std::vector<uint8_t>& frame,
                              bool request,
                              int16_t version,
                              std::string& why) {
    const ApiInfo* api = find_api(Body::api_key);
    Reader r(frame);
    std::vector<uint8_t> out;
    Writer w(out);
    if (request) {
        RequestHeader h;
        const int16_t hv = request_header_version(*api, version);
        h.read(r, hv);
        h.write(w, hv);
    } else {
        ResponseHeader h;
        const int16_t hv = response_header_version(*api, version);
        h.read(r, hv);
        h.write(w, hv);
    }
    Body body;
    body.read(r, version);
    if (!r.ok()) {
        why = std::string("decode failed: ") + to_string(r.error());
        return {};
    }
    if (r.remaining() != 0) {
        why = std::to_string(r.remaining()) + " bytes left over";
        return {};
    }
    body.write(w, version);
    return out;
}

std::vector<uint8_t> reencode_any(const std::string& api,
                                  bool request,
                                  int16_t v,
                                  const std::vector<uint8_t>& f,
                                  std::string& why) {
    if (api == "api_versions") {
        return request ? reencode<ApiVersionsRequest>(f, true, v, why)
                       : reencode<ApiVersionsResponse>(f, false, v, why);
    }
    if (api == "metadata") {
        return request ? reencode<MetadataRequest>(f, true, v, why)
                       : reencode<MetadataResponse>(f, false, v, why);
    }
    if (api == "produce") {
        return request ? reencode<ProduceRequest>(f, true, v, why)
                       : reencode<ProduceResponse>(f, false, v, why);
    }
    why = "no codec wired for " + api;
    return {};
}

TEST(GoldenFrames, RealClientFramesReencodeByteForByte) {
    const fs::path dir = fs::path(GREGOR_SOURCE_DIR) / "tests/unit/protocol/golden";
    const std::regex name(R"(([a-z]+)_([a-z_]+)_(request|response)_v(\d+)\.bin)");
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::smatch m;
        const std::string file = entry.path().filename().string();
        if (!std::regex_match(file, m, name)) {
            continue;
        }
        const auto frame = read_file(entry.path());
        std::string why;
        const auto again = reencode_any(m[2], m[3] == "request",
                                        static_cast<int16_t>(std::stoi(m[4])), frame, why);
        EXPECT_EQ(again, frame) << file << ": " << why;
        ++checked;
    }
    EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace gregor::protocol
