#include "gregor/broker/handlers.h"

namespace gregor::broker {

namespace {
// Ranges are Kafka 4.1's broker ranges for these APIs.
constexpr HandlerEntry kHandlers[] = {
    // Kafka 4.1 advertises Produce v0-v2 (KAFKA-18659: librdkafka enables compression only then)
    // but refuses them; so do we (handle_produce).
    {0, 0, 13, nullptr, &handle_produce},
    {1, 4, 18, nullptr, &handle_fetch},
    {2, 1, 10, &handle_list_offsets, nullptr},
    {3, 0, 13, &handle_metadata, nullptr},
    {8, 2, 9, &handle_offset_commit, nullptr},  // v10 is unstable in 4.1
    {9, 1, 9, &handle_offset_fetch, nullptr},   // v10 is unstable in 4.1
    {10, 0, 6, &handle_find_coordinator, nullptr},
    {11, 0, 9, nullptr, &handle_join_group},
    {12, 0, 4, &handle_heartbeat, nullptr},
    {13, 0, 5, &handle_leave_group, nullptr},
    {14, 0, 5, nullptr, &handle_sync_group},
    {15, 0, 6, &handle_describe_groups, nullptr},
    {16, 0, 5, &handle_list_groups, nullptr},
    {18, 0, 4, &handle_api_versions, nullptr},
    {19, 2, 7, nullptr, &handle_create_topics},
    {20, 1, 6, nullptr, &handle_delete_topics},
    {21, 0, 2, &handle_delete_records, nullptr},
    {22, 0, 5, &handle_init_producer_id, nullptr},  // v6 is unstable in 4.1
    {23, 2, 4, &handle_offset_for_leader_epoch, nullptr},
    {32, 1, 4, &handle_describe_configs, nullptr},
    {33, 0, 2, nullptr, &handle_alter_configs},
    {35, 1, 4, &handle_describe_log_dirs, nullptr},
    {37, 0, 3, nullptr, &handle_create_partitions},
    {42, 0, 2, &handle_delete_groups, nullptr},
    {44, 0, 1, nullptr, &handle_incremental_alter_configs},
    {47, 0, 0, &handle_offset_delete, nullptr},
    {60, 0, 2, &handle_describe_cluster, nullptr},
    {61, 0, 0, &handle_describe_producers, nullptr},
    {75, 0, 0, &handle_describe_topic_partitions, nullptr},
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
