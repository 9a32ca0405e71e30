# Kafka protocol facts for the raft records family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message KRaftVersionRecord kind=data v=0 flex=0+
  Version int16 v=0+
  KRaftVersion int16 v=0+

message LeaderChangeMessage kind=data v=0-1 flex=0+
  struct Voter v=0+
    VoterId int32 v=0+
    VoterDirectoryId uuid v=1+
  Version int16 v=0+
  LeaderId int32 v=0+
  Voters []Voter v=0+
  GrantingVoters []Voter v=0+

message QuorumStateData kind=data v=0-1 flex=0+
  ClusterId string v=0
  LeaderId int32 v=0+ default=-1
  LeaderEpoch int32 v=0+ default=-1
  VotedId int32 v=0+ default=-1
  VotedDirectoryId uuid v=1+
  AppliedOffset int64 v=0
  CurrentVoters []Voter v=0 null=0
    VoterId int32 v=0

message SnapshotFooterRecord kind=data v=0 flex=0+
  Version int16 v=0+

message SnapshotHeaderRecord kind=data v=0 flex=0+
  Version int16 v=0+
  LastContainedLogTimestamp int64 v=0+

message VotersRecord kind=data v=0 flex=0+
  Version int16 v=0+
  Voters []Voter v=0+
    VoterId int32 v=0+
    VoterDirectoryId uuid v=0+
    Endpoints []Endpoint v=0+
      Name string v=0+
      Host string v=0+
      Port uint16 v=0+
    KRaftVersionFeature KRaftVersionFeature v=0+
      MinSupportedVersion int16 v=0+
      MaxSupportedVersion int16 v=0+
