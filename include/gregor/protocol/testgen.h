#pragma once

// Test support for the generated codecs: a seeded value generator and the round-trip check that
// the generated *_fill.cc files instantiate for every message. Linked into tests only.

#include "gregor/protocol/wire.h"

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace gregor::protocol::testgen {

class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 1) {}

    uint64_t next() {
        s_ ^= s_ << 13;
        s_ ^= s_ >> 7;
        s_ ^= s_ << 17;
        return s_;
    }
    int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
    bool chance(int one_in) { return below(one_in) == 0; }
    std::string string() {
        std::string s(static_cast<size_t>(below(9)), 'a');
        for (auto& c : s) {
            c = static_cast<char>('a' + below(26));
        }
        return s;
    }
    std::vector<uint8_t> bytes() {
        std::vector<uint8_t> b(static_cast<size_t>(below(9)));
        for (auto& c : b) {
            c = static_cast<uint8_t>(next());
        }
        return b;
    }
    Uuid uuid() {
        Uuid u;
        for (auto& c : u.bytes) {
            c = static_cast<uint8_t>(next());
        }
        return u;
    }
    // Records bytes live as long as the Rng.
    RecordsRef records() {
        auto& b = keep_.emplace_back(bytes());
        return RecordsRef{b.data(), b.size(), false};
    }

private:
    uint64_t s_;
    std::deque<std::vector<uint8_t>> keep_;
};

// Fill with random values every field present in version v; encode, decode, compare the value and
// the bytes of a second encoding. False with a reason on any difference.
template <typename M>
bool check_roundtrip(uint64_t seed, int16_t v, std::string& why) {
    Rng rng(seed);
    M original;
    fill(original, rng, v, 0);
    std::vector<uint8_t> first;
    Writer w1(first);
    original.write(w1, v);
    if (original.size(v) != first.size()) {
        why = "size() disagrees with the encoding";
        return false;
    }
    Reader r(first);
    M decoded;
    decoded.read(r, v);
    if (!r.ok()) {
        why = std::string("decode failed: ") + to_string(r.error());
        return false;
    }
    if (r.remaining() != 0) {
        why = "decode left bytes over";
        return false;
    }
    if (!(decoded == original)) {
        why = "decoded value differs";
        return false;
    }
    std::vector<uint8_t> second;
    Writer w2(second);
    decoded.write(w2, v);
    if (first != second) {
        why = "re-encoding differs";
        return false;
    }
    return true;
}

// Encodes a random value of M at version v (fuzz seeds).
template <typename M>
void encode_sample(uint64_t seed, int16_t v, std::vector<uint8_t>& out) {
    Rng rng(seed);
    M value;
    fill(value, rng, v, 0);
    Writer w(out);
    value.write(w, v);
}

struct RoundTripCase {
    const char* message;
    const char* kind;  // request, response, header, data, metadata, coordinator-key/-value
    int16_t api_key;   // -1 when the message is not an API's request or response
    int16_t min_version;
    int16_t max_version;
    bool (*run)(uint64_t seed, int16_t v, std::string& why);
    void (*sample)(uint64_t seed, int16_t v, std::vector<uint8_t>& out);
};

std::span<const RoundTripCase> roundtrip_cases();

}  // namespace gregor::protocol::testgen
