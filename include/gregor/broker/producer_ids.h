#pragma once

// Producer ids for InitProducerId (Kafka's RPCProducerIdManager): the broker hands out ids from a
// block the controller allocated (AllocateProducerIds, committed as a ProducerIdsRecord, so an id
// is never given twice, restarts included) and asks for the next block once 90% of the current
// one is used. While no block is ready the answer is COORDINATOR_LOAD_IN_PROGRESS, which clients
// retry.
//
// Threads: generate() may be called from any thread; the controller's answer may arrive on any
// thread (or synchronously, inside the request function).

#include "gregor/common/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace gregor::broker {

struct ProducerIdBlock {
    int64_t first = 0;
    int32_t size = 0;
    int64_t end() const { return first + size; }  // exclusive
};

class ProducerIdManager {
public:
    // Called with the Kafka error code (0 = none) and the block.
    using BlockDone = std::function<void(int16_t error, ProducerIdBlock block)>;
    // Asks the controller for a block; must call `done` exactly once, on any thread.
    using RequestBlock = std::function<void(BlockDone done)>;

    explicit ProducerIdManager(RequestBlock request);

    // The next producer id, or the Kafka error code to answer with.
    result<int64_t, int16_t> generate();
    // Fetches a block ahead of the first InitProducerId (Kafka waits for the first request).
    void prefetch();

private:
    struct State {
        std::mutex mutex;
        ProducerIdBlock current;
        int64_t next = 0;  // the next id of `current` to hand out
        std::optional<ProducerIdBlock> prefetched;
        bool in_flight = false;
    };
    static void on_block(State& state, int16_t error, ProducerIdBlock block);
    void maybe_request_next_block();

    RequestBlock request_;
    std::shared_ptr<State> state_;  // answers after our destruction find it gone
};

}  // namespace gregor::broker
