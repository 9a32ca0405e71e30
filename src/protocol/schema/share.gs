# Kafka protocol facts for the share family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message ShareGroupHeartbeatRequest kind=request key=76 v=1 flex=0+ listeners=broker
  GroupId string v=0+
  MemberId string v=0+
  MemberEpoch int32 v=0+
  RackId string v=0+ null=0+ default=null
  SubscribedTopicNames []string v=0+ null=0+ default=null

message ShareGroupHeartbeatResponse kind=response key=76 v=1 flex=0+
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

message ShareGroupDescribeRequest kind=request key=77 v=1 flex=0+ listeners=broker
  GroupIds []string v=0+
  IncludeAuthorizedOperations bool v=0+

message ShareGroupDescribeResponse kind=response key=77 v=1 flex=0+
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
      RackId string v=0+ null=0+ default=null
      MemberEpoch int32 v=0+
      ClientId string v=0+
      ClientHost string v=0+
      SubscribedTopicNames []string v=0+
      Assignment Assignment v=0+
    AuthorizedOperations int32 v=0+ default=-2147483648

message ShareFetchRequest kind=request key=78 v=1 flex=0+ listeners=broker
  GroupId string v=0+ null=0+ default=null
  MemberId string v=0+ null=0+
  ShareSessionEpoch int32 v=0+
  MaxWaitMs int32 v=0+
  MinBytes int32 v=0+
  MaxBytes int32 v=0+ default=0x7fffffff
  MaxRecords int32 v=1+
  BatchSize int32 v=1+
  Topics []FetchTopic v=0+
    TopicId uuid v=0+
    Partitions []FetchPartition v=0+
      PartitionIndex int32 v=0+
      PartitionMaxBytes int32 v=0
      AcknowledgementBatches []AcknowledgementBatch v=0+
        FirstOffset int64 v=0+
        LastOffset int64 v=0+
        AcknowledgeTypes []int8 v=0+
  ForgottenTopicsData []ForgottenTopic v=0+
    TopicId uuid v=0+
    Partitions []int32 v=0+

message ShareFetchResponse kind=response key=78 v=1 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  AcquisitionLockTimeoutMs int32 v=1+
  Responses []ShareFetchableTopicResponse v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null
      AcknowledgeErrorCode int16 v=0+
      AcknowledgeErrorMessage string v=0+ null=0+ default=null
      CurrentLeader LeaderIdAndEpoch v=0+
        LeaderId int32 v=0+
        LeaderEpoch int32 v=0+
      Records records v=0+ null=0
      AcquiredRecords []AcquiredRecords v=0+
        FirstOffset int64 v=0+
        LastOffset int64 v=0+
        DeliveryCount int16 v=0+
  NodeEndpoints []NodeEndpoint v=0+
    NodeId int32 v=0+
    Host string v=0+
    Port int32 v=0+
    Rack string v=0+ null=0+ default=null

message ShareAcknowledgeRequest kind=request key=79 v=1 flex=0+ listeners=broker
  GroupId string v=0+ null=0+ default=null
  MemberId string v=0+ null=0+
  ShareSessionEpoch int32 v=0+
  Topics []AcknowledgeTopic v=0+
    TopicId uuid v=0+
    Partitions []AcknowledgePartition v=0+
      PartitionIndex int32 v=0+
      AcknowledgementBatches []AcknowledgementBatch v=0+
        FirstOffset int64 v=0+
        LastOffset int64 v=0+
        AcknowledgeTypes []int8 v=0+

message ShareAcknowledgeResponse kind=response key=79 v=1 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  Responses []ShareAcknowledgeTopicResponse v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null
      CurrentLeader LeaderIdAndEpoch v=0+
        LeaderId int32 v=0+
        LeaderEpoch int32 v=0+
  NodeEndpoints []NodeEndpoint v=0+
    NodeId int32 v=0+
    Host string v=0+
    Port int32 v=0+
    Rack string v=0+ null=0+ default=null

message InitializeShareGroupStateRequest kind=request key=83 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []InitializeStateData v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      Partition int32 v=0+
      StateEpoch int32 v=0+
      StartOffset int64 v=0+

message InitializeShareGroupStateResponse kind=response key=83 v=0 flex=0+
  Results []InitializeStateResult v=0+
    TopicId uuid v=0+
    Partitions []PartitionResult v=0+
      Partition int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null

message ReadShareGroupStateRequest kind=request key=84 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []ReadStateData v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      Partition int32 v=0+
      LeaderEpoch int32 v=0+

message ReadShareGroupStateResponse kind=response key=84 v=0 flex=0+
  Results []ReadStateResult v=0+
    TopicId uuid v=0+
    Partitions []PartitionResult v=0+
      Partition int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null
      StateEpoch int32 v=0+
      StartOffset int64 v=0+
      StateBatches []StateBatch v=0+
        FirstOffset int64 v=0+
        LastOffset int64 v=0+
        DeliveryState int8 v=0+
        DeliveryCount int16 v=0+

message WriteShareGroupStateRequest kind=request key=85 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []WriteStateData v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      Partition int32 v=0+
      StateEpoch int32 v=0+
      LeaderEpoch int32 v=0+
      StartOffset int64 v=0+
      StateBatches []StateBatch v=0+
        FirstOffset int64 v=0+
        LastOffset int64 v=0+
        DeliveryState int8 v=0+
        DeliveryCount int16 v=0+

message WriteShareGroupStateResponse kind=response key=85 v=0 flex=0+
  Results []WriteStateResult v=0+
    TopicId uuid v=0+
    Partitions []PartitionResult v=0+
      Partition int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null

message DeleteShareGroupStateRequest kind=request key=86 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []DeleteStateData v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      Partition int32 v=0+

message DeleteShareGroupStateResponse kind=response key=86 v=0 flex=0+
  Results []DeleteStateResult v=0+
    TopicId uuid v=0+
    Partitions []PartitionResult v=0+
      Partition int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null

message ReadShareGroupStateSummaryRequest kind=request key=87 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []ReadStateSummaryData v=0+
    TopicId uuid v=0+
    Partitions []PartitionData v=0+
      Partition int32 v=0+
      LeaderEpoch int32 v=0+

message ReadShareGroupStateSummaryResponse kind=response key=87 v=0 flex=0+
  Results []ReadStateSummaryResult v=0+
    TopicId uuid v=0+
    Partitions []PartitionResult v=0+
      Partition int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null
      StateEpoch int32 v=0+
      LeaderEpoch int32 v=0+
      StartOffset int64 v=0+

message DescribeShareGroupOffsetsRequest kind=request key=90 v=0 flex=0+ listeners=broker
  Groups []DescribeShareGroupOffsetsRequestGroup v=0+
    GroupId string v=0+
    Topics []DescribeShareGroupOffsetsRequestTopic v=0+ null=0+
      TopicName string v=0+
      Partitions []int32 v=0+

message DescribeShareGroupOffsetsResponse kind=response key=90 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  Groups []DescribeShareGroupOffsetsResponseGroup v=0+
    GroupId string v=0+
    Topics []DescribeShareGroupOffsetsResponseTopic v=0+
      TopicName string v=0+
      TopicId uuid v=0+
      Partitions []DescribeShareGroupOffsetsResponsePartition v=0+
        PartitionIndex int32 v=0+
        StartOffset int64 v=0+
        LeaderEpoch int32 v=0+
        ErrorCode int16 v=0+
        ErrorMessage string v=0+ null=0+ default=null
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+ default=null

message AlterShareGroupOffsetsRequest kind=request key=91 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []AlterShareGroupOffsetsRequestTopic v=0+
    TopicName string v=0+
    Partitions []AlterShareGroupOffsetsRequestPartition v=0+
      PartitionIndex int32 v=0+
      StartOffset int64 v=0+

message AlterShareGroupOffsetsResponse kind=response key=91 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  Responses []AlterShareGroupOffsetsResponseTopic v=0+
    TopicName string v=0+
    TopicId uuid v=0+
    Partitions []AlterShareGroupOffsetsResponsePartition v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+ default=null

message DeleteShareGroupOffsetsRequest kind=request key=92 v=0 flex=0+ listeners=broker
  GroupId string v=0+
  Topics []DeleteShareGroupOffsetsRequestTopic v=0+
    TopicName string v=0+

message DeleteShareGroupOffsetsResponse kind=response key=92 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ default=null
  Responses []DeleteShareGroupOffsetsResponseTopic v=0+
    TopicName string v=0+
    TopicId uuid v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+ default=null
