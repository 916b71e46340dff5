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
  /** A plan that removes something waits out policy.settleTime unchanged before it runs (or asks for approval); the message says when. Reconciling. */
  PlanSettling: "PlanSettling",
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
  /** An operation's connection now leads to another remote (another cluster, even through the same URL); it is not followed there. Stalled. */
  OperationTargetMoved: "OperationTargetMoved",
  /** Another set claims the same remote objects; contested objects are never touched. Stalled. */
  OwnershipConflict: "OwnershipConflict",
  /** A FleetDisruptionBudget has too little left in its window for the whole plan; the message names the budget, its window and when it frees, and the set looks again then. Reconciling. */
  BudgetExhausted: "BudgetExhausted",
  /** The plan alone is larger than a FleetDisruptionBudget's limit (or the limit is 0): it can never fit; lower the set's per-operation limit or raise the budget. Stalled. */
  BudgetTooSmall: "BudgetTooSmall",
  /** A FleetDisruptionBudget does not parse: nothing destructive starts until it is fixed or deleted. Stalled. */
  BudgetInvalid: "BudgetInvalid",
  /** The cluster the connection leads to was learned (Normal event) or, as a step, just recorded in status.remote: acted on from the next round, once the other sets can see it there. Reconciling. */
  RemoteIdentified: "RemoteIdentified",
  /** The agent reports another cluster than recorded through the same endpoint (Warning event; the record is replaced), or than the plan was made for just before the DELETE (nothing sent; decided again). Reconciling. */
  RemoteIdentityChanged: "RemoteIdentityChanged",
  /** Another set names the same tenant and was never identified (not reached since its connection last changed): it may be on this cluster, so nothing is removed or operated until it is identified, repointed or deleted; the message names it. Reconciling. */
  RemoteUnidentified: "RemoteUnidentified",

  // --- TenantReplicaSet ---
  /** obshell does not know spec.tenant. Stalled. */
  TenantNotFound: "TenantNotFound",
  /** The tenant's status is not NORMAL. Stalled. */
  TenantNotNormal: "TenantNotNormal",
  /** A zone in spec.zones holds no replica and spec.replicaTemplate is unset (no scale-out); nothing is removed until every desired zone exists. Stalled. */
  DesiredZoneMissing: "DesiredZoneMissing",
  /** The plan would remove every replica of the tenant. Stalled. */
  WouldRemoveLastReplica: "WouldRemoveLastReplica",
  /** The plan would leave too few FULL replicas for a Paxos majority. Stalled. */
  PaxosMajority: "PaxosMajority",
  /** A zone to remove is in the first priority of the tenant's primary_zone. Stalled. */
  PrimaryZoneNeeded: "PrimaryZoneNeeded",
  /** A resource pool remains in a zone with no replica (a failed scale-in DAG). Stalled. */
  LeftoverPool: "LeftoverPool",
  /** A zone to add: its unit config does not exist on the cluster (named with the zone; agent executor/zone/check.go CheckZoneParams). Stalled. */
  UnitConfigNotFound: "UnitConfigNotFound",
  /** A zone to add: spec.replicaTemplate.unitNum is not the tenant's unit number, or neither is known (agent executor/tenant/scale_out_replicas.go). Stalled. */
  UnitNumMismatch: "UnitNumMismatch",
  /** A zone to add already holds a resource pool of the tenant, a failed add or removal left it (agent executor/tenant/scale_out_replicas.go, HasPoolOnZone). Stalled. */
  ZoneHasPool: "ZoneHasPool",
  /** A zone to add would get a READONLY replica while it is in the first priority of the primary zone (the operator's own rule: a READONLY replica cannot lead). Stalled. */
  ReadonlyPrimaryZone: "ReadonlyPrimaryZone",
  /** obshell refused an add: the zone does not exist (agent executor/zone/check.go). Stalled. */
  ZoneNotFound: "ZoneNotFound",
  /** obshell refused an add: unit_num exceeds the zone's servers, or the servers lack CPU, memory or log disk (agent executor/zone/check.go, executor/tenant/create_tenant.go checkZoneResourceForUnit). Stalled. */
  InsufficientResources: "InsufficientResources",
  /** obshell refused an add by a primary-zone rule: enable_rebalance off, cross-region first priority, too few FULL replicas in the primary region (agent executor/zone/check.go). Stalled. */
  PrimaryZoneRule: "PrimaryZoneRule",
  /** A FAILED DAG on the tenant is unresolved (a scale-in or scale-out, anyone's); nothing is added until a person operates it. Stalled. */
  UnresolvedDag: "UnresolvedDag",
  /** The intent to add zones (with each replica's settings) is recorded; the POST is being sent. Reconciling. */
  AddingZones: "AddingZones",
  /** The add's reply was lost; the next pass looks for its DAG before anything is sent again. Reconciling. */
  AddOutcomeUnknown: "AddOutcomeUnknown",
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
  /**
   * obshell refused the policy's RETRY or ROLLBACK for good (Task.Expired: a newer DAG ran on the tenant; or
   * Task.Dag.Operator.*, e.g. a scale-in that failed at its pool nodes cannot be rolled back). Not asked again;
   * Stalled until a person operates the DAG.
   */
  DagOperationRefused: "DagOperationRefused",
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
