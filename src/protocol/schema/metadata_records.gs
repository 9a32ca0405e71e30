# Kafka protocol facts for the metadata records family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message RegisterBrokerRecord kind=metadata key=0 v=0-3 flex=0+
  BrokerId int32 v=0+
  IsMigratingZkBroker bool v=2+ default=false
  IncarnationId uuid v=0+
  BrokerEpoch int64 v=0+
  EndPoints []BrokerEndpoint v=0+
    Name string v=0+
    Host string v=0+
    Port uint16 v=0+
    SecurityProtocol int16 v=0+
  Features []BrokerFeature v=0+
    Name string v=0+
    MinSupportedVersion int16 v=0+
    MaxSupportedVersion int16 v=0+
  Rack string v=0+ null=0+
  Fenced bool v=0+ default=true
  InControlledShutdown bool v=1+ default=false
  LogDirs []uuid v=3+ tag=0 tagv=3+

message UnregisterBrokerRecord kind=metadata key=1 v=0 flex=0+
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+

message TopicRecord kind=metadata key=2 v=0 flex=0+
  Name string v=0+
  TopicId uuid v=0+

message PartitionRecord kind=metadata key=3 v=0-2 flex=0+
  PartitionId int32 v=0+ default=-1
  TopicId uuid v=0+
  Replicas []int32 v=0+
  Isr []int32 v=0+
  RemovingReplicas []int32 v=0+
  AddingReplicas []int32 v=0+
  Leader int32 v=0+ default=-1
  LeaderRecoveryState int8 v=0+ tag=0 tagv=0+ default=0
  LeaderEpoch int32 v=0+ default=-1
  PartitionEpoch int32 v=0+ default=-1
  Directories []uuid v=1+
  EligibleLeaderReplicas []int32 v=2+ null=2+ tag=1 tagv=2+ default=null
  LastKnownElr []int32 v=2+ null=2+ tag=2 tagv=2+ default=null

message ConfigRecord kind=metadata key=4 v=0 flex=0+
  ResourceType int8 v=0+
  ResourceName string v=0+
  Name string v=0+
  Value string v=0+ null=0+

message PartitionChangeRecord kind=metadata key=5 v=0-2 flex=0+
  PartitionId int32 v=0+ default=-1
  TopicId uuid v=0+
  Isr []int32 v=0+ null=0+ tag=0 tagv=0+ default=null
  Leader int32 v=0+ tag=1 tagv=0+ default=-2
  Replicas []int32 v=0+ null=0+ tag=2 tagv=0+ default=null
  RemovingReplicas []int32 v=0+ null=0+ tag=3 tagv=0+ default=null
  AddingReplicas []int32 v=0+ null=0+ tag=4 tagv=0+ default=null
  LeaderRecoveryState int8 v=0+ tag=5 tagv=0+ default=-1
  Directories []uuid v=1+ null=1+ tag=8 tagv=1+ default=null
  EligibleLeaderReplicas []int32 v=2+ null=2+ tag=6 tagv=2+ default=null
  LastKnownElr []int32 v=2+ null=2+ tag=7 tagv=2+ default=null

message FenceBrokerRecord kind=metadata key=7 v=0 flex=0+
  Id int32 v=0+
  Epoch int64 v=0+

message UnfenceBrokerRecord kind=metadata key=8 v=0 flex=0+
  Id int32 v=0+
  Epoch int64 v=0+

message RemoveTopicRecord kind=metadata key=9 v=0 flex=0+
  TopicId uuid v=0+

message DelegationTokenRecord kind=metadata key=10 v=0 flex=0+
  Owner string v=0+
  Requester string v=0+
  Renewers []string v=0+
  IssueTimestamp int64 v=0+
  MaxTimestamp int64 v=0+
  ExpirationTimestamp int64 v=0+
  TokenId string v=0+

message UserScramCredentialRecord kind=metadata key=11 v=0 flex=0+
  Name string v=0+
  Mechanism int8 v=0+
  Salt bytes v=0+
  StoredKey bytes v=0+
  ServerKey bytes v=0+
  Iterations int32 v=0+

message FeatureLevelRecord kind=metadata key=12 v=0 flex=0+
  Name string v=0+
  FeatureLevel int16 v=0+

message ClientQuotaRecord kind=metadata key=14 v=0 flex=0+
  Entity []EntityData v=0+
    EntityType string v=0+
    EntityName string v=0+ null=0+
  Key string v=0+
  Value float64 v=0+
  Remove bool v=0+

message ProducerIdsRecord kind=metadata key=15 v=0 flex=0+
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+ default=-1
  NextProducerId int64 v=0+

message BrokerRegistrationChangeRecord kind=metadata key=17 v=0-2 flex=0+
  BrokerId int32 v=0+
  BrokerEpoch int64 v=0+
  Fenced int8 v=0+ tag=0 tagv=0+
  InControlledShutdown int8 v=1+ tag=1 tagv=1+
  LogDirs []uuid v=2+ tag=2 tagv=2+

message AccessControlEntryRecord kind=metadata key=18 v=0 flex=0+
  Id uuid v=0+
  ResourceType int8 v=0+
  ResourceName string v=0+
  PatternType int8 v=0+
  Principal string v=0+
  Host string v=0+
  Operation int8 v=0+
  PermissionType int8 v=0+

message RemoveAccessControlEntryRecord kind=metadata key=19 v=0 flex=0+
  Id uuid v=0+

message NoOpRecord kind=metadata key=20 v=0 flex=0+

message ZkMigrationStateRecord kind=metadata key=21 v=0 flex=0+
  ZkMigrationState int8 v=0+

message RemoveUserScramCredentialRecord kind=metadata key=22 v=0 flex=0+
  Name string v=0+
  Mechanism int8 v=0+

message BeginTransactionRecord kind=metadata key=23 v=0 flex=0+
  Name string v=0+ null=0+ tag=0 tagv=0+ default=null

message EndTransactionRecord kind=metadata key=24 v=0 flex=0+

message AbortTransactionRecord kind=metadata key=25 v=0 flex=0+
  Reason string v=0+ null=0+ tag=0 tagv=0+ default=null

message RemoveDelegationTokenRecord kind=metadata key=26 v=0 flex=0+
  TokenId string v=0+

message RegisterControllerRecord kind=metadata key=27 v=0 flex=0+
  ControllerId int32 v=0+
  IncarnationId uuid v=0+
  ZkMigrationReady bool v=0+
  EndPoints []ControllerEndpoint v=0+
    Name string v=0+
    Host string v=0+
    Port uint16 v=0+
    SecurityProtocol int16 v=0+
  Features []ControllerFeature v=0+
    Name string v=0+
    MinSupportedVersion int16 v=0+
    MaxSupportedVersion int16 v=0+

message ClearElrRecord kind=metadata key=28 v=0 flex=0+
  TopicName string v=0+
