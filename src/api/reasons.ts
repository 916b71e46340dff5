// Every reason a set's conditions and events carry: users, the Argo CD health check and tests match on
// them, so they live in one table. Each line says when the reason is set (docs/architecture.md lists the
// Step behind each).

export const Reason = {
  // --- every kind ---
  /** The remote matches the spec. Ready=True. */
  Converged: "Converged",
  /** The object does not parse against the schema; the message names the field. Stalled. */
  InvalidSpec: "InvalidSpec",
  /** spec.paused or the dbfleet.io/paused annotation: no remote call is made. */
  Paused: "Paused",
  /** The referenced Secret or one of its keys is missing. Stalled. */
  CredentialsMissing: "CredentialsMissing",
  /** The connection names a Secret of a type other than Opaque or dbfleet.io/credentials (e.g. a ServiceAccount token); none of its values is read. Stalled. */
  SecretTypeRefused: "SecretTypeRefused",
  /** The remote refused the credentials; nothing is sent with them until the window passes or the Secret changes. Stalled. */
  AuthenticationFailed: "AuthenticationFailed",
  /** The remote accepted the credentials but refused the action (HTTP 403: an IAM policy without it); other sets on the credential go on. Stalled. */
  PermissionDenied: "PermissionDenied",
  /** The remote could not be read (timeout, 5xx, bad reply); nothing is deleted until it answers. Reconciling. */
  ObserveFailed: "ObserveFailed",
  /** The plan removes more than policy.approvalThreshold; it waits for dbfleet.io/approve-plan=<hash>. Stalled. */
  ApprovalRequired: "ApprovalRequired",
  /** The annotation carries the hash of a plan that already ran once; a new annotation is needed. Stalled. */
  ApprovalAlreadyUsed: "ApprovalAlreadyUsed",
  /** policy.dryRun: the plan is recorded, nothing is deleted. */
  DryRun: "DryRun",
  /** The destructive call's reply was lost; the next pass looks the operation up before anything else. Reconciling. */
  DeleteOutcomeUnknown: "DeleteOutcomeUnknown",
  /** The remote refused the destructive call (bad request, auth, not found). Stalled. */
  RemoteRefused: "RemoteRefused",
  /** The connectionRef names no DatabaseConnection/ClusterDatabaseConnection. Stalled. */
  ConnectionNotFound: "ConnectionNotFound",
  /** The connection object does not parse. Stalled. */
  ConnectionInvalid: "ConnectionInvalid",
  /** The connection is for the other remote (obshell vs DCS). Stalled. */
  ConnectionKindMismatch: "ConnectionKindMismatch",
  /** A ClusterDatabaseConnection whose allowedNamespaces exclude the set's. Stalled. */
  ConnectionNotAllowed: "ConnectionNotAllowed",
  /** The CA Secret of the connection's TLS settings is missing. Stalled. */
  CaMissing: "CaMissing",
  /** The set names its endpoint inline but the operator runs without --allow-inline-connections. Stalled. */
  InlineConnectionRefused: "InlineConnectionRefused",
  /** An http:// endpoint without allowInsecureHTTP on its connection. Stalled. */
  InsecureHTTP: "InsecureHTTP",
  /** The endpoint resolves to an address the endpoint policy refuses; it was sent nothing. Stalled. */
  EndpointRefused: "EndpointRefused",
  /** The connection allows plain HTTP or skips TLS verification (Warning event). */
  InsecureConnection: "InsecureConnection",
  /** An operation's connection now points elsewhere; it is not followed there. Stalled. */
  OperationTargetMoved: "OperationTargetMoved",
  /** Another set claims the same remote objects; contested objects are never touched. Stalled. */
  OwnershipConflict: "OwnershipConflict",

  // --- TenantReplicaSet ---
  /** obshell does not know spec.tenant. Stalled. */
  TenantNotFound: "TenantNotFound",
  /** The tenant's status is not NORMAL. Stalled. */
  TenantNotNormal: "TenantNotNormal",
  /** A zone in spec.zones holds no replica; nothing is removed until every desired zone exists. Stalled. */
  DesiredZoneMissing: "DesiredZoneMissing",
  /** The plan would remove every replica of the tenant. Stalled. */
  WouldRemoveLastReplica: "WouldRemoveLastReplica",
  /** The plan would leave too few FULL replicas for a Paxos majority. Stalled. */
  PaxosMajority: "PaxosMajority",
  /** A zone to remove is in the first priority of the tenant's primary_zone. Stalled. */
  PrimaryZoneNeeded: "PrimaryZoneNeeded",
  /** A resource pool remains in a zone with no replica (a failed scale-in DAG). Stalled. */
  LeftoverPool: "LeftoverPool",
  /** A DAG of the operator's own is running on the tenant; waiting. Reconciling. */
  TenantBusy: "TenantBusy",
  /** A DAG the operator did not start is unfinished on the tenant; it is reported, never operated. Reconciling. */
  ForeignDag: "ForeignDag",
  /** The intent to remove zones is recorded; the DELETE is being sent. Reconciling. */
  RemovingZones: "RemovingZones",
  /** obshell answered the DELETE with a DAG (event). */
  DagStarted: "DagStarted",
  /** The removal DAG is running. Reconciling. */
  DagRunning: "DagRunning",
  /** After a lost reply, the operator's DAG was found again by its tenant, kind, size and start time (also an event). */
  DagFound: "DagFound",
  /** The removal DAG ended SUCCEED/RUN (or SUCCEED/PASS by a person). */
  DagSucceeded: "DagSucceeded",
  /** After a lost reply no DAG of the operator's exists: the DELETE never took effect, or its DAG ended. */
  IntentResolved: "IntentResolved",
  /** obshell answered 204: the zones hold no replica any more. */
  NothingToRemove: "NothingToRemove",
  /** policy.onDagFailure Retry: RETRY was sent to the failed DAG. Reconciling. */
  DagRetried: "DagRetried",
  /** policy.onDagFailure Rollback: ROLLBACK was sent to the failed DAG. Reconciling. */
  DagRollingBack: "DagRollingBack",
  /** The DAG FAILED and is held for a person (policy Hold, retries used up, or the spec changed). Stalled. */
  DagFailed: "DagFailed",
  /** The DAG ended SUCCEED/ROLLBACK: nothing was removed. Stalled until the spec changes. */
  DagRolledBack: "DagRolledBack",
  /** The DAG ended FAILED/CANCEL. Stalled until the spec changes. */
  DagCancelled: "DagCancelled",
  /** A held or ended operation was dropped because the spec changed since it started. */
  OperationAbandoned: "OperationAbandoned",

  // --- RedisInstanceSet ---
  /** spec.instances names an instance no instance in scope has (a typo would delete the one meant). Stalled. */
  DesiredInstanceMissing: "DesiredInstanceMissing",
  /** spec.instances is empty without policy.allowEmpty. Stalled. */
  EmptyWithoutAllowEmpty: "EmptyWithoutAllowEmpty",
  /** Deletions are in flight, or instances are busy or backing off after a failure. Reconciling. */
  WaitingForDeletion: "WaitingForDeletion",
  /** The intent (pending records) is written; the batch delete is being sent. Reconciling. */
  Deleting: "Deleting",
  /** DCS answered the batch; accepted instances are awaited until they leave the listing. Reconciling. */
  DeletionRequested: "DeletionRequested",
  /** DCS refused some instances of a batch (event). */
  DeletionFailed: "DeletionFailed",
  /** A deletion failed repeatedly or with an error that needs a person (frozen, prepaid), or DCS's reply does not show whether the instance is busy. Stalled. */
  DeletionNeedsHuman: "DeletionNeedsHuman",
  /** The re-read before the delete found nothing left to delete (gone, busy or out of scope). */
  VictimsChanged: "VictimsChanged",
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];
