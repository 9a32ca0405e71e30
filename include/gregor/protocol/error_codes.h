#pragma once

// Kafka's error codes (org.apache.kafka.common.protocol.Errors) that Gregor answers with.

#include <cstdint>

namespace gregor::protocol::error {

inline constexpr int16_t unknown_server_error = -1;
inline constexpr int16_t none = 0;
inline constexpr int16_t offset_out_of_range = 1;
inline constexpr int16_t corrupt_message = 2;
inline constexpr int16_t unknown_topic_or_partition = 3;
inline constexpr int16_t leader_not_available = 5;
inline constexpr int16_t not_leader_or_follower = 6;
inline constexpr int16_t request_timed_out = 7;
inline constexpr int16_t message_too_large = 10;
inline constexpr int16_t coordinator_load_in_progress = 14;
inline constexpr int16_t coordinator_not_available = 15;
inline constexpr int16_t invalid_topic_exception = 17;
inline constexpr int16_t invalid_required_acks = 21;
inline constexpr int16_t cluster_authorization_failed = 31;
inline constexpr int16_t unsupported_version = 35;
inline constexpr int16_t invalid_request = 42;
inline constexpr int16_t out_of_order_sequence_number = 45;
inline constexpr int16_t invalid_producer_epoch = 47;
inline constexpr int16_t stale_broker_epoch = 77;
inline constexpr int16_t unknown_topic_id = 100;
inline constexpr int16_t broker_id_not_registered = 102;
inline constexpr int16_t unsupported_endpoint_type = 115;

}  // namespace gregor::protocol::error
