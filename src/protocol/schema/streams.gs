# Kafka protocol facts for the streams family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message StreamsGroupHeartbeatRequest kind=request key=88 v=0 flex=0+ listeners=broker unstable-latest
  struct KeyValue v=0+
    Key string v=0+
    Value string v=0+
  struct TopicInfo v=0+
    Name string v=0+
    Partitions int32 v=0+
    ReplicationFactor int16 v=0+
    TopicConfigs []KeyValue v=0+
  struct Endpoint v=0+
    Host string v=0+
    Port uint16 v=0+
  struct TaskOffset v=0+
    SubtopologyId string v=0+
    Partition int32 v=0+
    Offset int64 v=0+
  struct TaskIds v=0+
    SubtopologyId string v=0+
    Partitions []int32 v=0+
  GroupId string v=0+
  MemberId string v=0+
  MemberEpoch int32 v=0+
  EndpointInformationEpoch int32 v=0+
  InstanceId string v=0+ null=0+ default=null
  RackId string v=0+ null=0+ default=null
  RebalanceTimeoutMs int32 v=0+ default=-1
  Topology Topology v=0+ null=0+ default=null
    Epoch int32 v=0+
    Subtopologies []Subtopology v=0+
      SubtopologyId string v=0+
      SourceTopics []string v=0+
      SourceTopicRegex []string v=0+
      StateChangelogTopics []TopicInfo v=0+
      RepartitionSinkTopics []string v=0+
      RepartitionSourceTopics []TopicInfo v=0+
      CopartitionGroups []CopartitionGroup v=0+
        SourceTopics []int16 v=0+
        SourceTopicRegex []int16 v=0+
        RepartitionSourceTopics []int16 v=0+
  ActiveTasks []TaskIds v=0+ null=0+ default=null
  StandbyTasks []TaskIds v=0+ null=0+ default=null
  WarmupTasks []TaskIds v=0+ null=0+ default=null
  ProcessId string v=0+ null=0+ default=null
  UserEndpoint Endpoint v=0+ null=0+ default=null
  ClientTags []KeyValue v=0+ null=0+ default=null
  TaskOffsets []TaskOffset v=0+ null=0+ default=null
  TaskEndOffsets []TaskOffset v=0+ null=0+ default=null
  ShutdownApplication bool v=0+ default=false

message StreamsGroupHeartbeatResponse kind=response key=88 v=0 flex=0+
  struct Status v=0+
    StatusCode int8 v=0+
    StatusDetail string v=0+
  struct TopicPartition v=0+
    Topic string v=0+
    Partitions []int32 v=0+
  struct TaskIds v=0+
    SubtopologyId string v=0+
    Partitions []int32 v=0+
  struct Endpoint v=0+
    Host string v=0+
    Port uint16 v=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  MemberId string v=0+
  MemberEpoch int32 v=0+
  HeartbeatIntervalMs int32 v=0+
  AcceptableRecoveryLag int32 v=0+
  TaskOffsetIntervalMs int32 v=0+
  Status []Status v=0+ null=0+ default=null
  ActiveTasks []TaskIds v=0+ null=0+ default=null
  StandbyTasks []TaskIds v=0+ null=0+ default=null
  WarmupTasks []TaskIds v=0+ null=0+ default=null
  EndpointInformationEpoch int32 v=0+
  PartitionsByUserEndpoint []EndpointToPartitions v=0+ null=0+ default=null
    UserEndpoint Endpoint v=0+
    ActivePartitions []TopicPartition v=0+
    StandbyPartitions []TopicPartition v=0+

message StreamsGroupDescribeRequest kind=request key=89 v=0 flex=0+ listeners=broker unstable-latest
  GroupIds []string v=0+
  IncludeAuthorizedOperations bool v=0+

message StreamsGroupDescribeResponse kind=response key=89 v=0 flex=0+
  struct Endpoint v=0+
    Host string v=0+
    Port uint16 v=0+
  struct TaskOffset v=0+
    SubtopologyId string v=0+
    Partition int32 v=0+
    Offset int64 v=0+
  struct TopicPartitions v=0+
    TopicId uuid v=0+
    TopicName string v=0+
    Partitions []int32 v=0+
  struct Assignment v=0+
    ActiveTasks []TaskIds v=0+
    StandbyTasks []TaskIds v=0+
    WarmupTasks []TaskIds v=0+
  struct TaskIds v=0+
    SubtopologyId string v=0+
    Partitions []int32 v=0+
  struct KeyValue v=0+
    Key string v=0+
    Value string v=0+
  struct TopicInfo v=0+
    Name string v=0+
    Partitions int32 v=0+
    ReplicationFactor int16 v=0+
    TopicConfigs []KeyValue v=0+
  ThrottleTimeMs int32 v=0+
  Groups []DescribedGroup v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+ default=null
    GroupId string v=0+
    GroupState string v=0+
    GroupEpoch int32 v=0+
    AssignmentEpoch int32 v=0+
    Topology Topology v=0+ null=0+ default=null
      Epoch int32 v=0+
      Subtopologies []Subtopology v=0+ null=0+ default=null
        SubtopologyId string v=0+
        SourceTopics []string v=0+
        RepartitionSinkTopics []string v=0+
        StateChangelogTopics []TopicInfo v=0+
        RepartitionSourceTopics []TopicInfo v=0+
    Members []Member v=0+
      MemberId string v=0+
      MemberEpoch int32 v=0+
      InstanceId string v=0+ null=0+ default=null
      RackId string v=0+ null=0+ default=null
      ClientId string v=0+
      ClientHost string v=0+
      TopologyEpoch int32 v=0+
      ProcessId string v=0+
      UserEndpoint Endpoint v=0+ null=0+ default=null
      ClientTags []KeyValue v=0+
      TaskOffsets []TaskOffset v=0+
      TaskEndOffsets []TaskOffset v=0+
      Assignment Assignment v=0+
      TargetAssignment Assignment v=0+
      IsClassic bool v=0+
    AuthorizedOperations int32 v=0+ default=-2147483648
