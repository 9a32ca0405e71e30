# Kafka protocol facts for the group records family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message LegacyOffsetCommitKey kind=coordinator-key key=0 v=0 flex=none
  group string v=0
  topic string v=0
  partition int32 v=0

message LegacyOffsetCommitValue kind=coordinator-value key=0 v=0 flex=none
  offset int64 v=0
  metadata string v=0
  commitTimestamp int64 v=0

message OffsetCommitKey kind=coordinator-key key=1 v=0 flex=none
  group string v=0
  topic string v=0
  partition int32 v=0

message OffsetCommitValue kind=coordinator-value key=1 v=0-4 flex=4+
  offset int64 v=0+
  leaderEpoch int32 v=3+ default=-1 ignorable
  metadata string v=0+
  commitTimestamp int64 v=0+
  expireTimestamp int64 v=1 default=-1 ignorable
  topicId uuid v=4+ tag=0 tagv=4+ ignorable

message GroupMetadataKey kind=coordinator-key key=2 v=0 flex=none
  group string v=0

message GroupMetadataValue kind=coordinator-value key=2 v=0-4 flex=4+
  struct MemberMetadata v=0+
    memberId string v=0+
    groupInstanceId string v=3+ null=3+ default=null ignorable
    clientId string v=0+
    clientHost string v=0+
    rebalanceTimeout int32 v=1+ default=-1 ignorable
    sessionTimeout int32 v=0+
    subscription bytes v=0+
    assignment bytes v=0+
  protocolType string v=0+
  generation int32 v=0+
  protocol string v=0+ null=0+
  leader string v=0+ null=0+
  currentStateTimestamp int64 v=2+ default=-1 ignorable
  members []MemberMetadata v=0+

message ConsumerGroupMetadataKey kind=coordinator-key key=3 v=0 flex=none
  GroupId string v=0

message ConsumerGroupMetadataValue kind=coordinator-value key=3 v=0 flex=0+
  Epoch int32 v=0+
  MetadataHash int64 v=0+ tag=0 tagv=0+ default=0

message ConsumerGroupPartitionMetadataKey kind=coordinator-key key=4 v=0 flex=none
  GroupId string v=0

message ConsumerGroupPartitionMetadataValue kind=coordinator-value key=4 v=0 flex=0+
  Topics []TopicMetadata v=0+
    TopicId uuid v=0+
    TopicName string v=0+
    NumPartitions int32 v=0+
    PartitionMetadata []PartitionMetadata v=0+
      Partition int32 v=0+
      Racks []string v=0+

message ConsumerGroupMemberMetadataKey kind=coordinator-key key=5 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message ConsumerGroupMemberMetadataValue kind=coordinator-value key=5 v=0 flex=0+
  InstanceId string v=0+ null=0+
  RackId string v=0+ null=0+
  ClientId string v=0+
  ClientHost string v=0+
  SubscribedTopicNames []string v=0+
  SubscribedTopicRegex string v=0+ null=0+
  RebalanceTimeoutMs int32 v=0+ default=-1
  ServerAssignor string v=0+ null=0+
  ClassicMemberMetadata ClassicMemberMetadata v=0+ null=0+ tag=0 tagv=0+
    SessionTimeoutMs int32 v=0+
    SupportedProtocols []ClassicProtocol v=0+
      Name string v=0+
      Metadata bytes v=0+

message ConsumerGroupTargetAssignmentMetadataKey kind=coordinator-key key=6 v=0 flex=none
  GroupId string v=0

message ConsumerGroupTargetAssignmentMetadataValue kind=coordinator-value key=6 v=0 flex=0+
  AssignmentEpoch int32 v=0+

message ConsumerGroupTargetAssignmentMemberKey kind=coordinator-key key=7 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message ConsumerGroupTargetAssignmentMemberValue kind=coordinator-value key=7 v=0 flex=0+
  TopicPartitions []TopicPartition v=0+
    TopicId uuid v=0+
    Partitions []int32 v=0+

message ConsumerGroupCurrentMemberAssignmentKey kind=coordinator-key key=8 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message ConsumerGroupCurrentMemberAssignmentValue kind=coordinator-value key=8 v=0 flex=0+
  struct TopicPartitions v=0+
    TopicId uuid v=0+
    Partitions []int32 v=0+
  MemberEpoch int32 v=0+
  PreviousMemberEpoch int32 v=0+
  State int8 v=0+
  AssignedPartitions []TopicPartitions v=0+
  PartitionsPendingRevocation []TopicPartitions v=0+

message ShareGroupMemberMetadataKey kind=coordinator-key key=10 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message ShareGroupMemberMetadataValue kind=coordinator-value key=10 v=0 flex=0+
  RackId string v=0+ null=0+
  ClientId string v=0+
  ClientHost string v=0+
  SubscribedTopicNames []string v=0+

message ShareGroupMetadataKey kind=coordinator-key key=11 v=0 flex=none
  GroupId string v=0

message ShareGroupMetadataValue kind=coordinator-value key=11 v=0 flex=0+
  Epoch int32 v=0+
  MetadataHash int64 v=0+

message ShareGroupTargetAssignmentMetadataKey kind=coordinator-key key=12 v=0 flex=none
  GroupId string v=0

message ShareGroupTargetAssignmentMetadataValue kind=coordinator-value key=12 v=0 flex=0+
  AssignmentEpoch int32 v=0+

message ShareGroupTargetAssignmentMemberKey kind=coordinator-key key=13 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message ShareGroupTargetAssignmentMemberValue kind=coordinator-value key=13 v=0 flex=0+
  TopicPartitions []TopicPartition v=0+
    TopicId uuid v=0+
    Partitions []int32 v=0+

message ShareGroupCurrentMemberAssignmentKey kind=coordinator-key key=14 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message ShareGroupCurrentMemberAssignmentValue kind=coordinator-value key=14 v=0 flex=0+
  struct TopicPartitions v=0+
    TopicId uuid v=0+
    Partitions []int32 v=0+
  MemberEpoch int32 v=0+
  PreviousMemberEpoch int32 v=0+
  State int8 v=0+
  AssignedPartitions []TopicPartitions v=0+

message ShareGroupStatePartitionMetadataKey kind=coordinator-key key=15 v=0 flex=none
  GroupId string v=0

message ShareGroupStatePartitionMetadataValue kind=coordinator-value key=15 v=0 flex=0+
  struct TopicPartitionsInfo v=0+
    TopicId uuid v=0+
    TopicName string v=0+
    Partitions []int32 v=0+
  struct TopicInfo v=0+
    TopicId uuid v=0+
    TopicName string v=0+
  InitializingTopics []TopicPartitionsInfo v=0+
  InitializedTopics []TopicPartitionsInfo v=0+
  DeletingTopics []TopicInfo v=0+

message ConsumerGroupRegularExpressionKey kind=coordinator-key key=16 v=0 flex=none
  GroupId string v=0
  RegularExpression string v=0

message ConsumerGroupRegularExpressionValue kind=coordinator-value key=16 v=0 flex=0+
  Topics []string v=0+
  Version int64 v=0+
  Timestamp int64 v=0+

message StreamsGroupMetadataKey kind=coordinator-key key=17 v=0 flex=none
  GroupId string v=0

message StreamsGroupMetadataValue kind=coordinator-value key=17 v=0 flex=0+
  Epoch int32 v=0+
  MetadataHash int64 v=0+

message StreamsGroupMemberMetadataKey kind=coordinator-key key=19 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message StreamsGroupMemberMetadataValue kind=coordinator-value key=19 v=0 flex=0+
  struct Endpoint v=0+
    Host string v=0+
    Port uint16 v=0+
  struct KeyValue v=0+
    Key string v=0+
    Value string v=0+
  InstanceId string v=0+ null=0+
  RackId string v=0+ null=0+
  ClientId string v=0+
  ClientHost string v=0+
  RebalanceTimeoutMs int32 v=0+ default=-1
  TopologyEpoch int32 v=0+
  ProcessId string v=0+
  UserEndpoint Endpoint v=0+ null=0+ default=null
  ClientTags []KeyValue v=0+

message StreamsGroupTargetAssignmentMetadataKey kind=coordinator-key key=20 v=0 flex=none
  GroupId string v=0

message StreamsGroupTargetAssignmentMetadataValue kind=coordinator-value key=20 v=0 flex=0+
  AssignmentEpoch int32 v=0+

message StreamsGroupTargetAssignmentMemberKey kind=coordinator-key key=21 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message StreamsGroupTargetAssignmentMemberValue kind=coordinator-value key=21 v=0 flex=0+
  struct TaskIds v=0+
    SubtopologyId string v=0+
    Partitions []int32 v=0+
  ActiveTasks []TaskIds v=0+
  StandbyTasks []TaskIds v=0+
  WarmupTasks []TaskIds v=0+

message StreamsGroupCurrentMemberAssignmentKey kind=coordinator-key key=22 v=0 flex=none
  GroupId string v=0
  MemberId string v=0

message StreamsGroupCurrentMemberAssignmentValue kind=coordinator-value key=22 v=0 flex=0+
  struct TaskIds v=0+
    SubtopologyId string v=0+
    Partitions []int32 v=0+
  MemberEpoch int32 v=0+
  PreviousMemberEpoch int32 v=0+
  State int8 v=0+
  ActiveTasks []TaskIds v=0+
  StandbyTasks []TaskIds v=0+
  WarmupTasks []TaskIds v=0+
  ActiveTasksPendingRevocation []TaskIds v=0+
  StandbyTasksPendingRevocation []TaskIds v=0+
  WarmupTasksPendingRevocation []TaskIds v=0+

message StreamsGroupTopologyKey kind=coordinator-key key=23 v=0 flex=none
  GroupId string v=0

message StreamsGroupTopologyValue kind=coordinator-value key=23 v=0 flex=0+
  struct TopicConfig v=0+
    key string v=0+
    value string v=0+
  struct TopicInfo v=0+
    Name string v=0+
    Partitions int32 v=0+
    ReplicationFactor int16 v=0+
    TopicConfigs []TopicConfig v=0+
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
