// Writes a seed corpus for request_fuzz: one request and one response frame for every API and
// version, with random field values, in the layout request_fuzz reads. Usage: make_seeds DIR

#include "gregor/protocol/api_registry.h"
#include "gregor/protocol/testgen.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace gregor::protocol;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    std::filesystem::create_directories(argv[1]);
    int n = 0;
    for (const auto& c : testgen::roundtrip_cases()) {
        const bool request = std::string(c.kind) == "request";
        if (c.api_key < 0 || (!request && std::string(c.kind) != "response")) {
            continue;
        }
        for (int v = c.min_version; v <= c.max_version; ++v) {
            std::vector<uint8_t> seed;
            seed.push_back(request ? 0x00 : 0x80);
            seed.push_back(static_cast<uint8_t>(c.api_key >> 8));
            seed.push_back(static_cast<uint8_t>(c.api_key));
            seed.push_back(static_cast<uint8_t>(v >> 8));
            seed.push_back(static_cast<uint8_t>(v));
            if (request) {
                // correlation id, then a null client id; flexible headers add an empty tag buffer
                seed.insert(seed.end(), {0, 0, 0, 7, 0xff, 0xff});
                if (v >= 0 && find_api(c.api_key)->request_flexible(static_cast<int16_t>(v))) {
                    seed.push_back(0);
                }
            } else {
                seed.insert(seed.end(), {0, 0, 0, 7});
                if (response_header_version(*find_api(c.api_key), static_cast<int16_t>(v)) >= 1) {
                    seed.push_back(0);
                }
            }
            c.sample(42, static_cast<int16_t>(v), seed);
            std::ofstream(std::string(argv[1]) + "/" + c.message + "_v" + std::to_string(v),
                          std::ios::binary)
                .write(reinterpret_cast<const char*>(seed.data()),
                       static_cast<std::streamsize>(seed.size()));
            ++n;
        }
    }
    std::printf("wrote %d seeds to %s\n", n, argv[1]);
    return 0;
}
