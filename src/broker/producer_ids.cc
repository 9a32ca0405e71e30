#include "gregor/broker/producer_ids.h"

#include "gregor/common/logging.h"
#include "gregor/protocol/error_codes.h"

namespace gregor::broker {

namespace {

// Kafka's PRODUCER_ID_BLOCK_PREFETCH_THRESHOLD.
constexpr int64_t kPrefetchPercent = 90;

const log::Logger& logger() {
    return log::get("broker");
}

}  // namespace

ProducerIdManager::ProducerIdManager(RequestBlock request)
    : request_(std::move(request)), state_(std::make_shared<State>()) {}

result<int64_t, int16_t> ProducerIdManager::generate() {
    bool request = false;
    result<int64_t, int16_t> out =
        unexpected<int16_t>(protocol::error::coordinator_load_in_progress);
    {
        std::lock_guard lock(state_->mutex);
        State& s = *state_;
        if (s.next >= s.current.end() && s.prefetched) {
            s.current = *s.prefetched;
            s.next = s.current.first;
            s.prefetched.reset();
        }
        if (s.next < s.current.end()) {
            const int64_t id = s.next++;
            request = id == s.current.first + s.current.size * kPrefetchPercent / 100;
            out = id;
        } else {
            request = true;  // the block is used up and the next one is not here yet
        }
    }
    if (request) {
        maybe_request_next_block();
    }
    return out;
}

void ProducerIdManager::prefetch() {
    maybe_request_next_block();
}

void ProducerIdManager::maybe_request_next_block() {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->in_flight || state_->prefetched) {
            return;
        }
        state_->in_flight = true;
    }
    std::weak_ptr<State> weak = state_;
    request_([weak](int16_t error, ProducerIdBlock block) {
        if (auto state = weak.lock()) {
            on_block(*state, error, block);
        }
    });
}

void ProducerIdManager::on_block(State& s, int16_t error, ProducerIdBlock block) {
    std::lock_guard lock(s.mutex);
    s.in_flight = false;
    if (error != protocol::error::none) {
        logger()->warn("AllocateProducerIds failed with error {}; the next InitProducerId retries",
                       error);
        return;
    }
    // Kafka's check: a block must lie above everything handed out so far.
    if (block.size <= 0 || block.first < s.current.end()) {
        logger()->error("ignoring producer id block [{}, {}): not above the current block [{}, {})",
                        block.first, block.end(), s.current.first, s.current.end());
        return;
    }
    logger()->info("got producer id block [{}, {})", block.first, block.end());
    s.prefetched = block;
}

}  // namespace gregor::broker
