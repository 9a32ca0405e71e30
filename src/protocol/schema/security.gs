# Kafka protocol facts for the security family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message DescribeAclsRequest kind=request key=29 v=1-3 flex=2+ listeners=broker,controller
  ResourceTypeFilter int8 v=0+
  ResourceNameFilter string v=0+ null=0+
  PatternTypeFilter int8 v=1+ default=3
  PrincipalFilter string v=0+ null=0+
  HostFilter string v=0+ null=0+
  Operation int8 v=0+
  PermissionType int8 v=0+

message DescribeAclsResponse kind=response key=29 v=1-3 flex=2+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  Resources []DescribeAclsResource v=0+
    ResourceType int8 v=0+
    ResourceName string v=0+
    PatternType int8 v=1+ default=3
    Acls []AclDescription v=0+
      Principal string v=0+
      Host string v=0+
      Operation int8 v=0+
      PermissionType int8 v=0+

message CreateAclsRequest kind=request key=30 v=1-3 flex=2+ listeners=broker,controller
  Creations []AclCreation v=0+
    ResourceType int8 v=0+
    ResourceName string v=0+
    ResourcePatternType int8 v=1+ default=3
    Principal string v=0+
    Host string v=0+
    Operation int8 v=0+
    PermissionType int8 v=0+

message CreateAclsResponse kind=response key=30 v=1-3 flex=2+
  ThrottleTimeMs int32 v=0+
  Results []AclCreationResult v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+

message DeleteAclsRequest kind=request key=31 v=1-3 flex=2+ listeners=broker,controller
  Filters []DeleteAclsFilter v=0+
    ResourceTypeFilter int8 v=0+
    ResourceNameFilter string v=0+ null=0+
    PatternTypeFilter int8 v=1+ default=3
    PrincipalFilter string v=0+ null=0+
    HostFilter string v=0+ null=0+
    Operation int8 v=0+
    PermissionType int8 v=0+

message DeleteAclsResponse kind=response key=31 v=1-3 flex=2+
  ThrottleTimeMs int32 v=0+
  FilterResults []DeleteAclsFilterResult v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+
    MatchingAcls []DeleteAclsMatchingAcl v=0+
      ErrorCode int16 v=0+
      ErrorMessage string v=0+ null=0+
      ResourceType int8 v=0+
      ResourceName string v=0+
      PatternType int8 v=1+ default=3
      Principal string v=0+
      Host string v=0+
      Operation int8 v=0+
      PermissionType int8 v=0+

message CreateDelegationTokenRequest kind=request key=38 v=1-3 flex=2+ listeners=broker,controller
  OwnerPrincipalType string v=3+ null=3+
  OwnerPrincipalName string v=3+ null=3+
  Renewers []CreatableRenewers v=0+
    PrincipalType string v=0+
    PrincipalName string v=0+
  MaxLifetimeMs int64 v=0+

message CreateDelegationTokenResponse kind=response key=38 v=1-3 flex=2+
  ErrorCode int16 v=0+
  PrincipalType string v=0+
  PrincipalName string v=0+
  TokenRequesterPrincipalType string v=3+
  TokenRequesterPrincipalName string v=3+
  IssueTimestampMs int64 v=0+
  ExpiryTimestampMs int64 v=0+
  MaxTimestampMs int64 v=0+
  TokenId string v=0+
  Hmac bytes v=0+
  ThrottleTimeMs int32 v=0+

message RenewDelegationTokenRequest kind=request key=39 v=1-2 flex=2+ listeners=broker,controller
  Hmac bytes v=0+
  RenewPeriodMs int64 v=0+

message RenewDelegationTokenResponse kind=response key=39 v=1-2 flex=2+
  ErrorCode int16 v=0+
  ExpiryTimestampMs int64 v=0+
  ThrottleTimeMs int32 v=0+

message ExpireDelegationTokenRequest kind=request key=40 v=1-2 flex=2+ listeners=broker,controller
  Hmac bytes v=0+
  ExpiryTimePeriodMs int64 v=0+

message ExpireDelegationTokenResponse kind=response key=40 v=1-2 flex=2+
  ErrorCode int16 v=0+
  ExpiryTimestampMs int64 v=0+
  ThrottleTimeMs int32 v=0+

message DescribeDelegationTokenRequest kind=request key=41 v=1-3 flex=2+ listeners=broker,controller
  Owners []DescribeDelegationTokenOwner v=0+ null=0+
    PrincipalType string v=0+
    PrincipalName string v=0+

message DescribeDelegationTokenResponse kind=response key=41 v=1-3 flex=2+
  ErrorCode int16 v=0+
  Tokens []DescribedDelegationToken v=0+
    PrincipalType string v=0+
    PrincipalName string v=0+
    TokenRequesterPrincipalType string v=3+
    TokenRequesterPrincipalName string v=3+
    IssueTimestamp int64 v=0+
    ExpiryTimestamp int64 v=0+
    MaxTimestamp int64 v=0+
    TokenId string v=0+
    Hmac bytes v=0+
    Renewers []DescribedDelegationTokenRenewer v=0+
      PrincipalType string v=0+
      PrincipalName string v=0+
  ThrottleTimeMs int32 v=0+

message DescribeUserScramCredentialsRequest kind=request key=50 v=0 flex=0+ listeners=broker,controller
  Users []UserName v=0+ null=0+
    Name string v=0+

message DescribeUserScramCredentialsResponse kind=response key=50 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ErrorMessage string v=0+ null=0+
  Results []DescribeUserScramCredentialsResult v=0+
    User string v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+
    CredentialInfos []CredentialInfo v=0+
      Mechanism int8 v=0+
      Iterations int32 v=0+

message AlterUserScramCredentialsRequest kind=request key=51 v=0 flex=0+ listeners=broker,controller
  Deletions []ScramCredentialDeletion v=0+
    Name string v=0+
    Mechanism int8 v=0+
  Upsertions []ScramCredentialUpsertion v=0+
    Name string v=0+
    Mechanism int8 v=0+
    Iterations int32 v=0+
    Salt bytes v=0+
    SaltedPassword bytes v=0+

message AlterUserScramCredentialsResponse kind=response key=51 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  Results []AlterUserScramCredentialsResult v=0+
    User string v=0+
    ErrorCode int16 v=0+
    ErrorMessage string v=0+ null=0+

message DefaultPrincipalData kind=data v=0 flex=0+
  Type string v=0+
  Name string v=0+
  TokenAuthenticated bool v=0+
