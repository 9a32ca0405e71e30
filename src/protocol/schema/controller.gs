# Kafka protocol facts for the controller family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message AlterPartitionRequest kind=request key=56 v=2-3 flex=0+ listeners=controller
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+ default=-1
  Topics []TopicData v=0+
    TopicId uuid v=2+ ignorable
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      LeaderEpoch int32 v=0+
      NewIsr []int32 v=0-2
      NewIsrWithEpochs []BrokerState v=3+
        BrokerId int32 v=3+
        BrokerEpoch int64 v=3+ default=-1
      LeaderRecoveryState int8 v=1+ default=0
      PartitionEpoch int32 v=0+

message AlterPartitionResponse kind=response key=56 v=2-3 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  Topics []TopicData v=0+
    TopicId uuid v=2+ ignorable
    Partitions []PartitionData v=0+
      PartitionIndex int32 v=0+
      ErrorCode int16 v=0+
      LeaderId int32 v=0+
      LeaderEpoch int32 v=0+
      Isr []int32 v=0+
      LeaderRecoveryState int8 v=1+ default=0 ignorable
      PartitionEpoch int32 v=0+

message EnvelopeRequest kind=request key=58 v=0 flex=0+ listeners=controller
  RequestData bytes v=0+
  RequestPrincipal bytes v=0+ null=0+
  ClientHostAddress bytes v=0+

message EnvelopeResponse kind=response key=58 v=0 flex=0+
  ResponseData bytes v=0+ null=0+ default=null
  ErrorCode int16 v=0+

message BrokerRegistrationRequest kind=request key=62 v=0-4 flex=0+ listeners=controller
  BrokerId int32 v=0+
  ClusterId string v=0+
  IncarnationId uuid v=0+
  Listeners []Listener v=0+
    Name string v=0+
    Host string v=0+
    Port uint16 v=0+
    SecurityProtocol int16 v=0+
  Features []Feature v=0+
    Name string v=0+
    MinSupportedVersion int16 v=0+
    MaxSupportedVersion int16 v=0+
  Rack string v=0+ null=0+
  IsMigratingZkBroker bool v=1+ default=false
  LogDirs []uuid v=2+ ignorable
  PreviousBrokerEpoch int64 v=3+ default=-1 ignorable

message BrokerRegistrationResponse kind=response key=62 v=0-4 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  BrokerEpoch int64 v=0+ default=-1

message BrokerHeartbeatRequest kind=request key=63 v=0-1 flex=0+ listeners=controller
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+ default=-1
  CurrentMetadataOffset int64 v=0+
  WantFence bool v=0+
  WantShutDown bool v=0+
  OfflineLogDirs []uuid v=1+ tag=0 tagv=1+

message BrokerHeartbeatResponse kind=response key=63 v=0-1 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  IsCaughtUp bool v=0+ default=false
  IsFenced bool v=0+ default=true
  ShouldShutDown bool v=0+

message UnregisterBrokerRequest kind=request key=64 v=0 flex=0+ listeners=broker,controller
  BrokerId int32 v=0+

message UnregisterBrokerResponse kind=response key=64 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+

message AllocateProducerIdsRequest kind=request key=67 v=0 flex=0+ listeners=controller
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+ default=-1

message AllocateProducerIdsResponse kind=response key=67 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ProducerIdStart int64 v=0+
  ProducerIdLen int32 v=0+

message ControllerRegistrationRequest kind=request key=70 v=0 flex=0+ listeners=controller
  ControllerId int32 v=0+
  IncarnationId uuid v=0+
  ZkMigrationReady bool v=0+
  Listeners []Listener v=0+
    Name string v=0+
    Host string v=0+
    Port uint16 v=0+
    SecurityProtocol int16 v=0+
  Features []Feature v=0+
    Name string v=0+
    MinSupportedVersion int16 v=0+
    MaxSupportedVersion int16 v=0+

message ControllerRegistrationResponse kind=response key=70 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+

message AssignReplicasToDirsRequest kind=request key=73 v=0 flex=0+ listeners=controller
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+ default=-1
  Directories []DirectoryData v=0+
    Id uuid v=0+
    Topics []TopicData v=0+
      TopicId uuid v=0+
      Partitions []PartitionData v=0+
        PartitionIndex int32 v=0+

message AssignReplicasToDirsResponse kind=response key=73 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  Directories []DirectoryData v=0+
    Id uuid v=0+
    Topics []TopicData v=0+
      TopicId uuid v=0+
      Partitions []PartitionData v=0+
        PartitionIndex int32 v=0+
        ErrorCode int16 v=0+
