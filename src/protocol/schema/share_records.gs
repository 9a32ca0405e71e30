# Kafka protocol facts for the share records family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message ShareSnapshotKey kind=coordinator-key key=0 v=0 flex=none
  GroupId string v=0
  TopicId uuid v=0
  Partition int32 v=0

message ShareSnapshotValue kind=coordinator-value key=0 v=0 flex=0+
  SnapshotEpoch int32 v=0+
  StateEpoch int32 v=0+
  LeaderEpoch int32 v=0+
  StartOffset int64 v=0+
  CreateTimestamp int64 v=0+
  WriteTimestamp int64 v=0+
  StateBatches []StateBatch v=0+
    FirstOffset int64 v=0+
    LastOffset int64 v=0+
    DeliveryState int8 v=0+
    DeliveryCount int16 v=0+

message ShareUpdateKey kind=coordinator-key key=1 v=0 flex=none
  GroupId string v=0
  TopicId uuid v=0
  Partition int32 v=0

message ShareUpdateValue kind=coordinator-value key=1 v=0 flex=0+
  SnapshotEpoch int32 v=0+
  LeaderEpoch int32 v=0+
  StartOffset int64 v=0+
  StateBatches []StateBatch v=0+
    FirstOffset int64 v=0+
    LastOffset int64 v=0+
    DeliveryState int8 v=0+
    DeliveryCount int16 v=0+
