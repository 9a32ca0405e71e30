# Kafka protocol facts for the txn family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message InitProducerIdRequest kind=request key=22 v=0-6 flex=2+ listeners=broker unstable-latest
  TransactionalId string v=0+ null=0+
  TransactionTimeoutMs int32 v=0+
  ProducerId int64 v=3+ default=-1
  ProducerEpoch int16 v=3+ default=-1
  Enable2Pc bool v=6+ default=false
  KeepPreparedTxn bool v=6+ default=false

message InitProducerIdResponse kind=response key=22 v=0-6 flex=2+
  ThrottleTimeMs int32 v=0+ ignorable
  ErrorCode int16 v=0+
  ProducerId int64 v=0+ default=-1
  ProducerEpoch int16 v=0+
  OngoingTxnProducerId int64 v=6+ default=-1
  OngoingTxnProducerEpoch int16 v=6+ default=-1

message AddPartitionsToTxnRequest kind=request key=24 v=0-5 flex=3+ listeners=broker
  struct AddPartitionsToTxnTopic v=0+
    Name string v=0+
    Partitions []int32 v=0+
  Transactions []AddPartitionsToTxnTransaction v=4+
    TransactionalId string v=4+
    ProducerId int64 v=4+
    ProducerEpoch int16 v=4+
    VerifyOnly bool v=4+ default=false
    Topics []AddPartitionsToTxnTopic v=4+
  V3AndBelowTransactionalId string v=0-3
  V3AndBelowProducerId int64 v=0-3
  V3AndBelowProducerEpoch int16 v=0-3
  V3AndBelowTopics []AddPartitionsToTxnTopic v=0-3

message AddPartitionsToTxnResponse kind=response key=24 v=0-5 flex=3+
  struct AddPartitionsToTxnTopicResult v=0+
    Name string v=0+
    ResultsByPartition []AddPartitionsToTxnPartitionResult v=0+
  struct AddPartitionsToTxnPartitionResult v=0+
    PartitionIndex int32 v=0+
    PartitionErrorCode int16 v=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=4+ ignorable
  ResultsByTransaction []AddPartitionsToTxnResult v=4+
    TransactionalId string v=4+
    TopicResults []AddPartitionsToTxnTopicResult v=4+
  ResultsByTopicV3AndBelow []AddPartitionsToTxnTopicResult v=0-3

message AddOffsetsToTxnRequest kind=request key=25 v=0-4 flex=3+ listeners=broker
  TransactionalId string v=0+
  ProducerId int64 v=0+
  ProducerEpoch int16 v=0+
  GroupId string v=0+

message AddOffsetsToTxnResponse kind=response key=25 v=0-4 flex=3+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+

message EndTxnRequest kind=request key=26 v=0-5 flex=3+ listeners=broker
  TransactionalId string v=0+
  ProducerId int64 v=0+
  ProducerEpoch int16 v=0+
  Committed bool v=0+

message EndTxnResponse kind=response key=26 v=0-5 flex=3+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ProducerId int64 v=5+ default=-1 ignorable
  ProducerEpoch int16 v=5+ default=-1 ignorable

message WriteTxnMarkersRequest kind=request key=27 v=1 flex=1+ listeners=broker
  Markers []WritableTxnMarker v=0+
    ProducerId int64 v=0+
    ProducerEpoch int16 v=0+
    TransactionResult bool v=0+
    Topics []WritableTxnMarkerTopic v=0+
      Name string v=0+
      PartitionIndexes []int32 v=0+
    CoordinatorEpoch int32 v=0+

message WriteTxnMarkersResponse kind=response key=27 v=1 flex=1+
  Markers []WritableTxnMarkerResult v=0+
    ProducerId int64 v=0+
    Topics []WritableTxnMarkerTopicResult v=0+
      Name string v=0+
      Partitions []WritableTxnMarkerPartitionResult v=0+
        PartitionIndex int32 v=0+
        ErrorCode int16 v=0+

message TxnOffsetCommitRequest kind=request key=28 v=0-5 flex=3+ listeners=broker
  TransactionalId string v=0+
  GroupId string v=0+
  ProducerId int64 v=0+
  ProducerEpoch int16 v=0+
  GenerationId int32 v=3+ default=-1
  MemberId string v=3+ default=""
  GroupInstanceId string v=3+ null=3+ default=null
  Topics []TxnOffsetCommitRequestTopic v=0+
    Name string v=0+
    Partitions []TxnOffsetCommitRequestPartition v=0+
      PartitionIndex int32 v=0+
      CommittedOffset int64 v=0+
      CommittedLeaderEpoch int32 v=2+ default=-1 ignorable
      CommittedMetadata string v=0+ null=0+

message TxnOffsetCommitResponse kind=response key=28 v=0-5 flex=3+
  ThrottleTimeMs int32 v=0+
  Topics []TxnOffsetCommitResponseTopic v=0+
    Name string v=0+
    Partitions []TxnOffsetCommitResponsePartition v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+

message DescribeProducersRequest kind=request key=61 v=0 flex=0+ listeners=broker
  Topics []TopicRequest v=0+
    Name string v=0+
    PartitionIndexes []int32 v=0+

message DescribeProducersResponse kind=response key=61 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  Topics []TopicResponse v=0+
    Name string v=0+
    Partitions []PartitionResponse v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null
      ActiveProducers []ProducerState v=0+
        ProducerId int64 v=0+
        ProducerEpoch int32 v=0+
        LastSequence int32 v=0+ default=-1
        LastTimestamp int64 v=0+ default=-1
        CoordinatorEpoch int32 v=0+
        CurrentTxnStartOffset int64 v=0+ default=-1

message DescribeTransactionsRequest kind=request key=65 v=0 flex=0+ listeners=broker
  TransactionalIds []string v=0+

message DescribeTransactionsResponse kind=response key=65 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  TransactionStates []TransactionState v=0+
    ErrorCode int16 v=0+
    TransactionalId string v=0+
    TransactionState string v=0+
    TransactionTimeoutMs int32 v=0+
    TransactionStartTimeMs int64 v=0+
    ProducerId int64 v=0+
    ProducerEpoch int16 v=0+
    Topics []TopicData v=0+
      Topic string v=0+
      Partitions []int32 v=0+

message ListTransactionsRequest kind=request key=66 v=0-2 flex=0+ listeners=broker
  StateFilters []string v=0+
  ProducerIdFilters []int64 v=0+
  DurationFilter int64 v=1+ default=-1
  TransactionalIdPattern string v=2+ null=2+ default=null

message ListTransactionsResponse kind=response key=66 v=0-2 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  UnknownStateFilters []string v=0+
  TransactionStates []TransactionState v=0+
    TransactionalId string v=0+
    ProducerId int64 v=0+
    TransactionState string v=0+

message EndTxnMarker kind=data v=0 flex=none
  CoordinatorEpoch int32 v=0+
