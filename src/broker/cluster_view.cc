#include "gregor/broker/cluster_view.h"

namespace gregor::broker {

const AdvertisedEndpoint* BrokerInfo::endpoint(std::string_view listener) const {
    for (const auto& e : endpoints) {
        if (e.listener == listener) {
            return &e;
        }
    }
    return nullptr;
}

}  // namespace gregor::broker
