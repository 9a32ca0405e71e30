# Kafka protocol facts for the connection family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message SaslHandshakeRequest kind=request key=17 v=0-1 flex=none listeners=broker,controller
  Mechanism string v=0+

message SaslHandshakeResponse kind=response key=17 v=0-1 flex=none
  ErrorCode int16 v=0+
  Mechanisms []string v=0+

message ApiVersionsRequest kind=request key=18 v=0-4 flex=3+ listeners=broker,controller
  ClientSoftwareName string v=3+ ignorable
  ClientSoftwareVersion string v=3+ ignorable

message ApiVersionsResponse kind=response key=18 v=0-4 flex=3+
  ErrorCode int16 v=0+
  ApiKeys []ApiVersion v=0+
    ApiKey int16 v=0+
    MinVersion int16 v=0+
    MaxVersion int16 v=0+
  ThrottleTimeMs int32 v=1+ ignorable
  SupportedFeatures []SupportedFeatureKey v=3+ tag=0 tagv=3+ ignorable
    Name string v=3+
    MinVersion int16 v=3+
    MaxVersion int16 v=3+
  FinalizedFeaturesEpoch int64 v=3+ tag=1 tagv=3+ default=-1 ignorable
  FinalizedFeatures []FinalizedFeatureKey v=3+ tag=2 tagv=3+ ignorable
    Name string v=3+
    MaxVersionLevel int16 v=3+
    MinVersionLevel int16 v=3+
  ZkMigrationReady bool v=3+ tag=3 tagv=3+ default=false ignorable

message SaslAuthenticateRequest kind=request key=36 v=0-2 flex=2+ listeners=broker,controller
  AuthBytes bytes v=0+

message SaslAuthenticateResponse kind=response key=36 v=0-2 flex=2+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  AuthBytes bytes v=0+
  SessionLifetimeMs int64 v=1+ default=0 ignorable

message RequestHeader kind=header v=1-2 flex=2+
  RequestApiKey int16 v=0+
  RequestApiVersion int16 v=0+
  CorrelationId int32 v=0+
  ClientId string v=1+ null=1+ flex=none

message ResponseHeader kind=header v=0-1 flex=1+
  CorrelationId int32 v=0+
