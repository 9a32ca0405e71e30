# Kafka protocol facts for the telemetry family (Apache Kafka 4.1 version ranges).
# Grammar: docs/protocol-schema.md. Codecs are generated from this file at build time.

message GetTelemetrySubscriptionsRequest kind=request key=71 v=0 flex=0+ listeners=broker
  ClientInstanceId uuid v=0+

message GetTelemetrySubscriptionsResponse kind=response key=71 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
  ClientInstanceId uuid v=0+
  SubscriptionId int32 v=0+
  AcceptedCompressionTypes []int8 v=0+
  PushIntervalMs int32 v=0+
  TelemetryMaxBytes int32 v=0+
  DeltaTemporality bool v=0+
  RequestedMetrics []string v=0+

message PushTelemetryRequest kind=request key=72 v=0 flex=0+ listeners=broker
  ClientInstanceId uuid v=0+
  SubscriptionId int32 v=0+
  Terminating bool v=0+
  CompressionType int8 v=0+
  Metrics bytes v=0+

message PushTelemetryResponse kind=response key=72 v=0 flex=0+
  ThrottleTimeMs int32 v=0+
  ErrorCode int16 v=0+
