#include "gregor/broker/handlers.h"

namespace gregor::broker {

namespace {
// Ranges are Kafka 4.1's broker ranges for these APIs.
constexpr HandlerEntry kHandlers[] = {
    {3, 0, 13, &handle_metadata, nullptr},         {18, 0, 4, &handle_api_versions, nullptr},
    {19, 2, 7, nullptr, &handle_create_topics},    {20, 1, 6, nullptr, &handle_delete_topics},
    {22, 0, 5, &handle_init_producer_id, nullptr},  // v6 is unstable in 4.1
    {60, 0, 2, &handle_describe_cluster, nullptr}, {61, 0, 0, &handle_describe_producers, nullptr},
};
}  // namespace

std::span<const HandlerEntry> handler_table() {
    return kHandlers;
}

const HandlerEntry* find_handler(int16_t api_key) {
    for (const auto& h : kHandlers) {
        if (h.api_key == api_key) {
            return &h;
        }
    }
    return nullptr;
}

}  // namespace gregor::broker
