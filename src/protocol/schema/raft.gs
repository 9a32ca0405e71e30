# Kafka protocol facts for the raft family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message VoteRequest kind=request key=52 v=0-2 flex=0+ listeners=controller
  ClusterId string v=0+ null=0+ default=null
  VoterId int32 v=1+ default=-1 ignorable
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ReplicaEpoch int32 v=0+
      ReplicaId int32 v=0+
      ReplicaDirectoryId uuid v=1+ ignorable
      VoterDirectoryId uuid v=1+ ignorable
      LastOffsetEpoch int32 v=0+
      LastOffset int64 v=0+
      PreVote bool v=2+

message VoteResponse kind=response key=52 v=0-2 flex=0+
  ErrorCode int16 v=0+
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
      VoteGranted bool v=0+
  NodeEndpoints []NodeEndpoint v=1+ tag=0 tagv=1+
    NodeId int32 v=1+
    Host string v=1+
    Port uint16 v=1+

message BeginQuorumEpochRequest kind=request key=53 v=0-1 flex=1+ listeners=controller
  ClusterId string v=0+ null=0+ default=null
  VoterId int32 v=1+ default=-1 ignorable
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      VoterDirectoryId uuid v=1+ ignorable
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
  LeaderEndpoints []LeaderEndpoint v=1+ ignorable
    Name string v=1+
    Host string v=1+
    Port uint16 v=1+

message BeginQuorumEpochResponse kind=response key=53 v=0-1 flex=1+
  ErrorCode int16 v=0+
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
  NodeEndpoints []NodeEndpoint v=1+ tag=0 tagv=1+
    NodeId int32 v=1+
    Host string v=1+
    Port uint16 v=1+

message EndQuorumEpochRequest kind=request key=54 v=0-1 flex=1+ listeners=controller
  ClusterId string v=0+ null=0+ default=null
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
      PreferredSuccessors []int32 v=0 ignorable
      PreferredCandidates []ReplicaInfo v=1+ ignorable
        CandidateId int32 v=1+
        CandidateDirectoryId uuid v=1+
  LeaderEndpoints []LeaderEndpoint v=1+ ignorable
    Name string v=1+
    Host string v=1+
    Port uint16 v=1+

message EndQuorumEpochResponse kind=response key=54 v=0-1 flex=1+
  ErrorCode int16 v=0+
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
  NodeEndpoints []NodeEndpoint v=1+ tag=0 tagv=1+
    NodeId int32 v=1+
    Host string v=1+
    Port uint16 v=1+

message DescribeQuorumRequest kind=request key=55 v=0-2 flex=0+ listeners=broker,controller
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+

message DescribeQuorumResponse kind=response key=55 v=0-2 flex=0+
  struct ReplicaState v=0+
    ReplicaId int32 v=0+
    ReplicaDirectoryId uuid v=2+
    LogEndOffset int64 v=0+
    LastFetchTimestamp int64 v=1+ default=-1 ignorable
    LastCaughtUpTimestamp int64 v=1+ default=-1 ignorable
  ErrorCode int16 v=0+
  ErrorMessage string v=2+ null=2+ ignorable
  Topics []TopicData v=0+
    TopicName string v=0+
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=2+ null=2+ ignorable
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
      HighWatermark int64 v=0+
      CurrentVoters []ReplicaState v=0+
      Observers []ReplicaState v=0+
  Nodes []Node v=2+
    NodeId int32 v=2+
    Listeners []Listener v=2+
      Name string v=2+
      Host string v=2+
      Port uint16 v=2+

message FetchSnapshotRequest kind=request key=59 v=0-1 flex=0+ listeners=controller
  ClusterId string v=0+ null=0+ tag=0 tagv=0+ default=null
  ReplicaId int32 v=0+ default=-1
  MaxBytes int32 v=0+ default=0x7fffffff
  Topics []TopicSnapshot v=0+
    Name string v=0+
    Partitions []PartitionSnapshot v=0+
      Partition int32 v=0+
      CurrentLeaderEpoch int32 v=0+
      SnapshotId SnapshotId v=0+
        EndOffset int64 v=0+
        Epoch int32 v=0+
      Position int64 v=0+
      ReplicaDirectoryId uuid v=1+ tag=0 tagv=1+ ignorable

message FetchSnapshotResponse kind=response key=59 v=0-1 flex=0+
  ThrottleTimeMs int32 v=0+ ignorable
  ErrorCode int16 v=0+
  Topics []TopicSnapshot v=0+
    Name string v=0+
    Partitions []PartitionSnapshot v=0+
      Index int32 v=0+
      ErrorCode int16 v=0+
      SnapshotId SnapshotId v=0+
        EndOffset int64 v=0+
        Epoch int32 v=0+
      CurrentLeader LeaderIdAndEpoch v=0+ tag=0 tagv=0+
        LeaderId int32 v=0+
        LeaderEpoch int32 v=0+
      Size int64 v=0+
      Position int64 v=0+
      UnalignedRecords records v=0+
  NodeEndpoints []NodeEndpoint v=1+ tag=0 tagv=1+
    NodeId int32 v=1+
    Host string v=1+
    Port uint16 v=1+

message AddRaftVoterRequest kind=request key=80 v=0 flex=0+ listeners=controller,broker
  ClusterId string v=0+ null=0+
  TimeoutMs int32 v=0+
  VoterId int32 v=0+
  VoterDirectoryId uuid v=0+
  Listeners []Listener v=0+
    Name string v=0+
    Host string v=0+
    Port uint16 v=0+

message AddRaftVoterResponse kind=response key=80 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ ignorable

message RemoveRaftVoterRequest kind=request key=81 v=0 flex=0+ listeners=controller,broker
  ClusterId string v=0+ null=0+
  VoterId int32 v=0+
  VoterDirectoryId uuid v=0+

message RemoveRaftVoterResponse kind=response key=81 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+ ignorable

message UpdateRaftVoterRequest kind=request key=82 v=0 flex=0+ listeners=controller
  ClusterId string v=0+ null=0+
  CurrentLeaderEpoch int32 v=0+
  VoterId int32 v=0+
  VoterDirectoryId uuid v=0+
  Listeners []Listener v=0+
    Name string v=0+
    Host string v=0+
    Port uint16 v=0+
  KRaftVersionFeature KRaftVersionFeature v=0+
    MinSupportedVersion int16 v=0+
    MaxSupportedVersion int16 v=0+

message UpdateRaftVoterResponse kind=response key=82 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  CurrentLeader CurrentLeader v=0+ tag=0 tagv=0+
    LeaderId int32 v=0+ default=-1
    LeaderEpoch int32 v=0+ default=-1
    Host string v=0+
    Port int32 v=0+
