// Every message of the schema, at every version it has, survives encode -> decode -> encode with
// random values in every field that version carries (several seeds each).

#include "gregor/protocol/testgen.h"

#include <gtest/gtest.h>

namespace gregor::protocol::testgen {
namespace {

TEST(GeneratedCodecs, RoundTripEveryMessageAndVersion) {
    size_t checked = 0;
    for (const auto& c : roundtrip_cases()) {
        for (int v = c.min_version; v <= c.max_version; ++v) {
            for (uint64_t seed = 1; seed <= 8; ++seed) {
                std::string why;
                EXPECT_TRUE(c.run(seed, static_cast<int16_t>(v), why))
                    << c.message << " v" << v << " seed " << seed << ": " << why;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 1000u);
}

}  // namespace
}  // namespace gregor::protocol::testgen
