# Kafka protocol facts for the config admin family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message DescribeConfigsRequest kind=request key=32 v=1-4 flex=4+ listeners=broker,controller
  Resources []DescribeConfigsResource v=0+
    ResourceType int8 v=0+
    ResourceName string v=0+
    ConfigurationKeys []string v=0+ null=0+
  IncludeSynonyms bool v=1+ default=false
  IncludeDocumentation bool v=3+ default=false

message DescribeConfigsResponse kind=response key=32 v=1-4 flex=4+
  ThrottleTimeMs int32 v=0+
  Results []DescribeConfigsResult v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+
    ResourceType int8 v=0+
    ResourceName string v=0+
    Configs []DescribeConfigsResourceResult v=0+
      Name string v=0+
      Value string v=0+ null=0+
      ReadOnly bool v=0+
      ConfigSource int8 v=1+ default=-1 ignorable
      IsSensitive bool v=0+
      Synonyms []DescribeConfigsSynonym v=1+ ignorable
        Name string v=1+
        Value string v=1+ null=0+
        Source int8 v=1+
      ConfigType int8 v=3+ default=0 ignorable
      Documentation string v=3+ null=0+ ignorable

message AlterConfigsRequest kind=request key=33 v=0-2 flex=2+ listeners=broker,controller
  Resources []AlterConfigsResource v=0+
    ResourceType int8 v=0+
    ResourceName string v=0+
    Configs []AlterableConfig v=0+
      Name string v=0+
      Value string v=0+ null=0+
  ValidateOnly bool v=0+

message AlterConfigsResponse kind=response key=33 v=0-2 flex=2+
  ThrottleTimeMs int32 v=0+
  Responses []AlterConfigsResourceResponse v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+
    ResourceType int8 v=0+
    ResourceName string v=0+

message IncrementalAlterConfigsRequest kind=request key=44 v=0-1 flex=1+ listeners=broker,controller
  Resources []AlterConfigsResource v=0+
    ResourceType int8 v=0+
    ResourceName string v=0+
    Configs []AlterableConfig v=0+
      Name string v=0+
      ConfigOperation int8 v=0+
      Value string v=0+ null=0+
  ValidateOnly bool v=0+

message IncrementalAlterConfigsResponse kind=response key=44 v=0-1 flex=1+
  ThrottleTimeMs int32 v=0+
  Responses []AlterConfigsResourceResponse v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+
    ResourceType int8 v=0+
    ResourceName string v=0+

message DescribeClientQuotasRequest kind=request key=48 v=0-1 flex=1+ listeners=broker
  Components []ComponentData v=0+
    EntityType string v=0+
    MatchType int8 v=0+
    Match string v=0+ null=0+
  Strict bool v=0+

message DescribeClientQuotasResponse kind=response key=48 v=0-1 flex=1+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  Entries []EntryData v=0+ null=0+
    Entity []EntityData v=0+
      EntityType string v=0+
      EntityName string v=0+ null=0+
    Values []ValueData v=0+
      Key string v=0+
      Value float64 v=0+

message AlterClientQuotasRequest kind=request key=49 v=0-1 flex=1+ listeners=broker,controller
  Entries []EntryData v=0+
    Entity []EntityData v=0+
      EntityType string v=0+
      EntityName string v=0+ null=0+
    Ops []OpData v=0+
      Key string v=0+
      Value float64 v=0+
      Remove bool v=0+
  ValidateOnly bool v=0+

message AlterClientQuotasResponse kind=response key=49 v=0-1 flex=1+
  ThrottleTimeMs int32 v=0+
  Entries []EntryData v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+
    Entity []EntityData v=0+
      EntityType string v=0+
      EntityName string v=0+ null=0+

message UpdateFeaturesRequest kind=request key=57 v=0-2 flex=0+ listeners=broker,controller
  timeoutMs int32 v=0+ default=60000
  FeatureUpdates []FeatureUpdateKey v=0+
    Feature string v=0+
    MaxVersionLevel int16 v=0+
    AllowDowngrade bool v=0
    UpgradeType int8 v=1+ default=1
  ValidateOnly bool v=1+ default=false

message UpdateFeaturesResponse kind=response key=57 v=0-2 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  Results []UpdatableFeatureResult v=0-1 ignorable
    Feature string v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+

message ListConfigResourcesRequest kind=request key=74 v=0-1 flex=0+ listeners=broker
  ResourceTypes []int8 v=1+

message ListConfigResourcesResponse kind=response key=74 v=0-1 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ConfigResources []ConfigResource v=0+
    ResourceName string v=0+
    ResourceType int8 v=1+ default=16 ignorable
