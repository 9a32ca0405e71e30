# Kafka protocol facts for the topic admin family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message CreateTopicsRequest kind=request key=19 v=2-7 flex=5+ listeners=broker,controller
  Topics []CreatableTopic v=0+
    Name string v=0+
    NumPartitions int32 v=0+
    ReplicationFactor int16 v=0+
    Assignments []CreatableReplicaAssignment v=0+
      PartitionIndex int32 v=0+
      BrokerIds []int32 v=0+
    Configs []CreatableTopicConfig v=0+
      Name string v=0+
      Value string v=0+ null=0+
  timeoutMs int32 v=0+ default=60000
  validateOnly bool v=1+ default=false

message CreateTopicsResponse kind=response key=19 v=2-7 flex=5+
  ThrottleTimeMs int32 v=2+ ignorable
  Topics []CreatableTopicResult v=0+
    Name string v=0+
    TopicId uuid v=7+ ignorable
    ErrorCode int16 v=0+
    ErrorMessage string v=1+ null=0+ ignorable
    TopicConfigErrorCode int16 v=5+ tag=0 tagv=5+ ignorable
    NumPartitions int32 v=5+ default=-1 ignorable
    ReplicationFactor int16 v=5+ default=-1 ignorable
    Configs []CreatableTopicConfigs v=5+ null=5+ ignorable
      Name string v=5+
      Value string v=5+ null=5+
      ReadOnly bool v=5+
      ConfigSource int8 v=5+ default=-1 ignorable
      IsSensitive bool v=5+

message DeleteTopicsRequest kind=request key=20 v=1-6 flex=4+ listeners=broker,controller
  Topics []DeleteTopicState v=6+
    Name string v=6+ null=6+ default=null
    TopicId uuid v=6+
  TopicNames []string v=0-5 ignorable
  TimeoutMs int32 v=0+

message DeleteTopicsResponse kind=response key=20 v=1-6 flex=4+
  ThrottleTimeMs int32 v=1+ ignorable
  Responses []DeletableTopicResult v=0+
    Name string v=0+ null=6+
    TopicId uuid v=6+ ignorable
    ErrorCode int16 v=0+
    ErrorMessage string v=5+ null=5+ default=null ignorable

message DeleteRecordsRequest kind=request key=21 v=0-2 flex=2+ listeners=broker
  Topics []DeleteRecordsTopic v=0+
    Name string v=0+
    Partitions []DeleteRecordsPartition v=0+
      PartitionIndex int32 v=0+
      Offset int64 v=0+
  TimeoutMs int32 v=0+

message DeleteRecordsResponse kind=response key=21 v=0-2 flex=2+
  ThrottleTimeMs int32 v=0+
  Topics []DeleteRecordsTopicResult v=0+
    Name string v=0+
    Partitions []DeleteRecordsPartitionResult v=0+
      PartitionIndex int32 v=0+
      LowWatermark int64 v=0+
      ErrorCode int16 v=0+

message AlterReplicaLogDirsRequest kind=request key=34 v=1-2 flex=2+ listeners=broker
  Dirs []AlterReplicaLogDir v=0+
    Path string v=0+
    Topics []AlterReplicaLogDirTopic v=0+
      Name string v=0+
      Partitions []int32 v=0+

message AlterReplicaLogDirsResponse kind=response key=34 v=1-2 flex=2+
  ThrottleTimeMs int32 v=0+
  Results []AlterReplicaLogDirTopicResult v=0+
    TopicName string v=0+
    Partitions []AlterReplicaLogDirPartitionResult v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+

message DescribeLogDirsRequest kind=request key=35 v=1-4 flex=2+ listeners=broker
  Topics []DescribableLogDirTopic v=0+ null=0+
    Topic string v=0+
    Partitions []int32 v=0+

message DescribeLogDirsResponse kind=response key=35 v=1-4 flex=2+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=3+ ignorable
  Results []DescribeLogDirsResult v=0+
    ErrorCode int16 v=0+
    LogDir string v=0+
    Topics []DescribeLogDirsTopic v=0+
      Name string v=0+
      Partitions []DescribeLogDirsPartition v=0+
        PartitionIndex int32 v=0+
        PartitionSize int64 v=0+
        OffsetLag int64 v=0+
        IsFutureKey bool v=0+
    TotalBytes int64 v=4+ default=-1 ignorable
    UsableBytes int64 v=4+ default=-1 ignorable

message CreatePartitionsRequest kind=request key=37 v=0-3 flex=2+ listeners=broker,controller
  Topics []CreatePartitionsTopic v=0+
    Name string v=0+
    Count int32 v=0+
    Assignments []CreatePartitionsAssignment v=0+ null=0+
      BrokerIds []int32 v=0+
  TimeoutMs int32 v=0+
  ValidateOnly bool v=0+

message CreatePartitionsResponse kind=response key=37 v=0-3 flex=2+
  ThrottleTimeMs int32 v=0+
  Results []CreatePartitionsTopicResult v=0+
    Name string v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+ default=null

message ElectLeadersRequest kind=request key=43 v=0-2 flex=2+ listeners=broker,controller
  ElectionType int8 v=1+
  TopicPartitions []TopicPartitions v=0+ null=0+
    Topic string v=0+
    Partitions []int32 v=0+
  TimeoutMs int32 v=0+ default=60000

message ElectLeadersResponse kind=response key=43 v=0-2 flex=2+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=1+
  ReplicaElectionResults []ReplicaElectionResult v=0+
    Topic string v=0+
    PartitionResult []PartitionResult v=0+
      PartitionId int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+

message AlterPartitionReassignmentsRequest kind=request key=45 v=0-1 flex=0+ listeners=broker,controller
  TimeoutMs int32 v=0+ default=60000
  AllowReplicationFactorChange bool v=1+ default=true
  Topics []ReassignableTopic v=0+
    Name string v=0+
    Partitions []ReassignablePartition v=0+
      PartitionIndex int32 v=0+
      Replicas []int32 v=0+ null=0+ default=null

message AlterPartitionReassignmentsResponse kind=response key=45 v=0-1 flex=0+
  ThrottleTimeMs int32 v=0+
  AllowReplicationFactorChange bool v=1+ default=true ignorable
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  Responses []ReassignableTopicResponse v=0+
    Name string v=0+
    Partitions []ReassignablePartitionResponse v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+

message ListPartitionReassignmentsRequest kind=request key=46 v=0 flex=0+ listeners=broker,controller
  TimeoutMs int32 v=0+ default=60000
  Topics []ListPartitionReassignmentsTopics v=0+ null=0+ default=null
    Name string v=0+
    PartitionIndexes []int32 v=0+

message ListPartitionReassignmentsResponse kind=response key=46 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  Topics []OngoingTopicReassignment v=0+
    Name string v=0+
    Partitions []OngoingPartitionReassignment v=0+
      PartitionIndex int32 v=0+
      Replicas []int32 v=0+
      AddingReplicas []int32 v=0+
      RemovingReplicas []int32 v=0+

message DescribeClusterRequest kind=request key=60 v=0-2 flex=0+ listeners=broker,controller
  IncludeClusterAuthorizedOperations bool v=0+
  EndpointType int8 v=1+ default=1
  IncludeFencedBrokers bool v=2+

message DescribeClusterResponse kind=response key=60 v=0-2 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  EndpointType int8 v=1+ default=1
  ClusterId string v=0+
  ControllerId int32 v=0+ default=-1
  Brokers []DescribeClusterBroker v=0+
    BrokerId int32 v=0+
    Host string v=0+
    Port int32 v=0+
    Rack string v=0+ null=0+ default=null
    IsFenced bool v=2+
  ClusterAuthorizedOperations int32 v=0+ default=-2147483648

message DescribeTopicPartitionsRequest kind=request key=75 v=0 flex=0+ listeners=broker
  Topics []TopicRequest v=0+
    Name string v=0+
  ResponsePartitionLimit int32 v=0+ default=2000
  Cursor Cursor v=0+ null=0+ default=null
    TopicName string v=0+
    PartitionIndex int32 v=0+

message DescribeTopicPartitionsResponse kind=response key=75 v=0 flex=0+
  ThrottleTimeMs int32 v=0+ ignorable
  Topics []DescribeTopicPartitionsResponseTopic v=0+
    ErrorCode int16 v=0+
    Name string v=0+ null=0+
    TopicId uuid v=0+ ignorable
    IsInternal bool v=0+ default=false ignorable
    Partitions []DescribeTopicPartitionsResponsePartition v=0+
      ErrorCode int16 v=0+
      PartitionIndex int32 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+ default=-1 ignorable
      ReplicaNodes []int32 v=0+
      IsrNodes []int32 v=0+
      EligibleLeaderReplicas []int32 v=0+ null=0+ default=null
      LastKnownElr []int32 v=0+ null=0+ default=null
      OfflineReplicas []int32 v=0+ ignorable
    TopicAuthorizedOperations int32 v=0+ default=-2147483648
  NextCursor Cursor v=0+ null=0+ default=null
    TopicName string v=0+
    PartitionIndex int32 v=0+
