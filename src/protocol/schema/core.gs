# Kafka protocol facts for the core family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message ProduceRequest kind=request key=0 v=3-13 flex=9+ listeners=broker
  TransactionalId string v=3+ null=3+ default=null
  Acks int16 v=0+
  TimeoutMs int32 v=0+
  TopicData []TopicProduceData v=0+
    Name string v=0-12 ignorable
    TopicId uuid v=13+ ignorable
    PartitionData []PartitionProduceData v=0+
      Index int32 v=0+
      Records records v=0+ null=0+

message ProduceResponse kind=response key=0 v=3-13 flex=9+
  Responses []TopicProduceResponse v=0+
    Name string v=0-12 ignorable
    TopicId uuid v=13+ ignorable
    PartitionResponses []PartitionProduceResponse v=0+
      Index int32 v=0+
      ErrorCode int16 v=0+
      BaseOffset int64 v=0+
      LogAppendTimeMs int64 v=2+ default=-1 ignorable
      LogStartOffset int64 v=5+ default=-1 ignorable
      RecordErrors []BatchIndexAndErrorMessage v=8+ ignorable
        BatchIndex int32 v=8+
        BatchIndexErrorMessage string v=8+ null=8+ default=null
      ErrorMessage string v=8+ null=8+ default=null ignorable
      CurrentLeader LeaderIdAndEpoch v=10+ tag=0 tagv=10+
        LeaderId int32 v=10+ default=-1
        LeaderEpoch int32 v=10+ default=-1
  ThrottleTimeMs int32 v=1+ default=0 ignorable
  NodeEndpoints []NodeEndpoint v=10+ tag=0 tagv=10+
    NodeId int32 v=10+
    Host string v=10+
    Port int32 v=10+
    Rack string v=10+ null=10+ default=null

message FetchRequest kind=request key=1 v=4-18 flex=12+ listeners=broker,controller
  ClusterId string v=12+ null=12+ tag=0 tagv=12+ default=null ignorable
  ReplicaId int32 v=0-14 default=-1
  ReplicaState ReplicaState v=15+ tag=1 tagv=15+
    ReplicaId int32 v=15+ default=-1
    ReplicaEpoch int64 v=15+ default=-1
  MaxWaitMs int32 v=0+
  MinBytes int32 v=0+
  MaxBytes int32 v=3+ default=0x7fffffff ignorable
  IsolationLevel int8 v=4+ default=0 ignorable
  SessionId int32 v=7+ default=0 ignorable
  SessionEpoch int32 v=7+ default=-1 ignorable
  Topics []FetchTopic v=0+
    Topic string v=0-12 ignorable
    TopicId uuid v=13+ ignorable
    Partitions []FetchPartition v=0+
      Partition int32 v=0+
      CurrentLeaderEpoch int32 v=9+ default=-1 ignorable
      FetchOffset int64 v=0+
      LastFetchedEpoch int32 v=12+ default=-1
      LogStartOffset int64 v=5+ default=-1 ignorable
      PartitionMaxBytes int32 v=0+
      ReplicaDirectoryId uuid v=17+ tag=0 tagv=17+ ignorable
      HighWatermark int64 v=18+ tag=1 tagv=18+ default=9223372036854775807 ignorable
  ForgottenTopicsData []ForgottenTopic v=7+
    Topic string v=7-12 ignorable
    TopicId uuid v=13+ ignorable
    Partitions []int32 v=7+
  RackId string v=11+ default="" ignorable

message FetchResponse kind=response key=1 v=4-18 flex=12+
  ThrottleTimeMs int32 v=1+ ignorable
  ErrorCode int16 v=7+ ignorable
  SessionId int32 v=7+ default=0
  Responses []FetchableTopicResponse v=0+
    Topic string v=0-12 ignorable
    TopicId uuid v=13+ ignorable
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      HighWatermark int64 v=0+
      LastStableOffset int64 v=4+ default=-1 ignorable
      LogStartOffset int64 v=5+ default=-1 ignorable
      DivergingEpoch EpochEndOffset v=12+ tag=0 tagv=12+
        Epoch int32 v=12+ default=-1
        EndOffset int64 v=12+ default=-1
      CurrentLeader LeaderIdAndEpoch v=12+ tag=1 tagv=12+
        LeaderId int32 v=12+ default=-1
        LeaderEpoch int32 v=12+ default=-1
      SnapshotId SnapshotId v=12+ tag=2 tagv=12+
        EndOffset int64 v=0+ default=-1
        Epoch int32 v=0+ default=-1
      AbortedTransactions []AbortedTransaction v=4+ null=4+ ignorable
        ProducerId int64 v=4+
        FirstOffset int64 v=4+
      PreferredReadReplica int32 v=11+ default=-1
      Records records v=0+ null=0+
  NodeEndpoints []NodeEndpoint v=16+ tag=0 tagv=16+
    NodeId int32 v=16+
    Host string v=16+
    Port int32 v=16+
    Rack string v=16+ null=16+ default=null

message ListOffsetsRequest kind=request key=2 v=1-10 flex=6+ listeners=broker
  ReplicaId int32 v=0+
  IsolationLevel int8 v=2+
  Topics []ListOffsetsTopic v=0+
    Name string v=0+
    Partitions []ListOffsetsPartition v=0+
      PartitionIndex int32 v=0+
      CurrentLeaderEpoch int32 v=4+ default=-1 ignorable
      Timestamp int64 v=0+
  TimeoutMs int32 v=10+ ignorable

message ListOffsetsResponse kind=response key=2 v=1-10 flex=6+
  ThrottleTimeMs int32 v=2+ ignorable
  Topics []ListOffsetsTopicResponse v=0+
    Name string v=0+
    Partitions []ListOffsetsPartitionResponse v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      Timestamp int64 v=1+ default=-1
      Offset int64 v=1+ default=-1
      LeaderEpoch int32 v=4+ default=-1

message MetadataRequest kind=request key=3 v=0-13 flex=9+ listeners=broker
  Topics []MetadataRequestTopic v=0+ null=1+
    TopicId uuid v=10+ ignorable
    Name string v=0+ null=10+
  AllowAutoTopicCreation bool v=4+ default=true
  IncludeClusterAuthorizedOperations bool v=8-10
  IncludeTopicAuthorizedOperations bool v=8+

message MetadataResponse kind=response key=3 v=0-13 flex=9+
  ThrottleTimeMs int32 v=3+ ignorable
  Brokers []MetadataResponseBroker v=0+
    NodeId int32 v=0+
    Host string v=0+
    Port int32 v=0+
    Rack string v=1+ null=1+ default=null ignorable
  ClusterId string v=2+ null=2+ default=null ignorable
  ControllerId int32 v=1+ default=-1 ignorable
  Topics []MetadataResponseTopic v=0+
    ErrorCode int16 v=0+
    Name string v=0+ null=12+
    TopicId uuid v=10+ ignorable
    IsInternal bool v=1+ default=false ignorable
    Partitions []MetadataResponsePartition v=0+
      ErrorCode int16 v=0+
      PartitionIndex int32 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=7+ default=-1 ignorable
      ReplicaNodes []int32 v=0+
      IsrNodes []int32 v=0+
      OfflineReplicas []int32 v=5+ ignorable
    TopicAuthorizedOperations int32 v=8+ default=-2147483648
  ClusterAuthorizedOperations int32 v=8-10 default=-2147483648
  ErrorCode int16 v=13+ ignorable

message OffsetForLeaderEpochRequest kind=request key=23 v=2-4 flex=4+ listeners=broker
  ReplicaId int32 v=3+ default=-2 ignorable
  Topics []OffsetForLeaderTopic v=0+
    Topic string v=0+
    Partitions []OffsetForLeaderPartition v=0+
      Partition int32 v=0+
      CurrentLeaderEpoch int32 v=2+ default=-1 ignorable
      LeaderEpoch int32 v=0+

message OffsetForLeaderEpochResponse kind=response key=23 v=2-4 flex=4+
  ThrottleTimeMs int32 v=2+ ignorable
  Topics []OffsetForLeaderTopicResult v=0+
    Topic string v=0+
    Partitions []EpochEndOffset v=0+
      ErrorCode int16 v=0+
      Partition int32 v=0+
      LeaderEpoch int32 v=1+ default=-1 ignorable
      EndOffset int64 v=0+ default=-1
