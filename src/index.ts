/**
 * regnotify's public API: the Go `notifications` package's names in TypeScript style, plus the
 * durable pieces (Redis/BullMQ) and the service's composition root. Named exports only.
 */

// Wire format (docs/compatibility.md §1)
export {
  BlobMediaType,
  EventActionDelete,
  EventActionMount,
  EventActionPull,
  EventActionPush,
  EventsMediaType,
  EventsMediaTypeV2,
} from './events/types.js';
export type {
  ActorRecord,
  Descriptor,
  Envelope,
  Event,
  EventAction,
  EventsMediaTypeName,
  Platform,
  RequestRecord,
  SourceRecord,
  Target,
} from './events/types.js';
export { encodeEnvelope, encodeEvent, envelopeBody, relayout } from './events/encode.js';
export { isEventsMediaType, parseEnvelope, parseEvent } from './events/parse.js';
export type { ParsedEnvelope, ParseOptions } from './events/parse.js';
export { formatTimestamp, nowTimestamp, ZeroTimestamp } from './events/timestamp.js';

// Bridge and listener (docs/compatibility.md §2, §3)
export { Bridge, newBridge, withTag } from './bridge/bridge.js';
export type { BridgeOptions, Listener, ManifestOption, TagOption } from './bridge/bridge.js';
export { URLBuilder } from './bridge/urls.js';
export { actorFromRequest, remoteAddr, requestRecordFromRequest } from './bridge/request.js';
export {
  describeManifest,
  MediaTypeDockerManifest,
  MediaTypeDockerManifestList,
  MediaTypeOCIIndex,
  MediaTypeOCIManifest,
} from './bridge/manifest.js';
export type { Manifest, ManifestDescription } from './bridge/manifest.js';
export { BlobMountedError, listen } from './bridge/listener.js';
export type {
  BlobStore,
  BlobWriter,
  ManifestService,
  Repository,
  RepositoryRemover,
  TagService,
} from './bridge/listener.js';
export { uuidv7 } from './bridge/uuid.js';

// In-process sinks (docs/compatibility.md §4–§6)
export type { Sink } from './sinks/sink.js';
export { Broadcaster } from './sinks/broadcaster.js';
export { EventQueue } from './sinks/event-queue.js';
export type { EventQueueListener } from './sinks/event-queue.js';
export { Breaker, ExponentialBackoff, RetryingSink } from './sinks/retrying.js';
export type { RetryStrategy } from './sinks/retrying.js';
export { IgnoredSink, newIgnoredSink } from './sinks/ignored.js';
export { HttpSink } from './sinks/http.js';
export type { HttpSinkOptions } from './sinks/http.js';
export { HttpPoster } from './sinks/http-post.js';
export type { HttpPostOptions, HttpStatusListener, PostResult } from './sinks/http-post.js';
export { Endpoint, endpointDefaults } from './sinks/endpoint.js';
export type { EndpointConfig } from './sinks/endpoint.js';
export { EndpointMetricsRecorder } from './metrics/endpoint-metrics.js';
export type { EndpointMetrics } from './metrics/endpoint-metrics.js';
export { goStatusText, statusKey } from './metrics/status-text.js';

// Durable delivery (Redis + BullMQ)
export { createRedisClient, waitReady, checkRedisServer } from './queue/connection.js';
export type { RedisClient, RedisSettings } from './queue/connection.js';
export { DurableSink } from './queue/producer.js';
export type { DurableSinkOptions, ProducerEndpoint } from './queue/producer.js';
export { EndpointWorker } from './queue/worker.js';
export type { DeliveryEndpoint, WorkerTuning } from './queue/worker.js';
export type { DeliveryPolicy } from './queue/delivery.js';
export { readEndpointStats } from './queue/stats.js';
export type { EndpointStats } from './queue/stats.js';

// Logging: one Logger type (pino's logger fits it), the service's factory, a silent default
export { createLogger, silentLogger } from './log.js';
export type { LogFn, Logger, LoggerOptions } from './log.js';

// The service
export { startApp } from './app.js';
export type { App, AppRoles } from './app.js';
export { loadConfig } from './config/load.js';
export type { EndpointSettings, RegnotifyConfig } from './config/types.js';

// Errors: one class per failure mode, each with a stable `code`
export {
  AlreadyClosedError,
  ConfigError,
  EnvelopeError,
  HttpStatusError,
  HttpTransportError,
  InvalidReferenceError,
  LockLostError,
  ManifestError,
  NoReplyError,
  RedirectLimitError,
  RegnotifyError,
  SinkClosedError,
  /** The Go name: `err instanceof ErrSinkClosed`. */
  SinkClosedError as ErrSinkClosed,
  StoreUnavailableError,
} from './errors.js';
export { JsonSyntaxError } from './events/jsontree.js';
export { JsonUnsupportedError } from './events/encode.js';
export { TimestampRangeError } from './events/timestamp.js';
