#pragma once

// What request handlers know of the cluster: an immutable snapshot swapped atomically, read
// without locks from every network thread. For now it describes this node alone; the metadata
// image replayed from the controller's log replaces its source later, not its readers.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gregor::broker {

struct AdvertisedEndpoint {
    std::string listener;  // listener name, e.g. PLAINTEXT
    std::string host;
    uint16_t port = 0;
    int16_t security_protocol = 0;  // Kafka's SecurityProtocol id
};

struct BrokerInfo {
    int32_t node_id = -1;
    std::optional<std::string> rack;
    bool fenced = false;
    std::vector<AdvertisedEndpoint> endpoints;

    // The endpoint of the given listener, as Kafka answers clients on the listener they used.
    const AdvertisedEndpoint* endpoint(std::string_view listener) const;
};

struct ClusterView {
    std::string cluster_id;
    int32_t controller_id = -1;
    std::vector<BrokerInfo> brokers;
};

// Holder of the current ClusterView. publish() from the broker's control thread; current() from
// anywhere.
class ClusterViewHolder {
public:
    std::shared_ptr<const ClusterView> current() const {
        return view_.load(std::memory_order_acquire);
    }
    void publish(std::shared_ptr<const ClusterView> v) {
        view_.store(std::move(v), std::memory_order_release);
    }

private:
    std::atomic<std::shared_ptr<const ClusterView>> view_;
};

}  // namespace gregor::broker
