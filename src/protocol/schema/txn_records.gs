# Kafka protocol facts for the txn records family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message TransactionLogKey kind=coordinator-key key=0 v=0 flex=none
  TransactionalId string v=0

message TransactionLogValue kind=coordinator-value key=0 v=0-1 flex=1+
  ProducerId int64 v=0+
  PreviousProducerId int64 v=1+ tag=0 tagv=1+ default=-1
  NextProducerId int64 v=1+ tag=1 tagv=1+ default=-1
  ProducerEpoch int16 v=0+
  NextProducerEpoch int16 v=1+ tag=3 tagv=1+ default=-1
  TransactionTimeoutMs int32 v=0+
  TransactionStatus int8 v=0+
  TransactionPartitions []PartitionsSchema v=0+ null=0+
    Topic string v=0+
    PartitionIds []int32 v=0+
  TransactionLastUpdateTimestampMs int64 v=0+
  TransactionStartTimestampMs int64 v=0+
  ClientTransactionVersion int16 v=1+ tag=2 tagv=1+ default=0
