# Kafka protocol facts for the group family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message OffsetCommitRequest kind=request key=8 v=2-10 flex=8+ listeners=broker unstable-latest
  GroupId string v=0+
  GenerationIdOrMemberEpoch int32 v=1+ default=-1 ignorable
  MemberId string v=1+ ignorable
  GroupInstanceId string v=7+ null=7+ default=null
  RetentionTimeMs int64 v=2-4 default=-1 ignorable
  Topics []OffsetCommitRequestTopic v=0+
    Name string v=0-9 ignorable
    TopicId uuid v=10+ ignorable
    Partitions []OffsetCommitRequestPartition v=0+
      PartitionIndex int32 v=0+
      CommittedOffset int64 v=0+
      CommittedLeaderEpoch int32 v=6+ default=-1 ignorable
      CommittedMetadata string v=0+ null=0+

message OffsetCommitResponse kind=response key=8 v=2-10 flex=8+
  ThrottleTimeMs int32 v=3+ ignorable
  Topics []OffsetCommitResponseTopic v=0+
    Name string v=0-9 ignorable
    TopicId uuid v=10+ ignorable
    Partitions []OffsetCommitResponsePartition v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+

message OffsetFetchRequest kind=request key=9 v=1-10 flex=6+ listeners=broker unstable-latest
  GroupId string v=0-7
  Topics []OffsetFetchRequestTopic v=0-7 null=2-7
    Name string v=0-7
    PartitionIndexes []int32 v=0-7
  Groups []OffsetFetchRequestGroup v=8+
    GroupId string v=8+
    MemberId string v=9+ null=9+ default=null ignorable
    MemberEpoch int32 v=9+ default=-1 ignorable
    Topics []OffsetFetchRequestTopics v=8+ null=8+
      Name string v=8-9 ignorable
      TopicId uuid v=10+ ignorable
      PartitionIndexes []int32 v=8+
  RequireStable bool v=7+ default=false

message OffsetFetchResponse kind=response key=9 v=1-10 flex=6+
  ThrottleTimeMs int32 v=3+ ignorable
  Topics []OffsetFetchResponseTopic v=0-7
    Name string v=0-7
    Partitions []OffsetFetchResponsePartition v=0-7
      PartitionIndex int32 v=0-7
      CommittedOffset int64 v=0-7
      CommittedLeaderEpoch int32 v=5-7 default=-1 ignorable
      Metadata string v=0-7 null=0-7
      ErrorCode int16 v=0-7
  ErrorCode int16 v=2-7 default=0 ignorable
  Groups []OffsetFetchResponseGroup v=8+
    GroupId string v=8+
    Topics []OffsetFetchResponseTopics v=8+
      Name string v=8-9 ignorable
      TopicId uuid v=10+ ignorable
      Partitions []OffsetFetchResponsePartitions v=8+
        PartitionIndex int32 v=8+
        CommittedOffset int64 v=8+
        CommittedLeaderEpoch int32 v=8+ default=-1 ignorable
        Metadata string v=8+ null=8+
        ErrorCode int16 v=8+
    ErrorCode int16 v=8+ default=0

message FindCoordinatorRequest kind=request key=10 v=0-6 flex=3+ listeners=broker
  Key string v=0-3
  KeyType int8 v=1+ default=0
  CoordinatorKeys []string v=4+

message FindCoordinatorResponse kind=response key=10 v=0-6 flex=3+
  ThrottleTimeMs int32 v=1+ ignorable
  ErrorCode int16 v=0-3
  ErrorMessage string v=1-3 null=1-3 ignorable
  NodeId int32 v=0-3
  Host string v=0-3
  Port int32 v=0-3
  Coordinators []Coordinator v=4+
    Key string v=4+
    NodeId int32 v=4+
    Host string v=4+
    Port int32 v=4+
    ErrorCode int16 v=4+
    ErrorMessage string v=4+ null=4+ ignorable

message JoinGroupRequest kind=request key=11 v=0-9 flex=6+ listeners=broker
  GroupId string v=0+
  SessionTimeoutMs int32 v=0+
  RebalanceTimeoutMs int32 v=1+ default=-1 ignorable
  MemberId string v=0+
  GroupInstanceId string v=5+ null=5+ default=null
  ProtocolType string v=0+
  Protocols []JoinGroupRequestProtocol v=0+
    Name string v=0+
    Metadata bytes v=0+
  Reason string v=8+ null=8+ default=null ignorable

message JoinGroupResponse kind=response key=11 v=0-9 flex=6+
  ThrottleTimeMs int32 v=2+ ignorable
  ErrorCode int16 v=0+
  GenerationId int32 v=0+ default=-1
  ProtocolType string v=7+ null=7+ default=null ignorable
  ProtocolName string v=0+ null=7+
  Leader string v=0+
  SkipAssignment bool v=9+ default=false
  MemberId string v=0+
  Members []JoinGroupResponseMember v=0+
    MemberId string v=0+
    GroupInstanceId string v=5+ null=5+ default=null ignorable
    Metadata bytes v=0+

message HeartbeatRequest kind=request key=12 v=0-4 flex=4+ listeners=broker
  GroupId string v=0+
  GenerationId int32 v=0+
  MemberId string v=0+
  GroupInstanceId string v=3+ null=3+ default=null

message HeartbeatResponse kind=response key=12 v=0-4 flex=4+
  ThrottleTimeMs int32 v=1+ ignorable
  ErrorCode int16 v=0+

message LeaveGroupRequest kind=request key=13 v=0-5 flex=4+ listeners=broker
  GroupId string v=0+
  MemberId string v=0-2
  Members []MemberIdentity v=3+
    MemberId string v=3+
    GroupInstanceId string v=3+ null=3+ default=null
    Reason string v=5+ null=5+ default=null ignorable

message LeaveGroupResponse kind=response key=13 v=0-5 flex=4+
  ThrottleTimeMs int32 v=1+ ignorable
  ErrorCode int16 v=0+
  Members []MemberResponse v=3+
    MemberId string v=3+
    GroupInstanceId string v=3+ null=3+
    ErrorCode int16 v=3+

message SyncGroupRequest kind=request key=14 v=0-5 flex=4+ listeners=broker
  GroupId string v=0+
  GenerationId int32 v=0+
  MemberId string v=0+
  GroupInstanceId string v=3+ null=3+ default=null
  ProtocolType string v=5+ null=5+ default=null ignorable
  ProtocolName string v=5+ null=5+ default=null ignorable
  Assignments []SyncGroupRequestAssignment v=0+
    MemberId string v=0+
    Assignment bytes v=0+

message SyncGroupResponse kind=response key=14 v=0-5 flex=4+
  ThrottleTimeMs int32 v=1+ ignorable
  ErrorCode int16 v=0+
  ProtocolType string v=5+ null=5+ default=null ignorable
  ProtocolName string v=5+ null=5+ default=null ignorable
  Assignment bytes v=0+

message DescribeGroupsRequest kind=request key=15 v=0-6 flex=5+ listeners=broker
  Groups []string v=0+
  IncludeAuthorizedOperations bool v=3+

message DescribeGroupsResponse kind=response key=15 v=0-6 flex=5+
  ThrottleTimeMs int32 v=1+ ignorable
  Groups []DescribedGroup v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=6+ null=6+ default=null
    GroupId string v=0+
    GroupState string v=0+
    ProtocolType string v=0+
    ProtocolData string v=0+
    Members []DescribedGroupMember v=0+
      MemberId string v=0+
      GroupInstanceId string v=4+ null=4+ default=null ignorable
      ClientId string v=0+
      ClientHost string v=0+
      MemberMetadata bytes v=0+
      MemberAssignment bytes v=0+
    AuthorizedOperations int32 v=3+ default=-2147483648

message ListGroupsRequest kind=request key=16 v=0-5 flex=3+ listeners=broker
  StatesFilter []string v=4+
  TypesFilter []string v=5+

message ListGroupsResponse kind=response key=16 v=0-5 flex=3+
  ThrottleTimeMs int32 v=1+ ignorable
  ErrorCode int16 v=0+
  Groups []ListedGroup v=0+
    GroupId string v=0+
    ProtocolType string v=0+
    GroupState string v=4+ ignorable
    GroupType string v=5+ ignorable

message DeleteGroupsRequest kind=request key=42 v=0-2 flex=2+ listeners=broker
  GroupsNames []string v=0+

message DeleteGroupsResponse kind=response key=42 v=0-2 flex=2+
  ThrottleTimeMs int32 v=0+
  Results []DeletableGroupResult v=0+
    GroupId string v=0+
    ErrorCode int16 v=0+

message OffsetDeleteRequest kind=request key=47 v=0 flex=none listeners=broker
  GroupId string v=0+
  Topics []OffsetDeleteRequestTopic v=0+
    Name string v=0+
    Partitions []OffsetDeleteRequestPartition v=0+
      PartitionIndex int32 v=0+

message OffsetDeleteResponse kind=response key=47 v=0 flex=none
  ErrorCode int16 v=0+
  ThrottleTimeMs int32 v=0+ ignorable
  Topics []OffsetDeleteResponseTopic v=0+
    Name string v=0+
    Partitions []OffsetDeleteResponsePartition v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+

message ConsumerGroupHeartbeatRequest kind=request key=68 v=0-1 flex=0+ listeners=broker
  GroupId string v=0+
  MemberId string v=0+
  MemberEpoch int32 v=0+
  InstanceId string v=0+ null=0+ default=null
  RackId string v=0+ null=0+ default=null
  RebalanceTimeoutMs int32 v=0+ default=-1
  SubscribedTopicNames []string v=0+ null=0+ default=null
  SubscribedTopicRegex string v=1+ null=1+ default=null
  ServerAssignor string v=0+ null=0+ default=null
  TopicPartitions []TopicPartitions v=0+ null=0+ default=null
    TopicId uuid v=0+
    Partitions []int32 v=0+

message ConsumerGroupHeartbeatResponse kind=response key=68 v=0-1 flex=0+
  struct TopicPartitions v=0+
    TopicId uuid v=0+
    Partitions []int32 v=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  MemberId string v=0+ null=0+ default=null
  MemberEpoch int32 v=0+
  HeartbeatIntervalMs int32 v=0+
  Assignment Assignment v=0+ null=0+ default=null
    TopicPartitions []TopicPartitions v=0+

message ConsumerGroupDescribeRequest kind=request key=69 v=0-1 flex=0+ listeners=broker
  GroupIds []string v=0+
  IncludeAuthorizedOperations bool v=0+

message ConsumerGroupDescribeResponse kind=response key=69 v=0-1 flex=0+
  struct TopicPartitions v=0+
    TopicId uuid v=0+
    TopicName string v=0+
    Partitions []int32 v=0+
  struct Assignment v=0+
    TopicPartitions []TopicPartitions v=0+
  ThrottleTimeMs int32 v=0+
  Groups []DescribedGroup v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+ default=null
    GroupId string v=0+
    GroupState string v=0+
    GroupEpoch int32 v=0+
    AssignmentEpoch int32 v=0+
    AssignorName string v=0+
    Members []Member v=0+
      MemberId string v=0+
      InstanceId string v=0+ null=0+ default=null
      RackId string v=0+ null=0+ default=null
      MemberEpoch int32 v=0+
      ClientId string v=0+
      ClientHost string v=0+
      SubscribedTopicNames []string v=0+
      SubscribedTopicRegex string v=0+ null=0+ default=null
      Assignment Assignment v=0+
      TargetAssignment Assignment v=0+
      MemberType int8 v=1+ default=-1 ignorable
    AuthorizedOperations int32 v=0+ default=-2147483648

message ConsumerProtocolAssignment kind=data v=0-3 flex=none
  AssignedPartitions []TopicPartition v=0+
    Topic string v=0+
    Partitions []int32 v=0+
  UserData bytes v=0+ null=0+ default=null

message ConsumerProtocolSubscription kind=data v=0-3 flex=none
  Topics []string v=0+
  UserData bytes v=0+ null=0+ default=null
  OwnedPartitions []TopicPartition v=1+ ignorable
    Topic string v=1+
    Partitions []int32 v=1+
  GenerationId int32 v=2+ default=-1 ignorable
  RackId string v=3+ null=3+ default=null ignorable
