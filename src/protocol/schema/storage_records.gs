# Kafka protocol facts for the storage records family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message ProducerSnapshot kind=data v=1 flex=none
  Crc uint32 v=1
  ProducerEntries []ProducerEntry v=1
    ProducerId int64 v=1
    Epoch int16 v=1
    LastSequence int32 v=1
    LastOffset int64 v=1
    OffsetDelta int32 v=1
    Timestamp int64 v=1
    CoordinatorEpoch int32 v=1
    CurrentTxnFirstOffset int64 v=1
